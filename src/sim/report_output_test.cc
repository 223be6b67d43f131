// The report's three outputs, as a specification: the JSON keys and shape,
// the human units of the text table, and an HTML page that is escaped,
// self-contained and has one SVG per chart.
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sim/report.h"
#include "sim/report_format.h"
#include "sim/report_svg.h"
#include "sim/report_test_builders.h"

namespace gpusched::sim {
namespace {

using report_testing::Outcome;
using report_testing::ResultBuilder;

// Two classes (critical with a 5-minute p95 target, low without), a
// completed job in each and a starved one, and a short timeline.
SimResult Sample(const std::string& policy, const std::string& starved_id = "stuck") {
  return ResultBuilder(policy)
      .Gpus(4)
      .Class("critical", 300, 95)
      .Class("low")
      .Job(Outcome("c1").Class("critical").Submit(0).Ran(252, 1000).Work(3000).Held(3000))
      .Job(Outcome("l1").Class("low").Submit(10).Ran(20, 2000).Work(4000).Held(4400).Lost(400))
      .Job(Outcome(starved_id).Class("low").Submit(30).WaitReason("needs 8 GPUs"))
      .EndAt(2000)
      .Cost(1200, 30, 0.5)
      .Sample(0, 1, {1, 2}, 0)
      .Sample(1000, 4, {0, 1}, 1)
      .Sample(2000, 2, {0, 1}, 2)
      .Build();
}

ReportContext Context(const std::string& trace = "philly-mini.jsonl") {
  return ReportContext{trace, "jsonl", "1 node, 4 GPUs", "42", {{"horizon_s", "0"}}};
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size()))
    ++n;
  return n;
}

// --- formatting --------------------------------------------------------------

TEST(ReportFormat, DurationsUseTheLargestSensibleUnit) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(7), "7s");
  EXPECT_EQ(FormatDuration(2.5), "2.5s");
  EXPECT_EQ(FormatDuration(42), "42s");
  EXPECT_EQ(FormatDuration(59.7), "1m");
  EXPECT_EQ(FormatDuration(252), "4m 12s");
  EXPECT_EQ(FormatDuration(300), "5m");
  EXPECT_EQ(FormatDuration(3599.6), "1h");
  EXPECT_EQ(FormatDuration(7200), "2h");
  EXPECT_EQ(FormatDuration(8280), "2.3h");
  EXPECT_EQ(FormatDuration(172800), "2d");
  EXPECT_EQ(FormatDuration(302400), "3.5d");
  EXPECT_EQ(FormatDuration(-90), "-1m 30s");
}

TEST(ReportFormat, PercentCountAndFixed) {
  EXPECT_EQ(FormatPercent(0.9312), "93.1%");
  EXPECT_EQ(FormatPercent(1), "100.0%");
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(999), "999");
  EXPECT_EQ(FormatCount(1234567), "1,234,567");
  EXPECT_EQ(FormatCount(-1234), "-1,234");
  EXPECT_EQ(FormatFixed(12345.678, 1), "12,345.7");
  EXPECT_EQ(FormatFixed(999.96, 1), "1,000.0");
  EXPECT_EQ(FormatFixed(-1234.5, 1), "-1,234.5");
}

// --- JSON ------------------------------------------------------------------

TEST(ReportJson, OneRunIsAnObjectWithEveryRequiredKey) {
  const auto json = nlohmann::json::parse(ReportJson({ComputeReport(Sample("fifo"))}, Context()));
  for (const char* key :
       {"policy", "jobs", "completed", "classes", "jct_mean_s", "jct_p95_s", "queue_delay_mean_s",
        "makespan_s", "gpu_utilization", "preemptions", "max_preemptions_per_job_24h",
        "lost_gpu_hours", "lost_fraction", "starved_jobs", "sim_wall_s", "events", "settings"})
    EXPECT_TRUE(json.contains(key)) << key;
  for (const char* name : {"critical", "low"}) {
    ASSERT_TRUE(json["classes"].contains(name)) << name;
    for (const char* key : {"jobs", "wait_p50_s", "wait_p95_s", "wait_p99_s", "wait_max_s",
                            "sla_target_s", "sla_attainment"})
      EXPECT_TRUE(json["classes"][name].contains(key)) << name << "." << key;
  }
  EXPECT_FALSE(json.contains("runs"));
  EXPECT_FALSE(json.contains("timeline"));
}

