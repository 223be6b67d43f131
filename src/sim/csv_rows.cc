#include "sim/csv_rows.h"

#include <charconv>
#include <cmath>
#include <system_error>

#include <fmt/format.h>

namespace gpusched::sim::csv {
namespace {

tl::unexpected<Error> LineError(std::size_t line, std::string_view message) {
  return MakeError(ErrorCode::kInvalidArgument, fmt::format("line {}: {}", line, message));
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return fields;
    }
    fields.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

}  // namespace

Result<Table> Split(std::string_view text, std::span<const std::string_view> columns) {
  Table table;
  table.columns.assign(columns.begin(), columns.end());
  const std::string expected_header = fmt::format("{}", fmt::join(columns, ","));
  bool header_seen = false;
  std::size_t start = 0;
  for (std::size_t line = 1; start < text.size(); ++line) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view content = text.substr(start, end - start);
    start = end + 1;
    if (content.ends_with('\r')) content.remove_suffix(1);
    if (IsBlank(content)) continue;
    if (content.find('"') != std::string_view::npos) {
      return LineError(line, "quoted fields are not supported");
    }
    if (!header_seen) {
      if (content != expected_header) {
        return LineError(
            line, fmt::format("header must be \"{}\", got \"{}\"", expected_header, content));
      }
      header_seen = true;
      continue;
    }
    Row row{line, SplitFields(content)};
    if (row.fields.size() != columns.size()) {
      return LineError(
          line, fmt::format("expected {} fields, got {}", columns.size(), row.fields.size()));
    }
    table.rows.push_back(std::move(row));
  }
  if (!header_seen) return LineError(1, fmt::format("missing header \"{}\"", expected_header));
  return table;
}

tl::unexpected<Error> FieldError(const Row& row, std::string_view column, std::string_view expected,
                                 std::string_view got) {
  return LineError(row.line, fmt::format("\"{}\": must be {}, got \"{}\"", column, expected, got));
}

tl::unexpected<Error> Fields::Bad(std::size_t col, std::string_view expected) const {
  return FieldError(row_, table_.columns[col], expected, row_.fields[col]);
}

Result<std::string_view> Fields::NonEmpty(std::size_t col) const {
  if (Text(col).empty()) return Bad(col, "non-empty");
  return Text(col);
}

Result<std::int64_t> Fields::Int(std::size_t col, std::int64_t min, std::int64_t max,
                                 std::string_view expected) const {
  const std::string_view s = Text(col);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || value < min || value > max) {
    return Bad(col, expected);
  }
  return value;
}

Result<double> Fields::NumberAbove(std::size_t col, double above, std::string_view expected) const {
  const std::string_view s = Text(col);
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value) ||
      !(value > above)) {
    return Bad(col, expected);
  }
  return value;
}

}  // namespace gpusched::sim::csv
