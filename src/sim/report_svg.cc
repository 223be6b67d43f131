// The SVG chart helpers: axes and frames shared by both chart kinds, then
// the line chart and the range chart.
#include "sim/report_svg.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

#include "sim/report_format.h"

namespace gpusched::sim {
namespace {

constexpr const char* kSvgNamespace = "http://www.w3.org/2000/svg";
constexpr double kLeft = 64, kRight = 20, kTop = 58, kBottom = 44;

// The plot area of a chart, in SVG pixels, with value scales.
struct Frame {
  double x0, x1, y0, y1;  // left, right, top, bottom
  Axis x_axis, y_axis;
  double X(double v) const {
    const double share =
        x_axis.log ? std::log10(1 + std::max(0.0, v)) / std::log10(1 + x_axis.max) : v / x_axis.max;
    return x0 + (x1 - x0) * share;
  }
  double Y(double v) const { return y1 - (y1 - y0) * v / y_axis.max; }
};

std::string Num(double v) { return fmt::format("{:.1f}", v); }

std::string SvgOpen(int width, int height, const std::string& title) {
  return fmt::format(
      "<svg xmlns=\"{}\" class=\"chart\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "role=\"img\" aria-label=\"{}\">\n<text class=\"title\" x=\"{}\" y=\"20\">{}</text>\n",
      kSvgNamespace, width, height, width, height, HtmlEscape(title), kLeft, HtmlEscape(title));
}

// A row of colour swatches with labels under the title.
std::string Legend(const std::vector<ChartSeries>& series) {
  std::string out;
  double x = kLeft;
  for (const ChartSeries& s : series) {
    out += fmt::format("<rect x=\"{}\" y=\"32\" width=\"12\" height=\"12\" fill=\"{}\"/>", Num(x),
                       HtmlEscape(s.color));
    out += fmt::format("<text x=\"{}\" y=\"42\">{}</text>\n", Num(x + 16), HtmlEscape(s.label));
    x += 32 + 7 * double(s.label.size());
  }
  return out;
}

// Vertical grid lines and labels for the x ticks, and the x axis label.
std::string XAxis(const Frame& f, AxisFormat format, const std::string& label, double height) {
  std::string out;
  for (double t : f.x_axis.ticks) {
    out += fmt::format("<line class=\"grid\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>",
                       Num(f.X(t)), Num(f.y0), Num(f.y1));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", Num(f.X(t)),
                       Num(f.y1 + 16), HtmlEscape(FormatTick(t, format)));
  }
  out += fmt::format("<line class=\"axis\" x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\"/>",
                     Num(f.x0), Num(f.x1), Num(f.y1));
  out += fmt::format("<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                     Num((f.x0 + f.x1) / 2), Num(height - 6), HtmlEscape(label));
  return out;
}

// Horizontal grid lines and labels for the y ticks, and the rotated label.
std::string YAxis(const Frame& f, AxisFormat format, const std::string& label) {
  std::string out;
  for (double t : f.y_axis.ticks) {
    out += fmt::format("<line class=\"grid\" x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\"/>",
                       Num(f.x0), Num(f.x1), Num(f.Y(t)));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", Num(f.x0 - 6),
                       Num(f.Y(t) + 4), HtmlEscape(FormatTick(t, format)));
  }
  out += fmt::format("<line class=\"axis\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>",
                     Num(f.x0), Num(f.y0), Num(f.y1));
  const double mid = (f.y0 + f.y1) / 2;
  out += fmt::format(
      "<text class=\"label\" x=\"14\" y=\"{0}\" text-anchor=\"middle\" "
      "transform=\"rotate(-90 14 {0})\">{1}</text>\n",
      Num(mid), HtmlEscape(label));
  return out;
}

std::string Polyline(const Frame& f, const ChartSeries& s, std::size_t max_points) {
  std::string points;
  for (const XY& p : Downsample(s.points, max_points))
    points += Num(f.X(p.x)) + "," + Num(f.Y(p.y)) + " ";
  if (!points.empty()) points.pop_back();
  return fmt::format(
      "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\" points=\"{}\"><title>{}</title>"
      "</polyline>\n",
      HtmlEscape(s.color), points, HtmlEscape(s.label));
}

// The duration steps an axis may use, in seconds, before 1-2-5 × days.
constexpr std::array<double, 18> kDurationSteps = {
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};

// The candidate step after `step` for `format`.
double NextStep(double step, AxisFormat format) {
  if (format == AxisFormat::kDuration) {
    auto it = std::upper_bound(kDurationSteps.begin(), kDurationSteps.end(), step);
    if (it != kDurationSteps.end()) return *it;
    return 86400 * NextStep(step / 86400, AxisFormat::kCount);  // 1-2-5 days
  }
  const double magnitude = std::pow(10.0, std::floor(std::log10(step) + 1e-9));
  const double mantissa = std::round(step / magnitude);
  return mantissa < 2 ? 2 * magnitude : mantissa < 5 ? 5 * magnitude : 10 * magnitude;
}

constexpr double kRangeRow = 28;    // pixels per bar of a range chart
constexpr double kRangeLeft = 140;  // room for the bar labels

// One bar of a range chart, centred on `cy`, with its figures as tooltip.
std::string RangeRow(const Frame& f, const RangeBar& b, double cy, AxisFormat format) {
  const std::string color = HtmlEscape(b.color);
  std::string out =
      fmt::format("<g><title>{}: p50 {}, p95 {}, p99 {}, max {}</title>\n", HtmlEscape(b.label),
                  HtmlEscape(FormatTick(b.p50, format)), HtmlEscape(FormatTick(b.p95, format)),
                  HtmlEscape(FormatTick(b.p99, format)), HtmlEscape(FormatTick(b.max, format)));
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", Num(f.x0 - 8),
                     Num(cy + 4), HtmlEscape(b.label));
  out += fmt::format(
      "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"1.5\"/>",
      Num(f.X(0)), Num(f.X(b.p99)), Num(cy), color);
  out += fmt::format(
      "<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"1.5\"/>",
      Num(f.X(b.p99)), Num(cy - 6), Num(cy + 6), color);
  out += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"16\" fill=\"{}\" fill-opacity=\"0.8\"/>",
      Num(f.X(b.p50)), Num(cy - 8), Num(std::max(2.0, f.X(b.p95) - f.X(b.p50))), color);
  out += fmt::format(
      "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"#fff\" stroke=\"{}\" "
      "stroke-width=\"1.5\"/>\n</g>\n",
      Num(f.X(b.max)), Num(cy), color);
  return out;
}

