// The text table for stdout: the comparison rows laid out in fixed-width
// columns, labels left-aligned and figures right-aligned.
#include <algorithm>
#include <cstddef>
#include <string>

#include <fmt/format.h>

#include "sim/report.h"
#include "sim/report_format.h"

namespace gpusched::sim {
namespace {

constexpr std::size_t kGap = 2;        // spaces between columns
constexpr const char* kIndent = "  ";  // before a row's label, under its section

// The widest indented row label.
std::size_t LabelWidth(const std::vector<ReportRow>& rows) {
  std::size_t width = 0;
  for (const ReportRow& row : rows)
    if (!row.section) width = std::max(width, row.label.size());
  return width + std::string(kIndent).size();
}

// Column i is as wide as its policy name or widest cell.
std::vector<std::size_t> ColumnWidths(const std::vector<PolicyReport>& runs,
                                      const std::vector<ReportRow>& rows) {
  std::vector<std::size_t> widths;
  for (const PolicyReport& run : runs) widths.push_back(run.policy.size());
  for (const ReportRow& row : rows)
    for (std::size_t i = 0; i < row.cells.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], row.cells[i].size());
  return widths;
}

std::string Line(const std::string& label, const std::vector<std::string>& cells,
                 std::size_t label_width, const std::vector<std::size_t>& widths) {
  std::string line = fmt::format("{:<{}}", label, label_width);
  for (std::size_t i = 0; i < cells.size() && i < widths.size(); ++i)
    line += fmt::format("{:>{}}", cells[i], widths[i] + kGap);
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line + "\n";
}

// "fifo: 3 jobs did not complete, e.g." followed by one line per example.
std::string StarvedNotes(const std::vector<PolicyReport>& runs) {
  std::string out;
  for (const PolicyReport& run : runs) {
    if (run.starved.empty()) continue;
    out += fmt::format("\n{}: {} job(s) did not complete{}\n", run.policy, run.starved_jobs,
                       run.starved_jobs > int(run.starved.size()) ? ", among them" : "");
    for (const StarvedJob& job : run.starved) {
      const std::string reason =
          job.wait_reason.empty() ? "started, not finished" : job.wait_reason;
      out += fmt::format("  {} ({}): {}\n", job.id, job.class_name, reason);
    }
  }
  return out;
}

}  // namespace

std::string ReportTable(const std::vector<PolicyReport>& runs) {
  const std::vector<ReportRow> rows = ComparisonRows(runs);
  const std::size_t label_width = LabelWidth(rows);
  const std::vector<std::size_t> widths = ColumnWidths(runs, rows);
  std::vector<std::string> header;
  for (const PolicyReport& run : runs) header.push_back(run.policy);
  std::string out = Line("", header, label_width, widths);
  std::size_t total = label_width;
  for (std::size_t w : widths) total += w + kGap;
  out += std::string(total, '-') + "\n";
  for (const ReportRow& row : rows) {
    if (row.section) {
      out += (&row == &rows.front() ? "" : "\n") + row.label + "\n";
    } else {
      out += Line(kIndent + row.label, row.cells, label_width, widths);
    }
  }
  return out + StarvedNotes(runs);
}

}  // namespace gpusched::sim
