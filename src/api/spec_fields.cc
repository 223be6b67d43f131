// Typed reads from the neutral tree (see spec_fields.h).
#include "api/spec_fields.h"

#include <fmt/format.h>

namespace gpusched::api {

std::string JoinPath(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

std::string IndexPath(std::string_view path, std::size_t index) {
  return fmt::format("{}[{}]", path, index);
}

tl::unexpected<Error> FieldError(std::string_view path, std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   path.empty() ? std::string(why) : fmt::format("{}: {}", path, why));
}

tl::unexpected<Error> MustBe(std::string_view path, std::string_view expected,
                             const TreeValue& got) {
  return FieldError(path, fmt::format("must be {}, got {}", expected, DescribeValue(got)));
}

std::string IntegerFromTo(std::int64_t min, std::int64_t max) {
  return fmt::format("an integer from {} to {}", min, max);
}

std::string IntegerAtLeast(std::int64_t min) { return fmt::format("an integer >= {}", min); }

Result<std::int64_t> ReadInt(const TreeValue& v, std::string_view path, std::int64_t min,
                             std::int64_t max, std::string_view expected) {
  const auto* n = std::get_if<std::int64_t>(&v.v);
  if (n == nullptr || *n < min || *n > max) return MustBe(path, expected, v);
  return *n;
}

Result<bool> ReadBool(const TreeValue& v, std::string_view path) {
  const bool* b = std::get_if<bool>(&v.v);
  if (b == nullptr) return MustBe(path, "true or false", v);
  return *b;
}

Result<std::string> ReadString(const TreeValue& v, std::string_view path, bool allow_empty) {
  const std::string* s = v.AsString();
  if (s == nullptr || (s->empty() && !allow_empty)) {
    return MustBe(path, allow_empty ? "a string" : "a non-empty string", v);
  }
  if (s->find('\0') != std::string::npos)
    return FieldError(path, "must not contain NUL characters");
  return *s;
}

Result<Fields> Fields::Open(const TreeValue& v, std::string path,
                            std::initializer_list<std::string_view> allowed,
                            std::string_view hint) {
  const TreeMap* map = v.AsMap();
  if (map == nullptr) return MustBe(path, "a mapping", v);
  for (const auto& [key, value] : *map) {
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (known) continue;
    std::string message = fmt::format("unknown field \"{}\"", JoinPath(path, key));
    if (!hint.empty()) message += fmt::format(" ({})", hint);
    return MakeError(ErrorCode::kInvalidArgument, std::move(message));
  }
  return Fields(*map, std::move(path));
}

const TreeValue* Fields::Find(std::string_view key) const {
  for (const auto& [k, value] : *map_) {
    if (k == key) return &value;
  }
  return nullptr;
}

Status Fields::Require(std::string_view key) const {
  if (Has(key)) return OkStatus();
  return FieldError(Path(key), "is required");
}

Status Fields::Bool(std::string_view key, bool& out) const {
  const TreeValue* v = Find(key);
  if (v == nullptr) return OkStatus();
  Result<bool> b = ReadBool(*v, Path(key));
  API_TRY(b);
  out = *b;
  return OkStatus();
}

Status Fields::String(std::string_view key, std::optional<std::string>& out) const {
  const TreeValue* v = Find(key);
  if (v == nullptr) return OkStatus();
  Result<std::string> s = ReadString(*v, Path(key));
  API_TRY(s);
  out = std::move(*s);
  return OkStatus();
}

Status Fields::String(std::string_view key, std::string& out) const {
  std::optional<std::string> s;
  API_TRY(String(key, s));
  if (s) out = std::move(*s);
  return OkStatus();
}

}  // namespace gpusched::api