Axis RangeAxis(double max_x, const RangeChartSpec& spec) {
  return spec.log_scale && spec.x_format == AxisFormat::kDuration ? LogDurationAxis(max_x)
                                                                  : NiceAxis(max_x, spec.x_format);
}

// The dashed reference line across the rows.
std::string ReferenceLine(const Frame& f, double at) {
  return fmt::format("<line class=\"reference\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>\n",
                     Num(f.X(at)), Num(f.y0 - 4), Num(f.y1));
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string SeriesColor(std::size_t index) {
  static constexpr std::array<const char*, 8> kPalette = {
      "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f"};
  return kPalette[index % kPalette.size()];
}

Axis NiceAxis(double max_value, AxisFormat format) {
  if (!(max_value > 0)) max_value = format == AxisFormat::kDuration ? 60 : 1;
  double step = format == AxisFormat::kPercent ? 0.01 : 1;
  while (std::ceil(max_value / step - 1e-9) > 5) step = NextStep(step, format);
  const int n = int(std::max(1.0, std::ceil(max_value / step - 1e-9)));
  Axis axis;
  axis.max = n * step;
  for (int i = 0; i <= n; ++i) axis.ticks.push_back(i * step);
  return axis;
}

Axis LogDurationAxis(double max_value) {
  static constexpr std::array<double, 9> kTicks = {
      10, 60, 600, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400};
  Axis axis;
  axis.log = true;
  axis.ticks.push_back(0);
  for (double t : kTicks) {
    axis.ticks.push_back(t);
    axis.max = t;
    if (t >= max_value && t >= 60) break;
  }
  return axis;
}

std::string FormatTick(double value, AxisFormat format) {
  switch (format) {
    case AxisFormat::kPercent: return fmt::format("{:.0f}%", value * 100);
    case AxisFormat::kDuration: return FormatDuration(value);
    case AxisFormat::kCount: break;
  }
  return FormatCount(std::llround(value));
}

std::vector<XY> Downsample(const std::vector<XY>& points, std::size_t max_points) {
  if (points.size() <= max_points || max_points < 2) return points;
  const std::size_t last = points.size() - 1;
  const std::size_t stride = (last + max_points - 2) / (max_points - 1);  // ceil
  std::vector<XY> out;
  for (std::size_t i = 0; i < last; i += stride) out.push_back(points[i]);
  out.push_back(points[last]);
  return out;
}

std::string LineChart(const LineChartSpec& spec, const std::vector<ChartSeries>& series) {
  double max_x = 0, max_y = spec.y_max.value_or(0);
  std::size_t count = 0;
  for (const ChartSeries& s : series) {
    for (const XY& p : s.points) {
      max_x = std::max(max_x, p.x);
      max_y = std::max(max_y, p.y);
    }
    count += s.points.size();
  }
  const double w = spec.width, h = spec.height;
  const Frame f{kLeft,
                w - kRight,
                kTop,
                h - kBottom,
                NiceAxis(max_x, spec.x_format),
                NiceAxis(max_y, spec.y_format)};
  std::string out = SvgOpen(spec.width, spec.height, spec.title) + Legend(series);
  out += YAxis(f, spec.y_format, spec.y_label) + XAxis(f, spec.x_format, spec.x_label, h);
  for (const ChartSeries& s : series)
    out += Polyline(f, s, std::max<std::size_t>(2, spec.max_points));
  if (count == 0)
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data</text>\n",
                       Num((f.x0 + f.x1) / 2), Num((f.y0 + f.y1) / 2));
  return out + "</svg>\n";
}