TEST(ReportJson, FiguresAreNumbersAndMissingTargetsAreNull) {
  const auto json = nlohmann::json::parse(ReportJson({ComputeReport(Sample("fifo"))}, Context()));
  EXPECT_EQ(json["policy"], "fifo");
  EXPECT_EQ(json["jobs"], 3);
  EXPECT_EQ(json["starved_jobs"], 1);
  EXPECT_EQ(json["classes"]["critical"]["wait_p95_s"], 252);
  EXPECT_EQ(json["classes"]["critical"]["sla_target_s"], 300);
  EXPECT_EQ(json["classes"]["critical"]["sla_attainment"], 1.0);
  EXPECT_EQ(json["classes"]["critical"]["sla_met"], true);
  EXPECT_TRUE(json["classes"]["low"]["sla_target_s"].is_null());
  EXPECT_TRUE(json["classes"]["low"]["sla_attainment"].is_null());
  EXPECT_TRUE(json["makespan_s"].is_number_integer());
  EXPECT_DOUBLE_EQ(json["lost_fraction"].get<double>(), 0.0571);  // 400 / 7000, 4 decimals
  EXPECT_EQ(json["starved_examples"][0]["id"], "stuck");
  EXPECT_EQ(json["starved_examples"][0]["wait_reason"], "needs 8 GPUs");
}

TEST(ReportJson, ClassesKeepTheirOrder) {
  const std::string text = ReportJson({ComputeReport(Sample("fifo"))}, Context());
  EXPECT_LT(text.find("\"critical\""), text.find("\"low\""));
}

TEST(ReportJson, SeveralRunsAreARunsArrayBesideTheSettings) {
  const auto json = nlohmann::json::parse(
      ReportJson({ComputeReport(Sample("fifo")), ComputeReport(Sample("gpusched"))}, Context()));
  ASSERT_TRUE(json["runs"].is_array());
  ASSERT_EQ(json["runs"].size(), 2u);
  EXPECT_EQ(json["runs"][0]["policy"], "fifo");
  EXPECT_EQ(json["runs"][1]["policy"], "gpusched");
  EXPECT_TRUE(json["runs"][1]["classes"].contains("critical"));
  EXPECT_FALSE(json.contains("policy"));
  EXPECT_EQ(json["settings"]["trace"], "philly-mini.jsonl");
  EXPECT_EQ(json["settings"]["seed"], "42");
  EXPECT_EQ(json["settings"]["horizon_s"], "0");
}

TEST(ReportJson, IsPrettyPrintedWithIndentTwo) {
  const std::string text = ReportJson({ComputeReport(Sample("fifo"))}, Context());
  EXPECT_NE(text.find("\n  \"policy\": \"fifo\""), std::string::npos) << text;
}

// --- text table -------------------------------------------------------------

TEST(ReportTable, HasAColumnPerPolicyAndHumanUnits) {
  PolicyReport fifo = ComputeReport(Sample("fifo"));
  fifo.gpu_utilization = 0.9312;
  const std::string table = ReportTable({fifo, ComputeReport(Sample("gpusched"))});
  EXPECT_NE(table.find("fifo"), std::string::npos);
  EXPECT_NE(table.find("gpusched"), std::string::npos);
  EXPECT_NE(table.find("critical wait p95"), std::string::npos);
  EXPECT_NE(table.find("4m 12s"), std::string::npos);  // critical's 252 s wait
  EXPECT_NE(table.find("93.1%"), std::string::npos);
  EXPECT_NE(table.find("critical SLA attainment"), std::string::npos);
  EXPECT_NE(table.find("p95 <= 5m"), std::string::npos);
  EXPECT_NE(table.find("lost GPU-hours"), std::string::npos);
  EXPECT_NE(table.find("max preemptions/job/24h"), std::string::npos);
  EXPECT_NE(table.find("2,400"), std::string::npos);  // events/s: 1200 / 0.5 s
  EXPECT_NE(table.find("stuck (low): needs 8 GPUs"), std::string::npos);
}

