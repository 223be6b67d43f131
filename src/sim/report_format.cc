// Human units and the comparison rows shared by the text and HTML tables.
#include "sim/report_format.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>

#include <fmt/format.h>

namespace gpusched::sim {
namespace {

// "2.0" -> "2", "2.3" -> "2.3".
std::string OneDecimalTrimmed(double value) {
  std::string s = fmt::format("{:.1f}", value);
  if (s.size() >= 2 && s.ends_with(".0")) s.resize(s.size() - 2);
  return s;
}

// Inserts thousands separators into a string of digits.
std::string GroupDigits(const std::string& digits) {
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Real seconds of the replay: finer than FormatDuration below 10 s.
std::string FormatWall(double seconds) {
  return seconds < 10 ? fmt::format("{:.2f}s", seconds) : FormatDuration(seconds);
}

const ClassReport* FindClass(const PolicyReport& run, const std::string& name) {
  for (const ClassReport& c : run.classes)
    if (c.name == name) return &c;
  return nullptr;
}

using Cell = std::function<std::string(const PolicyReport&)>;
using ClassCell = std::function<std::string(const ClassReport&)>;

// Builds rows with one cell per run.
class RowBuilder {
 public:
  explicit RowBuilder(const std::vector<PolicyReport>& runs) : runs_(runs) {}

  void Section(std::string label) { rows_.push_back({std::move(label), {}, true}); }

  void Row(std::string label, const Cell& cell) {
    ReportRow row{std::move(label), {}, false};
    for (const PolicyReport& run : runs_) row.cells.push_back(cell(run));
    rows_.push_back(std::move(row));
  }

  // A row of class `name`'s figure; "-" for runs without that class.
  void ClassRow(const std::string& name, const std::string& what, const ClassCell& cell) {
    Row(name + " " + what, [&](const PolicyReport& run) {
      const ClassReport* c = FindClass(run, name);
      return c != nullptr ? cell(*c) : std::string("-");
    });
  }

  std::vector<ReportRow> Take() { return std::move(rows_); }

 private:
  const std::vector<PolicyReport>& runs_;
  std::vector<ReportRow> rows_;
};

std::string SlaTarget(const ClassReport& c) {
  if (c.sla_target_s < 0) return "none";
  return fmt::format("p{} <= {}", c.sla_percentile, FormatDuration(double(c.sla_target_s)));
}

void AddClassRows(const std::string& name, RowBuilder& b) {
  auto seconds = [](std::int64_t s) { return FormatDuration(double(s)); };
  b.ClassRow(name, "jobs", [](const ClassReport& c) { return FormatCount(c.jobs); });
  b.ClassRow(name, "wait p50", [&](const ClassReport& c) { return seconds(c.wait_p50_s); });
  b.ClassRow(name, "wait p95", [&](const ClassReport& c) { return seconds(c.wait_p95_s); });
  b.ClassRow(name, "wait p99", [&](const ClassReport& c) { return seconds(c.wait_p99_s); });
  b.ClassRow(name, "wait max", [&](const ClassReport& c) { return seconds(c.wait_max_s); });
  b.ClassRow(name, "SLA target", SlaTarget);
  b.ClassRow(name, "SLA attainment", [](const ClassReport& c) {
    return c.sla_attainment ? FormatPercent(*c.sla_attainment) : std::string("-");
  });
  b.ClassRow(name, "SLA met", [](const ClassReport& c) {
    return c.sla_met ? std::string(*c.sla_met ? "yes" : "no") : std::string("-");
  });
  b.ClassRow(name, "preemptions", [](const ClassReport& c) { return FormatCount(c.preemptions); });
}

void AddOverallRows(RowBuilder& b) {
  auto seconds = [](double s) { return FormatDuration(s); };
  b.Section("jobs and time");
  b.Row("jobs", [](const PolicyReport& r) { return FormatCount(r.jobs); });
  b.Row("completed", [](const PolicyReport& r) { return FormatCount(r.completed); });
  b.Row("starved jobs", [](const PolicyReport& r) { return FormatCount(r.starved_jobs); });
  b.Row("wait p50", [&](const PolicyReport& r) { return seconds(double(r.wait_p50_s)); });
  b.Row("wait p95", [&](const PolicyReport& r) { return seconds(double(r.wait_p95_s)); });
  b.Row("queue delay mean", [&](const PolicyReport& r) { return seconds(r.queue_delay_mean_s); });
  b.Row("JCT mean", [&](const PolicyReport& r) { return seconds(r.jct_mean_s); });
  b.Row("JCT p50", [&](const PolicyReport& r) { return seconds(double(r.jct_p50_s)); });
  b.Row("JCT p95", [&](const PolicyReport& r) { return seconds(double(r.jct_p95_s)); });
  b.Row("makespan", [&](const PolicyReport& r) { return seconds(double(r.makespan_s)); });
  b.Section("GPUs");
  b.Row("GPU utilization", [](const PolicyReport& r) { return FormatPercent(r.gpu_utilization); });
  b.Row("useful utilization",
        [](const PolicyReport& r) { return FormatPercent(r.useful_utilization); });
  b.Row("lost GPU-hours", [](const PolicyReport& r) { return FormatFixed(r.lost_gpu_hours, 1); });
  b.Row("restart GPU-hours",
        [](const PolicyReport& r) { return FormatFixed(r.restart_gpu_hours, 1); });
  b.Row("lost fraction", [](const PolicyReport& r) { return FormatPercent(r.lost_fraction); });
  b.Section("preemption");
  b.Row("preemptions", [](const PolicyReport& r) { return FormatCount(r.preemptions); });
  b.Row("preempted jobs", [](const PolicyReport& r) { return FormatCount(r.preempted_jobs); });
  b.Row("migrations", [](const PolicyReport& r) { return FormatCount(r.migrations); });
  b.Row("max preemptions/job/24h",
        [](const PolicyReport& r) { return FormatCount(r.max_preemptions_per_job_24h); });
  b.Section("replay");
  b.Row("events", [](const PolicyReport& r) { return FormatCount(r.events); });
  b.Row("cycles", [](const PolicyReport& r) { return FormatCount(r.cycles); });
  b.Row("sim wall time", [](const PolicyReport& r) { return FormatWall(r.sim_wall_s); });
  b.Row("events/s", [](const PolicyReport& r) { return FormatFixed(r.events_per_s, 0); });
  b.Row("virtual end", [&](const PolicyReport& r) { return seconds(double(r.virtual_end_s)); });
}

}  // namespace

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds)) return "-";
  if (seconds < 0) return fmt::format("-{}", FormatDuration(-seconds));  // not "-" + s: GCC 12 -O3 false -Wrestrict
  const double tenths = std::round(seconds * 10) / 10;
  if (tenths < 10 && tenths != std::floor(tenths)) return fmt::format("{:.1f}s", tenths);
  const std::int64_t whole = std::llround(seconds);
  if (whole < 60) return fmt::format("{}s", whole);
  if (whole < 3600) {
    const std::int64_t m = whole / 60, s = whole % 60;
    return s == 0 ? fmt::format("{}m", m) : fmt::format("{}m {}s", m, s);
  }
  const double hours = std::round(seconds / 360) / 10;
  if (hours < 48) return OneDecimalTrimmed(hours) + "h";
  return OneDecimalTrimmed(std::round(seconds / 8640) / 10) + "d";
}

