// Text helpers of the client commands: durations as people write them,
// times as people read them, and plain-text tables. Pure functions: the
// current time comes in as an argument, nothing is printed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gpusched/status.h"

namespace gpusched::cli {

// The longest duration ParseDuration accepts: 100 years, in seconds.
inline constexpr std::int64_t kMaxDurationS = std::int64_t{100} * 365 * 86400;

// Parses a duration: a plain number of seconds ("90"), or one or more
// number-unit pairs with units s, m, h, d ("90s", "15m", "2h", "1d", "1h30m").
// Returns the seconds, > 0 and <= kMaxDurationS; anything else is an
// kInvalidArgument error saying what is expected (the caller adds the
// option's name).
Result<std::int64_t> ParseDuration(std::string_view text);

// A compact duration, at most two units: "0s", "45s", "4m", "4m10s", "2h",
// "2h5m", "3d4h". Negative inputs are formatted by their magnitude.
std::string FormatDuration(std::int64_t seconds);

// `delta_s` seconds from now: "in 4m", "3m ago", or "now" when |delta| < 1.
std::string FormatRelative(std::int64_t delta_s);

// Unix seconds as local ISO-8601 with the UTC offset:
// "2024-05-01T12:03:04+02:00". Uses the process's time zone (TZ).
std::string LocalTime(std::int64_t unix_s);

// LocalTime plus the relative form: "2024-05-01T12:03:04+02:00 (3m ago)".
std::string TimeAndRelative(std::int64_t unix_s, std::int64_t now_s);

// `text` cut to at most `max_chars` characters (UTF-8 code points), ending
// in "..." when cut. REQUIRES: max_chars >= 4.
std::string Shorten(std::string_view text, std::size_t max_chars);

// A plain-text table: a header row, then rows, columns left-aligned and
// separated by two spaces; the last column is not padded, so a long text
// there does not widen the others. Widths count UTF-8 code points.
class Table {
 public:
  explicit Table(std::vector<std::string> header);

  // REQUIRES: row.size() == the header's size.
  void AddRow(std::vector<std::string> row);
  bool empty() const { return rows_.empty(); }

  // Each line of the table, header first, without line ends.
  std::vector<std::string> Lines() const;
  // The lines joined, each ending in '\n'.
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace gpusched::cli
