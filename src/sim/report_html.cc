// ReportHtml: one page, assembled section by section. Nothing on it is
// fetched: styles are inline, charts are inline SVG, fonts are the system's.
#include <algorithm>
#include <cstddef>
#include <functional>
#include <string>

#include <fmt/format.h>

#include "sim/report.h"
#include "sim/report_format.h"
#include "sim/report_svg.h"

namespace gpusched::sim {
namespace {

constexpr const char* kStyle = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 1000px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 32px; }
table { border-collapse: collapse; font-size: 13px; }
td, th { padding: 3px 10px; border-bottom: 1px solid #e4e4e4; text-align: left; }
table.cmp td.num, table.cmp th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.cmp tr.section th { background: #f3f3f3; padding-top: 8px; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 5px; }
svg.chart { display: block; margin: 12px 0; font-size: 12px; }
svg.chart text { fill: #333; } svg.chart text.title { font-size: 14px; font-weight: 600; }
svg.chart .grid { stroke: #e6e6e6; } svg.chart .axis { stroke: #888; }
svg.chart .reference { stroke: #d62728; stroke-dasharray: 5 4; stroke-width: 1.5; }
.muted { color: #777; }
)";

std::string Tag(const char* tag, const std::string& escaped_body, const char* cls = nullptr) {
  return cls == nullptr ? fmt::format("<{0}>{1}</{0}>", tag, escaped_body)
                        : fmt::format("<{0} class=\"{2}\">{1}</{0}>", tag, escaped_body, cls);
}

std::string SettingsSection(const ReportContext& ctx) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {"trace", ctx.trace}, {"format", ctx.format}, {"cluster", ctx.cluster}, {"seed", ctx.seed}};
  rows.insert(rows.end(), ctx.settings.begin(), ctx.settings.end());
  std::string out = "<section>\n<h2>Settings</h2>\n<table class=\"kv\">\n";
  for (const auto& [key, value] : rows)
    out += "<tr>" + Tag("th", HtmlEscape(key)) + Tag("td", HtmlEscape(value)) + "</tr>\n";
  return out + "</table>\n</section>\n";
}

std::string PolicyHeading(const PolicyReport& run, std::size_t index) {
  return fmt::format("<span class=\"swatch\" style=\"background:{}\"></span>{}", SeriesColor(index),
                     HtmlEscape(run.policy));
}

std::string ComparisonSection(const std::vector<PolicyReport>& runs) {
  std::string out = "<section>\n<h2>Comparison</h2>\n<table class=\"cmp\">\n<tr><th></th>";
  for (std::size_t i = 0; i < runs.size(); ++i) out += Tag("th", PolicyHeading(runs[i], i), "num");
  out += "</tr>\n";
  for (const ReportRow& row : ComparisonRows(runs)) {
    if (row.section) {
      out += fmt::format("<tr class=\"section\"><th colspan=\"{}\">{}</th></tr>\n", runs.size() + 1,
                         HtmlEscape(row.label));
      continue;
    }
    out += "<tr>" + Tag("td", HtmlEscape(row.label));
    for (const std::string& cell : row.cells) out += Tag("td", HtmlEscape(cell), "num");
    out += "</tr>\n";
  }
  return out + "</table>\n</section>\n";
}

// One range chart per class: each run's wait figures for that class, and
// the class's SLA target (as the first run with one has it) as reference.
std::string WaitSection(const std::vector<PolicyReport>& runs) {
  std::string out = "<section>\n<h2>Wait by class</h2>\n";
  for (const std::string& name : ClassUnion(runs)) {
    RangeChartSpec spec{.title = "Wait of class " + name,
                        .x_label = "wait (submit to first start)"};
    std::vector<RangeBar> bars;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      for (const ClassReport& c : runs[i].classes) {
        if (c.name != name) continue;
        bars.push_back({runs[i].policy, SeriesColor(i), double(c.wait_p50_s), double(c.wait_p95_s),
                        double(c.wait_p99_s), double(c.wait_max_s)});
        if (c.sla_target_s >= 0 && !spec.reference) {
          spec.reference = double(c.sla_target_s);
          spec.reference_label = fmt::format("SLA target p{} <= {}", c.sla_percentile,
                                             FormatDuration(double(c.sla_target_s)));
        }
      }
    }
    out += RangeChart(spec, bars);
  }
  return out + "</section>\n";
}

using SampleValue = std::function<double(const SimResult&, const TimelineSample&)>;

// One series per run with a result: (t_s, value(sample)) over its timeline.
std::vector<ChartSeries> TimelineSeries(const std::vector<PolicyReport>& runs,
                                        const std::vector<const SimResult*>& results,
                                        const SampleValue& value) {
  std::vector<ChartSeries> series;
  for (std::size_t i = 0; i < runs.size() && i < results.size(); ++i) {
    if (results[i] == nullptr) continue;
    ChartSeries s{runs[i].policy, SeriesColor(i), {}};
    for (const TimelineSample& sample : results[i]->timeline)
      s.points.push_back({double(sample.t_s), value(*results[i], sample)});
    series.push_back(std::move(s));
  }
  return series;
}

std::string TimelineSection(const std::vector<PolicyReport>& runs,
                            const std::vector<const SimResult*>& results) {
  std::string out = "<section>\n<h2>Over time</h2>\n";
  LineChartSpec util{.title = "GPU utilization (GPUs busy / total)",
                     .x_label = "virtual time",
                     .y_label = "GPUs busy",
                     .y_format = AxisFormat::kPercent,
                     .y_max = 1.0};
  out += LineChart(util,
                   TimelineSeries(runs, results, [](const SimResult& r, const TimelineSample& s) {
                     return r.total_gpus > 0 ? double(s.gpus_busy) / r.total_gpus : 0.0;
                   }));
  LineChartSpec queue{.title = "Queue length (pending jobs, all classes)",
                      .x_label = "virtual time",
                      .y_label = "pending jobs"};
  out +=
      LineChart(queue, TimelineSeries(runs, results, [](const SimResult&, const TimelineSample& s) {
                  double pending = 0;
                  for (int n : s.pending_by_class) pending += n;
                  return pending;
                }));
  LineChartSpec preempt{
      .title = "Cumulative preemptions", .x_label = "virtual time", .y_label = "preemptions"};
  out += LineChart(preempt,
                   TimelineSeries(runs, results, [](const SimResult&, const TimelineSample& s) {
                     return double(s.preemptions);
                   }));
  return out + "</section>\n";
}

std::string StarvedSection(const std::vector<PolicyReport>& runs) {
  std::string out;
  for (const PolicyReport& run : runs) {
    if (run.starved.empty()) continue;
    out += Tag("h3", fmt::format("{}: {} job(s) did not complete", HtmlEscape(run.policy),
                                 run.starved_jobs));
    out += "<ul>\n";
    for (const StarvedJob& job : run.starved) {
      const std::string reason =
          job.wait_reason.empty() ? "started, not finished" : job.wait_reason;
      out += Tag("li", fmt::format("<code>{}</code> ({}): {}", HtmlEscape(job.id),
                                   HtmlEscape(job.class_name), HtmlEscape(reason))) +
             "\n";
    }
    out += "</ul>\n";
  }
  return out.empty() ? out
                     : "<section>\n<h2>Jobs that did not complete</h2>\n" + out + "</section>\n";
}

}  // namespace

std::string ReportHtml(const std::vector<PolicyReport>& runs,
                       const std::vector<const SimResult*>& results, const ReportContext& ctx) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += Tag("title", "gpusched simulation: " + HtmlEscape(ctx.trace)) + "\n";
  out += fmt::format("<style>{}</style>\n</head>\n<body>\n", kStyle);
  out += Tag("h1", "Simulation report: " + HtmlEscape(ctx.trace)) + "\n";
  out += SettingsSection(ctx) + ComparisonSection(runs) + WaitSection(runs);
  out += TimelineSection(runs, results) + StarvedSection(runs);
  out += Tag("p", "Generated by gpusched sim. Times are virtual (trace) time.", "muted");
  return out + "\n</body>\n</html>\n";
}

}  // namespace gpusched::sim