std::string FormatPercent(double fraction) { return fmt::format("{:.1f}%", fraction * 100); }

std::string FormatCount(std::int64_t n) {
  // fmt rather than "-" + string: GCC 12 at -O3 warns (falsely) on the latter.
  if (n < 0) return fmt::format("-{}", GroupDigits(std::to_string(-n)));
  return GroupDigits(std::to_string(n));
}

std::string FormatFixed(double value, int decimals) {
  const std::string s = fmt::format("{:.{}f}", value, decimals);
  const std::size_t sign = s.starts_with("-") ? 1 : 0;
  const std::size_t dot = std::min(s.find('.'), s.size());
  return s.substr(0, sign) + GroupDigits(s.substr(sign, dot - sign)) + s.substr(dot);
}

std::vector<std::string> ClassUnion(const std::vector<PolicyReport>& runs) {
  std::vector<std::string> names;
  for (const PolicyReport& run : runs)
    for (const ClassReport& c : run.classes)
      if (std::find(names.begin(), names.end(), c.name) == names.end()) names.push_back(c.name);
  return names;
}

std::vector<ReportRow> ComparisonRows(const std::vector<PolicyReport>& runs) {
  RowBuilder b(runs);
  const std::vector<std::string> classes = ClassUnion(runs);
  if (!classes.empty()) b.Section("waits by class");
  for (const std::string& name : classes) AddClassRows(name, b);
  AddOverallRows(b);
  return b.Take();
}

}  // namespace gpusched::sim
