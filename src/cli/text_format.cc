#include "cli/text_format.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <utility>

#include <fmt/core.h>

#include "gpusched/status.h"

namespace gpusched::cli {
namespace {

std::int64_t UnitSeconds(char unit) {
  switch (unit) {
    case 's': return 1;
    case 'm': return 60;
    case 'h': return 3600;
    case 'd': return 86400;
    default: return 0;
  }
}

tl::unexpected<Error> BadDuration(std::string_view text) {
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("expected a duration such as 90s, 15m, 2h, 1d or a number of "
                               "seconds, got \"{}\"",
                               text));
}

// Code points in UTF-8 `text`: bytes that are not continuation bytes.
std::size_t Width(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

Result<std::int64_t> ParseDuration(std::string_view text) {
  std::int64_t total = 0;
  std::size_t i = 0;
  bool had_unit = false;
  while (i < text.size()) {
    std::int64_t number = 0;
    const std::size_t start = i;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      number = number * 10 + (text[i] - '0');
      if (number > kMaxDurationS) return BadDuration(text);
    }
    if (i == start) return BadDuration(text);
    std::int64_t unit = 1;
    if (i < text.size()) {
      unit = UnitSeconds(text[i++]);
      if (unit == 0) return BadDuration(text);
      had_unit = true;
    } else if (had_unit) {
      return BadDuration(text);  // "1h30": a bare number after a unit
    }
    if (number > (kMaxDurationS - total) / unit) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("duration \"{}\" is longer than 100 years", text));
    }
    total += number * unit;
  }
  if (total <= 0) {
    if (text.empty()) return BadDuration(text);
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("duration must be positive, got \"{}\"", text));
  }
  return total;
}

std::string FormatDuration(std::int64_t seconds) {
  const std::int64_t s = std::llabs(seconds);
  struct Unit {
    std::int64_t size;
    char name;
  };
  constexpr Unit kUnits[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (std::size_t u = 0; u < std::size(kUnits); ++u) {
    if (s < kUnits[u].size) continue;
    const std::int64_t major = s / kUnits[u].size;
    if (u + 1 == std::size(kUnits)) return fmt::format("{}s", major);
    const std::int64_t minor = (s % kUnits[u].size) / kUnits[u + 1].size;
    if (minor == 0) return fmt::format("{}{}", major, kUnits[u].name);
    return fmt::format("{}{}{}{}", major, kUnits[u].name, minor, kUnits[u + 1].name);
  }
  return "0s";
}

std::string FormatRelative(std::int64_t delta_s) {
  if (delta_s == 0) return "now";
  if (delta_s > 0) return "in " + FormatDuration(delta_s);
  return FormatDuration(delta_s) + " ago";
}

std::string LocalTime(std::int64_t unix_s) {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm local{};
  if (localtime_r(&t, &local) == nullptr) return fmt::format("@{}", unix_s);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &local);
  const long offset_min = local.tm_gmtoff / 60;
  const long magnitude = std::labs(offset_min);
  return fmt::format("{}{}{:02}:{:02}", date, offset_min < 0 ? '-' : '+', magnitude / 60,
                     magnitude % 60);
}

std::string TimeAndRelative(std::int64_t unix_s, std::int64_t now_s) {
  return fmt::format("{} ({})", LocalTime(unix_s), FormatRelative(unix_s - now_s));
}

std::string Shorten(std::string_view text, std::size_t max_chars) {
  if (Width(text) <= max_chars) return std::string(text);
  std::string out;
  std::size_t chars = 0;
  for (char c : text) {
    const bool starts_char = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (starts_char && ++chars > max_chars - 3) break;
    out += c;
  }
  return out + "...";
}

Table::Table(std::vector<std::string> header) : header_(std::move(header)) {}

void Table::AddRow(std::vector<std::string> row) {
  GPUSCHED_CHECK(row.size() == header_.size(), "a table row must have one cell per column");
  rows_.push_back(std::move(row));
}

std::vector<std::string> Table::Lines() const {
  std::vector<std::size_t> widths(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], Width(row[c]));
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);
  auto line = [&](const std::vector<std::string>& row) {
    std::string out;
    for (std::size_t c = 0; c < row.size(); ++c) {
      out += row[c];
      if (c + 1 < row.size()) out.append(widths[c] - Width(row[c]) + 2, ' ');
    }
    return out;
  };
  std::vector<std::string> lines{line(header_)};
  for (const auto& row : rows_) lines.push_back(line(row));
  return lines;
}

std::string Table::Render() const {
  std::string out;
  for (const std::string& l : Lines()) out += l + '\n';
  return out;
}

}  // namespace gpusched::cli
