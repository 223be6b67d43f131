// Internal to the trace readers: the plain CSV of the public cluster traces,
// split into rows of fields, with typed field readers whose errors name the
// 1-based line and the column.
//
// Scope: the trace files are unquoted comma-separated text ("a,b,c"), with
// "\n" or "\r\n" line ends and possibly blank lines (Philly's file ends with
// one). That is all this reads: a '"' anywhere is an error rather than a
// guess at a quoting dialect, so a file in another dialect fails loudly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gpusched/status.h"

namespace gpusched::sim::csv {

// One data row: its 1-based line number in the file and its fields, which
// view into the text given to Split (the text must outlive the row).
struct Row {
  std::size_t line = 0;
  std::vector<std::string_view> fields;
};

// A file split into rows under a header that was checked.
struct Table {
  std::vector<std::string_view> columns;  // the expected header, in order
  std::vector<Row> rows;                  // data rows, blank lines skipped
};

// Splits `text`. The first non-blank line must be exactly `columns` joined by
// commas, else `line 1: header must be "a,b", got "a,c"` (or `line 1: missing
// header "a,b"` for an empty text). Each data row must have as many fields as
// there are columns: `line 7: expected 5 fields, got 4`. Fields are not
// trimmed (the trace files have no padding); a trailing '\r' is dropped.
Result<Table> Split(std::string_view text, std::span<const std::string_view> columns);

// `line 12: "num_gpus": must be an integer >= 1, got "x"`.
tl::unexpected<Error> FieldError(const Row& row, std::string_view column, std::string_view expected,
                                 std::string_view got);

// Typed access to the fields of one row, by column index. Each failure is a
// FieldError naming the column and quoting the field as written.
class Fields {
 public:
  // REQUIRES: `table` and `row` outlive this object; row.fields.size() ==
  // table.columns.size() (Split guarantees it).
  Fields(const Table& table, const Row& row) : table_(table), row_(row) {}

  std::string_view Text(std::size_t col) const { return row_.fields[col]; }
  // A non-empty field.
  Result<std::string_view> NonEmpty(std::size_t col) const;
  // A decimal integer (an optional '-' then digits) within [min, max];
  // `expected` describes the range: "an integer >= 1".
  Result<std::int64_t> Int(std::size_t col, std::int64_t min, std::int64_t max,
                           std::string_view expected) const;
  // A finite decimal number (e.g. "66.0", "12") greater than `above`;
  // `expected` describes it: "a number > 0".
  Result<double> NumberAbove(std::size_t col, double above, std::string_view expected) const;
  // A FieldError for column `col` with the field as written.
  tl::unexpected<Error> Bad(std::size_t col, std::string_view expected) const;

  std::size_t line() const { return row_.line; }

 private:
  const Table& table_;
  const Row& row_;
};

}  // namespace gpusched::sim::csv