// The cells after `label` on the table's row for it, split at spaces; empty
// when no row has that label. (No <regex>: GCC 12 warns falsely inside it
// under the sanitizers.)
std::vector<std::string> RowCells(const std::string& table, const std::string& label) {
  const std::string key = "\n  " + label + " ";
  const std::size_t at = table.find(key);
  if (at == std::string::npos) return {};
  const std::size_t end = table.find('\n', at + 1);
  std::istringstream rest(table.substr(at + key.size(), end - at - key.size()));
  std::vector<std::string> cells;
  for (std::string cell; rest >> cell;) cells.push_back(cell);
  return cells;
}

TEST(ReportTable, FiguresLineUpInRightAlignedColumns) {
  const std::string table =
      ReportTable({ComputeReport(Sample("fifo")), ComputeReport(Sample("gpusched"))});
  EXPECT_EQ(RowCells(table, "jobs"), (std::vector<std::string>{"3", "3"})) << table;
  std::size_t width = 0;
  std::size_t start = table.find("\n  jobs");
  std::size_t other = table.find("\n  completed");
  ASSERT_NE(start, std::string::npos);
  ASSERT_NE(other, std::string::npos);
  width = table.find('\n', start + 1) - start;
  EXPECT_EQ(table.find('\n', other + 1) - other, width);
}

TEST(ReportTable, ARunWithoutAClassShowsADash) {
  PolicyReport a = ComputeReport(Sample("fifo"));
  PolicyReport b = a;
  b.policy = "other";
  b.classes.pop_back();  // no "low"
  const std::string table = ReportTable({a, b});
  EXPECT_EQ(RowCells(table, "low jobs"), (std::vector<std::string>{"2", "-"})) << table;
}

// --- HTML -------------------------------------------------------------------

std::string Html(const std::string& trace, const std::string& starved_id = "stuck") {
  const SimResult fifo = Sample("fifo", starved_id), gpusched = Sample("gpusched", starved_id);
  return ReportHtml({ComputeReport(fifo), ComputeReport(gpusched)}, {&fifo, &gpusched},
                    Context(trace));
}

TEST(ReportHtml, EscapesNamesFromTheTraceAndSettings) {
  const std::string html = Html("<script>alert(1)</script>", "<script>job</script>");
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;job&lt;/script&gt;"), std::string::npos);
}

TEST(ReportHtml, HasOneSvgPerChart) {
  const std::string html = Html("t.jsonl");
  // Wait ranges of 2 classes, then utilization, queue length, preemptions.
  EXPECT_EQ(Count(html, "<svg"), 5);
  EXPECT_EQ(Count(html, "</svg>"), 5);
  EXPECT_NE(html.find("Wait of class critical"), std::string::npos);
  EXPECT_NE(html.find("GPU utilization"), std::string::npos);
  EXPECT_NE(html.find("Queue length"), std::string::npos);
  EXPECT_NE(html.find("Cumulative preemptions"), std::string::npos);
  EXPECT_EQ(Count(html, "<polyline"), 6);  // 3 charts x 2 policies
}

TEST(ReportHtml, ReferencesNothingButTheSvgNamespace) {
  std::string html = Html("t.jsonl");
  const std::string ns = "xmlns=\"http://www.w3.org/2000/svg\"";
  EXPECT_GT(Count(html, ns), 0);
  for (std::size_t at = html.find(ns); at != std::string::npos; at = html.find(ns))
    html.erase(at, ns.size());
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
}

