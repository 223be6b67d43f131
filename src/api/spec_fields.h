// Typed, path-naming reads from the neutral tree: the vocabulary that the
// job-spec validation (job_spec_parse.cc, job_spec_trainer.cc) is written
// in. Every error is kInvalidArgument, "<path>: <why>", and says what was
// expected and what was found ("gpus: must be an integer from 1 to 1024,
// got -2"). Internal to src/api/. Pure and thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "api/spec_tree.h"
#include "gpusched/status.h"

// Returns the error of a failed Status or Result expression.
#define API_TRY(expr)                                                                             \
  do {                                                                                            \
    if (auto api_try_s = (expr); !api_try_s) return tl::unexpected(std::move(api_try_s.error())); \
  } while (false)

namespace gpusched::api {

// "ultralytics" + "batch" -> "ultralytics.batch"; "" + "gpus" -> "gpus".
std::string JoinPath(std::string_view path, std::string_view key);
// "command" + 2 -> "command[2]".
std::string IndexPath(std::string_view path, std::size_t index);

// "<path>: <why>", or just <why> at the root (empty path).
tl::unexpected<Error> FieldError(std::string_view path, std::string_view why);
// "<path>: must be <expected>, got <the value>".
tl::unexpected<Error> MustBe(std::string_view path, std::string_view expected,
                             const TreeValue& got);

// "an integer from 1 to 1024", "an integer >= 1".
std::string IntegerFromTo(std::int64_t min, std::int64_t max);
std::string IntegerAtLeast(std::int64_t min);

// An integer in [min, max]; `expected` describes the range for the message.
Result<std::int64_t> ReadInt(const TreeValue& v, std::string_view path, std::int64_t min,
                             std::int64_t max, std::string_view expected);
// true or false.
Result<bool> ReadBool(const TreeValue& v, std::string_view path);
// A string without NUL characters; non-empty unless `allow_empty`.
Result<std::string> ReadString(const TreeValue& v, std::string_view path, bool allow_empty = false);

// A mapping whose keys were all checked against an allowed set. Holds a
// reference into the tree: the tree must outlive it.
class Fields {
 public:
  // Fails when `v` is not a mapping ("<path>: must be a mapping, got ...")
  // or has a key outside `allowed` (`unknown field "<path>.<key>"`, followed
  // by ` (<hint>)` when a hint is given).
  static Result<Fields> Open(const TreeValue& v, std::string path,
                             std::initializer_list<std::string_view> allowed,
                             std::string_view hint = {});

  // The value of `key`, or nullptr when absent.
  const TreeValue* Find(std::string_view key) const;
  bool Has(std::string_view key) const { return Find(key) != nullptr; }
  std::string Path(std::string_view key) const { return JoinPath(path_, key); }
  const std::string& path() const { return path_; }

  // "<path>.<key>: is required" unless present.
  Status Require(std::string_view key) const;

  // When `key` is present, reads it into `out` (int, int64 or an optional
  // of those); otherwise leaves `out` as it is.
  template <typename T>
  Status Int(std::string_view key, T& out, std::int64_t min, std::int64_t max,
             std::string_view expected) const;
  Status Bool(std::string_view key, bool& out) const;
  // A non-empty string, when present.
  Status String(std::string_view key, std::optional<std::string>& out) const;
  Status String(std::string_view key, std::string& out) const;

 private:
  Fields(const TreeMap& map, std::string path) : map_(&map), path_(std::move(path)) {}
  const TreeMap* map_;
  std::string path_;
};

template <typename T>
Status Fields::Int(std::string_view key, T& out, std::int64_t min, std::int64_t max,
                   std::string_view expected) const {
  const TreeValue* v = Find(key);
  if (v == nullptr) return OkStatus();
  Result<std::int64_t> n = ReadInt(*v, Path(key), min, max, expected);
  API_TRY(n);
  if constexpr (requires { out.value(); }) {
    out = static_cast<typename T::value_type>(*n);
  } else {
    out = static_cast<T>(*n);
  }
  return OkStatus();
}

}  // namespace gpusched::api
