// UTF-8 validation and plain YAML scalar resolution (see spec_text.h).
#include "api/spec_text.h"

#include <locale.h>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>

#include <fmt/format.h>

namespace gpusched::api {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Skips [0-9]* from `i`; returns how many digits it skipped.
std::size_t SkipDigits(std::string_view s, std::size_t& i) {
  const std::size_t start = i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  return i - start;
}

bool IsInteger(std::string_view s) {
  std::size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  return SkipDigits(s, i) > 0 && i == s.size();
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool IsDecimalFloat(std::string_view s) {
  std::size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (SkipDigits(s, i) == 0) return false;
  } else {
    if (SkipDigits(s, i) == 0) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      SkipDigits(s, i);
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (SkipDigits(s, i) == 0) return false;
  }
  return i == s.size();
}

// strtod in the "C" locale, whatever the process's locale: out-of-range
// values become +-inf or (+-)0/denormals, as JSON readers do.
double ParseDecimal(std::string_view s) {
  static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
  const std::string copy(s);
  return strtod_l(copy.c_str(), nullptr, c_locale);
}

bool OneOf(std::string_view s, std::initializer_list<std::string_view> options) {
  for (std::string_view o : options) {
    if (s == o) return true;
  }
  return false;
}

std::optional<double> SpecialFloat(std::string_view s) {
  if (OneOf(s, {".nan", ".NaN", ".NAN"})) return std::numeric_limits<double>::quiet_NaN();
  const bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (OneOf(s, {".inf", ".Inf", ".INF"})) {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  return std::nullopt;
}

// The length of the well-formed UTF-8 sequence at the start of `s`, or 0.
// REQUIRES: !s.empty().
std::size_t Utf8SequenceLength(std::string_view s) {
  const auto b = static_cast<unsigned char>(s[0]);
  std::size_t len = 0;
  std::uint32_t cp = 0;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) {
    len = 2, cp = b & 0x1Fu;
  } else if ((b & 0xF0) == 0xE0) {
    len = 3, cp = b & 0x0Fu;
  } else if ((b & 0xF8) == 0xF0) {
    len = 4, cp = b & 0x07u;
  } else {
    return 0;
  }
  if (len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(s[k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3Fu);
  }
  static constexpr std::uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = Utf8SequenceLength(text.substr(i));
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string PrintableText(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = Utf8SequenceLength(text.substr(i));
    if (len == 0) {
      out += fmt::format("<{:02X}>", static_cast<unsigned char>(text[i]));
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

TreeValue ResolvePlainScalar(std::string_view text) {
  if (OneOf(text, {"", "~", "null", "Null", "NULL"})) return TreeValue{};
  if (OneOf(text, {"true", "True", "TRUE"})) return TreeValue{true};
  if (OneOf(text, {"false", "False", "FALSE"})) return TreeValue{false};
  if (IsInteger(text)) {
    std::string_view digits = text;
    if (digits[0] == '+') digits.remove_prefix(1);
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec == std::errc() && end == digits.data() + digits.size()) return TreeValue{n};
    return TreeValue{ParseDecimal(text)};  // too large for int64
  }
  if (IsDecimalFloat(text)) return TreeValue{ParseDecimal(text)};
  if (std::optional<double> special = SpecialFloat(text)) return TreeValue{*special};
  return TreeValue{std::string(text)};
}

}  // namespace gpusched::api