TEST(ReportHtml, ShowsSettingsComparisonAndPolicyColours) {
  const std::string html = Html("philly-mini.jsonl");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<td>1 node, 4 GPUs</td>"), std::string::npos);
  EXPECT_NE(html.find("critical wait p95"), std::string::npos);
  EXPECT_NE(html.find(">4m 12s<"), std::string::npos);
  // fifo's colour in the table heading and on its lines.
  EXPECT_GE(Count(html, SeriesColor(0)), 4);
  EXPECT_GE(Count(html, SeriesColor(1)), 4);
}

TEST(ReportHtml, PolicyWithoutResultHasNoLines) {
  const SimResult fifo = Sample("fifo");
  const std::string html =
      ReportHtml({ComputeReport(fifo), ComputeReport(Sample("k8s"))}, {&fifo, nullptr}, Context());
  EXPECT_EQ(Count(html, "<polyline"), 3);
  EXPECT_EQ(Count(html, "<svg"), 5);
}

// --- chart helpers ----------------------------------------------------------

TEST(ReportSvg, AxesStopAtANiceValueAboveTheData) {
  const Axis percent = NiceAxis(1, AxisFormat::kPercent);
  EXPECT_DOUBLE_EQ(percent.max, 1);
  EXPECT_EQ(percent.ticks.size(), 6u);
  const Axis time = NiceAxis(7000, AxisFormat::kDuration);
  EXPECT_DOUBLE_EQ(time.max, 7200);  // 4 steps of 30 minutes
  EXPECT_EQ(FormatTick(time.ticks[1], AxisFormat::kDuration), "30m");
  const Axis days = NiceAxis(9 * 86400, AxisFormat::kDuration);
  EXPECT_DOUBLE_EQ(days.max, 10 * 86400);  // 5 steps of 2 days
  const Axis count = NiceAxis(13, AxisFormat::kCount);
  EXPECT_DOUBLE_EQ(count.max, 15);
  EXPECT_DOUBLE_EQ(NiceAxis(0, AxisFormat::kDuration).max, 60);
  EXPECT_DOUBLE_EQ(NiceAxis(0.5, AxisFormat::kCount).max, 1);
}

TEST(ReportSvg, LogDurationAxisTicksAtRoundDurationsUpToTheFirstAboveTheData) {
  const Axis hour = LogDurationAxis(3000);
  EXPECT_TRUE(hour.log);
  EXPECT_EQ(hour.ticks, (std::vector<double>{0, 10, 60, 600, 3600}));
  EXPECT_DOUBLE_EQ(hour.max, 3600);
  EXPECT_DOUBLE_EQ(LogDurationAxis(0).max, 60);
  EXPECT_DOUBLE_EQ(LogDurationAxis(1e12).max, 365 * 86400.0);
}

TEST(ReportSvg, DownsampleKeepsAtMostTheLimitWithFirstAndLast) {
  std::vector<XY> points;
  for (int i = 0; i < 1000; ++i) points.push_back({double(i), double(i)});
  const std::vector<XY> few = Downsample(points, 400);
  EXPECT_LE(few.size(), 400u);
  EXPECT_GE(few.size(), 300u);
  EXPECT_DOUBLE_EQ(few.front().x, 0);
  EXPECT_DOUBLE_EQ(few.back().x, 999);
  EXPECT_EQ(Downsample(points, 2000).size(), 1000u);
}

TEST(ReportSvg, LineChartEscapesLabelsAndSaysWhenEmpty) {
  LineChartSpec spec{.title = "a < b", .x_label = "x", .y_label = "y"};
  const std::string empty = LineChart(spec, {});
  EXPECT_NE(empty.find("no data"), std::string::npos);
  EXPECT_NE(empty.find("a &lt; b"), std::string::npos);
  const std::string one = LineChart(spec, {{"p&q", "#000", {{0, 1}, {60, 2}}}});
  EXPECT_NE(one.find("p&amp;q"), std::string::npos);
  EXPECT_EQ(one.find("no data"), std::string::npos);
}

}  // namespace
}  // namespace gpusched::sim
