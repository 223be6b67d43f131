// Runtime prediction: how long a job still needs on a given GPU type, from
// its epochs left and an epoch time learned from agents' reports (falling
// back to the user's estimate scaled by the GPU type's speed).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpusched/gpu_catalog.h"
#include "gpusched/job.h"
#include "gpusched/types.h"

namespace gpusched {

// Learned epoch times per (model key, GPU type). Owned and updated by the
// driver; the cycle reads it. Not thread-safe.
class RuntimeModel {
 public:
  // REQUIRES: `catalog` outlives the model.
  explicit RuntimeModel(const GpuCatalog* catalog) : catalog_(catalog) {}

  // Records one observed epoch duration (exponentially weighted, newest
  // weight 1/4). Non-positive durations and empty keys are ignored.
  void ObserveEpoch(std::string_view model_key, GpuTypeId type, Duration epoch);

  // The learned epoch time on `type`: observed there, else observed on
  // another type and scaled by the speed ratio, else nullopt.
  std::optional<Duration> EpochTime(std::string_view model_key, GpuTypeId type) const;

  // What was learned, for saving; Restore puts an entry back (restart).
  // Restore ignores an empty key or a non-positive time.
  struct Learned {
    std::string model_key;
    GpuTypeId type = 0;
    std::int64_t epoch_ms = 0;
  };
  std::vector<Learned> learned() const;
  void Restore(const Learned& entry);

  const GpuCatalog& catalog() const { return *catalog_; }
  // True before the first observation.
  bool empty() const { return epoch_ms_.empty(); }

 private:
  using Observations = std::vector<std::pair<GpuTypeId, std::int64_t>>;
  const GpuCatalog* catalog_;
  // key -> (type, milliseconds EWMA), ordered by type id.
  std::map<std::string, Observations, std::less<>> epoch_ms_;
};

// Scales a T4 duration to `type` by its speed factor (rounds up).
Duration ScaleFromT4(Duration t4, const GpuType& type);

// Predicted total run time of `job` from start to finish on `type`, ignoring
// work already done. Zero when nothing is known.
Duration PredictTotal(const Job& job, GpuTypeId type, const GpuCatalog& catalog,
                      const RuntimeModel* model);

// Predicted time `job` still needs on `type` at `now`: epochs left times the
// epoch time, less the time already spent on the current epoch since its
// start (for a running job). kUnknownRuntime when nothing is known.
Duration PredictRemaining(const Job& job, GpuTypeId type, Instant now,
                          const GpuCatalog& catalog, const RuntimeModel* model);

constexpr Duration kUnknownRuntime = Duration::max();

}  // namespace gpusched
