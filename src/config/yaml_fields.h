// Internal to src/config: reading YAML fields with errors that name their
// path ("tenants[0].guaranteed_gpus: must be >= 0"). Used by the cluster-file
// and server-config loaders; yaml-cpp stays out of the public headers.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "gpusched/status.h"
#include "gpusched/types.h"

namespace gpusched::config::internal {

inline tl::unexpected<Error> Fail(const std::string& path, ErrorCode code, const std::string& message) {
  return MakeError(code, path.empty() ? message : fmt::format("{}: {}", path, message));
}

inline std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}
inline std::string Index(const std::string& path, std::size_t i) { return fmt::format("{}[{}]", path, i); }

template <typename T>
const char* Expected() {
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  if constexpr (std::is_same_v<T, std::string>) return "a string";
  if constexpr (std::is_floating_point_v<T>) return "a number";
  return "an integer";
}

// Reads a scalar of type T; wrong types become errors naming `path`.
template <typename T>
Status ReadScalar(const YAML::Node& node, const std::string& path, T& out) {
  if (!node.IsScalar())
    return Fail(path, ErrorCode::kInvalidArgument, fmt::format("expected {}", Expected<T>()));
  try {
    out = node.as<T>();
  } catch (const YAML::Exception&) {
    return Fail(path, ErrorCode::kInvalidArgument,
                fmt::format("expected {}, got \"{}\"", Expected<T>(), node.Scalar()));
  }
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(out)) return Fail(path, ErrorCode::kInvalidArgument, "must be finite");
  }
  return OkStatus();
}

// A YAML mapping at `path` whose keys were checked against an allowed set.
class Map {
 public:
  static Result<Map> Open(const YAML::Node& node, std::string path,
                          std::initializer_list<std::string_view> allowed) {
    return Open(node, std::move(path), std::vector<std::string_view>(allowed));
  }
  static Result<Map> Open(const YAML::Node& node, std::string path,
                          const std::vector<std::string_view>& allowed) {
    if (!node.IsMap()) return Fail(path, ErrorCode::kInvalidArgument, "expected a mapping");
    for (const auto& entry : node) {
      const std::string key = entry.first.as<std::string>();
      bool known = false;
      for (std::string_view a : allowed) known = known || a == key;
      if (!known)
        return Fail(path, ErrorCode::kInvalidArgument, fmt::format("unknown key \"{}\"", key));
    }
    return Map(node, std::move(path));
  }

  bool Has(std::string_view key) const { return static_cast<bool>(node_[std::string(key)]); }
  YAML::Node operator[](std::string_view key) const { return node_[std::string(key)]; }
  std::string Path(std::string_view key) const { return Join(path_, key); }

  // Reads `key` into `out` when present; leaves `out` as is otherwise.
  template <typename T>
  Status Optional(std::string_view key, T& out) const {
    if (!Has(key)) return OkStatus();
    return ReadScalar((*this)[key], Path(key), out);
  }
  // Reads the required, non-empty string `key`.
  Status Name(std::string_view key, std::string& out) const {
    if (!Has(key)) return Fail(Path(key), ErrorCode::kInvalidArgument, "missing");
    if (Status s = ReadScalar((*this)[key], Path(key), out); !s) return s;
    if (out.empty()) return Fail(Path(key), ErrorCode::kInvalidArgument, "must not be empty");
    return OkStatus();
  }
  template <typename T>
  Status Required(std::string_view key, T& out) const {
    if (!Has(key)) return Fail(Path(key), ErrorCode::kInvalidArgument, "missing");
    return ReadScalar((*this)[key], Path(key), out);
  }
  // Like Optional, then fails unless min <= out.
  template <typename T>
  Status AtLeast(std::string_view key, T& out, T min) const {
    if (Status s = Optional(key, out); !s) return s;
    if (out < min)
      return Fail(Path(key), ErrorCode::kInvalidArgument, fmt::format("must be >= {}", min));
    return OkStatus();
  }
  Status Seconds(std::string_view key, Duration& out) const {
    std::int64_t s = out.count();
    if (Status st = AtLeast<std::int64_t>(key, s, 0); !st) return st;
    out = Duration(s);
    return OkStatus();
  }

 private:
  Map(YAML::Node node, std::string path) : node_(std::move(node)), path_(std::move(path)) {}
  YAML::Node node_;
  std::string path_;
};

inline Status ExpectSequence(const YAML::Node& node, const std::string& path) {
  if (!node.IsSequence()) return Fail(path, ErrorCode::kInvalidArgument, "expected a list");
  return OkStatus();
}

inline Status ReadStrings(const YAML::Node& node, const std::string& path, std::vector<std::string>& out) {
  if (Status s = ExpectSequence(node, path); !s) return s;
  for (std::size_t i = 0; i < node.size(); ++i) {
    std::string text;
    if (Status s = ReadScalar(node[i], Index(path, i), text); !s) return s;
    out.push_back(std::move(text));
  }
  return OkStatus();
}

// Returns the error of a failed Status or Result expression.
#define CF_TRY(expr)                                                               \
  do {                                                                             \
    if (auto cf_s = (expr); !cf_s) return tl::unexpected(std::move(cf_s.error())); \
  } while (false)

}  // namespace gpusched::config::internal
