// The catalog of GPU types the scheduler knows: memory, relative speed and
// the names people and drivers use for them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gpusched/status.h"
#include "gpusched/types.h"

namespace gpusched {

// Dense id of a GPU type within one catalog (index into `GpuCatalog::types()`).
using GpuTypeId = std::int16_t;

// A catalog holds at most this many types (the cycle keeps type sets as
// fixed-size bit masks).
constexpr std::size_t kMaxGpuTypes = 256;

struct GpuType {
  std::string name;       // canonical name, e.g. "A100-40"
  MiB memory_mib = 0;     // usable memory of one card
  // Training throughput relative to a T4, in thousandths (T4 = 1000). A job
  // whose epoch takes 100 s on a T4 takes 100 * 1000 / speed_milli s here.
  std::int32_t speed_milli = 1000;
  // Other spellings that map to this type: "Tesla T4", "NVIDIA A100-SXM4-40GB".
  std::vector<std::string> aliases;
};

// An extendable catalog. Not thread-safe for writes; concurrent reads are fine.
class GpuCatalog {
 public:
  // The built-in catalog: GTX1650, T4, RTX3060, A4000, RTX3090, A10, L4,
  // V100-16, V100-32, A100-40, A100-80, H100, A10G, P100, P40 (ids in this
  // order; new types are appended so that existing ids never change).
  static GpuCatalog BuiltIn();

  // Adds a type. Fails (and changes nothing) when the name or an alias is
  // already taken (case-insensitively) or empty, the memory is not positive
  // or the speed is not positive.
  Result<GpuTypeId> Add(GpuType type);

  // Finds a type by canonical name or alias, case-insensitively. Also accepts
  // NVML product names ("NVIDIA A100-SXM4-80GB", "Tesla V100-SXM2-32GB").
  std::optional<GpuTypeId> Find(std::string_view name) const;

  const GpuType& type(GpuTypeId id) const { return types_[static_cast<size_t>(id)]; }
  const std::vector<GpuType>& types() const { return types_; }
  std::size_t size() const { return types_.size(); }

 private:
  std::vector<GpuType> types_;
};

// One group of identical GPUs in compact form, e.g. "4xT4" or "A100-80".
struct GpuGroup {
  int count = 1;
  GpuTypeId type = 0;
};

// Parses a compact GPU list: "4xT4, 2xA100-80" (a bare type means one GPU;
// counts are 1..1024; types are looked up with `catalog.Find`).
// Errors name the token that is wrong.
Result<std::vector<GpuGroup>> ParseGpuList(std::string_view text,
                                           const GpuCatalog& catalog);

}  // namespace gpusched
