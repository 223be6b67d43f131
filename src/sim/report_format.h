// Human units for the report, and the comparison rows that the text table
// and the HTML table both show. Pure and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "sim/report.h"

namespace gpusched::sim {

// A duration in seconds, compactly:
//   under 10 s   "0s", "7s", "2.5s" (one decimal only when not whole)
//   under 1 min  "42s"
//   under 1 h    "4m 12s", "5m" (whole seconds, rounded)
//   under 48 h   "2.3h", "2h" (one decimal, a trailing ".0" dropped)
//   otherwise    "3.5d", "12d"
// Negative values get a leading "-". Values that round up cross into the
// next unit ("59.7" is "1m", not "60s").
std::string FormatDuration(double seconds);

// A fraction as a percentage with one decimal: 0.9312 -> "93.1%".
std::string FormatPercent(double fraction);

// An integer with thousands separators: 1234567 -> "1,234,567".
std::string FormatCount(std::int64_t n);

// A non-negative rate or amount with `decimals` decimals, thousands
// separated in the integer part: (12345.678, 1) -> "12,345.7".
std::string FormatFixed(double value, int decimals);

// The class names of the runs, in order of first appearance.
std::vector<std::string> ClassUnion(const std::vector<PolicyReport>& runs);

// One row of the comparison: a label and one cell per run. A section row
// (a heading such as "wait by class: critical") has no cells.
struct ReportRow {
  std::string label;
  std::vector<std::string> cells;
  bool section = false;
};

// The rows of the comparison table: per class (the union of the runs'
// classes, in order of first appearance) its jobs, waits p50/p95/p99/max,
// SLA target, attainment and whether it was met; then jobs and time
// figures, utilization, preemptions, losses, starvation and the replay's
// cost. A run without some class shows "-" there.
std::vector<ReportRow> ComparisonRows(const std::vector<PolicyReport>& runs);

}  // namespace gpusched::sim