std::string RangeChart(const RangeChartSpec& spec, const std::vector<RangeBar>& bars) {
  double max_x = spec.reference.value_or(0);
  for (const RangeBar& b : bars) max_x = std::max({max_x, b.p50, b.p95, b.p99, b.max});
  const double w = spec.width;
  const double h = kTop + kRangeRow * double(std::max<std::size_t>(1, bars.size())) + kBottom;
  const Frame f{kRangeLeft, w - kRight, kTop, h - kBottom, RangeAxis(max_x, spec), Axis{}};
  std::string out = SvgOpen(spec.width, int(h), spec.title);
  std::string key = "bar: p50 to p95; whisker: to p99; dot: max";
  if (spec.reference) key += "; dashed line: " + spec.reference_label;
  if (f.x_axis.log) key += "; log scale";
  out += fmt::format("<text class=\"key\" x=\"{}\" y=\"42\">{}</text>\n", kLeft, HtmlEscape(key));
  out += XAxis(f, spec.x_format, spec.x_label, h);
  for (std::size_t i = 0; i < bars.size(); ++i)
    out += RangeRow(f, bars[i], f.y0 + kRangeRow * (double(i) + 0.5), spec.x_format);
  if (spec.reference) out += ReferenceLine(f, *spec.reference);
  if (bars.empty())
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data</text>\n",
                       Num((f.x0 + f.x1) / 2), Num((f.y0 + f.y1) / 2));
  return out + "</svg>\n";
}

}  // namespace gpusched::sim
