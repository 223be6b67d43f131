// Small inline-SVG chart helpers for the HTML report, generic enough for the
// web dashboard to borrow: a line chart of (x, y) series and a chart of
// per-row ranges (p50..p95 bar, whisker to p99, dot at max). Every string
// they insert is HTML-escaped; the only URL they emit is the SVG namespace.
// Sizes are bounded: a line chart draws at most LineChartSpec::max_points
// points per series. Pure and thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpusched::sim {

// `text` with & < > " ' replaced by entities: safe in element content and
// in quoted attribute values.
std::string HtmlEscape(std::string_view text);

// The colour of the index-th policy ("#4e79a7", ...); cycles after 8.
std::string SeriesColor(std::size_t index);

// How axis ticks are chosen and labelled.
enum class AxisFormat {
  kCount,     // whole numbers: "0", "5", "1,000"
  kPercent,   // fractions shown as percentages: 0.25 -> "25%"
  kDuration,  // seconds, in FormatDuration's units: "30m", "2h"
};

// An axis from 0 to `max` (>= the data's maximum) with evenly spaced ticks
// at "nice" steps (1-2-5 steps; for durations whole minutes, hours or days).
struct Axis {
  double max = 1;
  std::vector<double> ticks;  // from 0 to max inclusive
  bool log = false;           // positions by log10(1 + value), else linear
};
// REQUIRES: max_value is finite. A max_value <= 0 gives a default axis
// (0..1, or 0..1m for durations).
Axis NiceAxis(double max_value, AxisFormat format);
// A logarithmic duration axis for values spanning seconds to days: ticks
// at 0, 10s, 1m, 10m, 1h, 6h, 1d, 7d, 30d, 365d up to the first at or above
// max_value (at least 1m).
Axis LogDurationAxis(double max_value);
std::string FormatTick(double value, AxisFormat format);

struct XY {
  double x = 0;
  double y = 0;
};

// At most `max_points` of `points`, evenly strided, keeping the first and
// the last. REQUIRES: max_points >= 2.
std::vector<XY> Downsample(const std::vector<XY>& points, std::size_t max_points);

struct ChartSeries {
  std::string label;  // shown in the legend
  std::string color;  // a CSS colour
  std::vector<XY> points;
};

struct LineChartSpec {
  std::string title{};
  std::string x_label{};
  std::string y_label{};
  AxisFormat x_format = AxisFormat::kDuration;
  AxisFormat y_format = AxisFormat::kCount;
  std::optional<double> y_max{};  // the y axis reaches at least this
  int width = 760;
  int height = 300;
  std::size_t max_points = 400;  // per series, >= 2
};

// One <svg> element: title, legend, gridded axes from 0, one polyline per
// series (x >= 0 assumed). With no points at all it says "no data".
std::string LineChart(const LineChartSpec& spec, const std::vector<ChartSeries>& series);

// One row of a range chart.
struct RangeBar {
  std::string label;  // left of the row
  std::string color;
  double p50 = 0, p95 = 0, p99 = 0, max = 0;
};

struct RangeChartSpec {
  std::string title{};
  std::string x_label{};
  AxisFormat x_format = AxisFormat::kDuration;
  std::optional<double> reference{};  // a dashed vertical line, e.g. a target
  std::string reference_label{};
  // A LogDurationAxis (x_format must be kDuration), so that short waits stay
  // visible beside waits of days; else a linear NiceAxis.
  bool log_scale = true;
  int width = 760;
};

// One <svg> element with one row per bar: a bar from p50 to p95, a whisker
// from 0 to p99 with a tick at p99, a dot at max, and the figures as a
// tooltip. Its height grows with the number of bars.
std::string RangeChart(const RangeChartSpec& spec, const std::vector<RangeBar>& bars);

}  // namespace gpusched::sim
