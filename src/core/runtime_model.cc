// Runtime prediction.
//
// Epoch time of a job on a GPU type, first match wins:
//   1. learned: RuntimeModel::EpochTime(job.model_key, type), an EWMA of the
//      epochs agents reported, on that type or scaled from another type by
//      the speed ratio t_target = t_observed * speed(observed) / speed(target);
//   2. the user's estimate: ScaleFromT4(progress.epoch_t4, type);
//   3. unknown.
// A job is epoch-based when progress.epochs_total > 0; otherwise its whole
// run is progress.duration_t4, scaled the same way.
//
// Time already spent in the current epoch. The core knows the start of the
// current run and of the newest checkpoint, not when the last epoch ended.
// Ultralytics rewrites last.pt at the end of every epoch, so the current
// epoch is taken to have begun at max(started_at, last_checkpoint_at), and
// the credit is capped at one epoch time:
//   in_epoch  = clamp(now - max(started_at, last_checkpoint_at), 0, epoch)
//   remaining = (epochs_total - epochs_done) * epoch - in_epoch
// For a trainer that checkpoints less often the error stays under one epoch.
// A job is running when its phase is not kPending and started_at <= now; a
// running job whose prediction is used up is predicted to finish now (0).
#include "gpusched/runtime_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "gpusched/status.h"

namespace gpusched {
namespace {

constexpr std::int64_t kMsPerSecond = 1000;
constexpr std::int64_t kT4SpeedMilli = 1000;

void CheckType(const GpuCatalog& catalog, GpuTypeId type) {
  GPUSCHED_CHECK(type >= 0 && static_cast<std::size_t>(type) < catalog.size(),
                 fmt::format("GPU type id {} not in a catalog of {} types", type, catalog.size()));
}

// ceil(value * num / den) for value >= 0, num > 0, den > 0, splitting `value`
// so that value * num does not overflow for realistic inputs.
std::int64_t ScaleCeil(std::int64_t value, std::int64_t num, std::int64_t den) {
  const std::int64_t q = value / den;
  const std::int64_t r = value % den;
  return q * num + (r * num + den - 1) / den;
}

Duration SecondsCeil(std::int64_t ms) { return Duration((ms + kMsPerSecond - 1) / kMsPerSecond); }

// Which of two speeds is nearer to `target` as a ratio (max/min).
bool NearerSpeed(std::int64_t a, std::int64_t b, std::int64_t target) {
  const std::int64_t a_hi = std::max(a, target), a_lo = std::min(a, target);
  const std::int64_t b_hi = std::max(b, target), b_lo = std::min(b, target);
  return a_hi * b_lo < b_hi * a_lo;  // a_hi / a_lo < b_hi / b_lo
}

// The epoch time of an epoch-based job on `type`, per the rule above.
std::optional<Duration> JobEpochTime(const Job& job, GpuTypeId type, const GpuCatalog& catalog,
                                     const RuntimeModel* model) {
  if (model != nullptr && !model->empty() && !job.model_key.empty()) {
    if (auto learned = model->EpochTime(job.model_key, type)) return learned;
  }
  if (job.progress.epoch_t4 > Duration(0)) {
    return ScaleFromT4(job.progress.epoch_t4, catalog.type(type));
  }
  return std::nullopt;
}

bool IsRunning(const Job& job, Instant now) {
  return job.phase != JobPhase::kPending && job.started_at <= now;
}

}  // namespace

void RuntimeModel::ObserveEpoch(std::string_view model_key, GpuTypeId type, Duration epoch) {
  if (model_key.empty() || epoch <= Duration(0)) return;
  CheckType(*catalog_, type);
  const std::int64_t observed_ms = ToSeconds(epoch) * kMsPerSecond;
  auto key_it = epoch_ms_.find(model_key);
  if (key_it == epoch_ms_.end()) key_it = epoch_ms_.emplace(std::string(model_key), Observations{}).first;
  Observations& obs = key_it->second;
  auto it = std::lower_bound(obs.begin(), obs.end(), type,
                             [](const auto& entry, GpuTypeId t) { return entry.first < t; });
  if (it == obs.end() || it->first != type) {
    obs.insert(it, {type, observed_ms});
  } else {
    // EWMA with weight 1/4 on the newest observation, rounded to nearest.
    it->second = (3 * it->second + observed_ms + 2) / 4;
  }
}

std::vector<RuntimeModel::Learned> RuntimeModel::learned() const {
  std::vector<Learned> out;
  for (const auto& [key, obs] : epoch_ms_) {
    for (const auto& [type, ms] : obs) out.push_back(Learned{key, type, ms});
  }
  return out;
}

void RuntimeModel::Restore(const Learned& entry) {
  if (entry.model_key.empty() || entry.epoch_ms <= 0) return;
  CheckType(*catalog_, entry.type);
  Observations& obs = epoch_ms_[entry.model_key];
  auto it = std::lower_bound(obs.begin(), obs.end(), entry.type,
                             [](const auto& e, GpuTypeId t) { return e.first < t; });
  if (it == obs.end() || it->first != entry.type) {
    obs.insert(it, {entry.type, entry.epoch_ms});
  } else {
    it->second = entry.epoch_ms;
  }
}

std::optional<Duration> RuntimeModel::EpochTime(std::string_view model_key, GpuTypeId type) const {
  CheckType(*catalog_, type);
  auto key_it = epoch_ms_.find(model_key);
  if (key_it == epoch_ms_.end()) return std::nullopt;
  const std::int64_t target_speed = catalog_->type(type).speed_milli;
  std::optional<std::int64_t> best_ms;
  std::int64_t best_speed = 0;
  // Observations of one key are ordered by type id.
  for (const auto& [observed_type, ms] : key_it->second) {
    if (observed_type == type) return SecondsCeil(ms);
    // Prefer the observation from the type nearest in speed: the speed
    // ratio is least trustworthy across very different cards.
    const std::int64_t speed = catalog_->type(observed_type).speed_milli;
    if (!best_ms || NearerSpeed(speed, best_speed, target_speed)) {
      best_ms = ms;
      best_speed = speed;
    }
  }
  if (!best_ms) return std::nullopt;
  return SecondsCeil(ScaleCeil(*best_ms, best_speed, target_speed));
}

Duration ScaleFromT4(Duration t4, const GpuType& type) {
  if (t4 <= Duration(0)) return Duration(0);
  return Duration(ScaleCeil(ToSeconds(t4), kT4SpeedMilli, type.speed_milli));
}

Duration PredictTotal(const Job& job, GpuTypeId type, const GpuCatalog& catalog,
                      const RuntimeModel* model) {
  CheckType(catalog, type);
  const Progress& progress = job.progress;
  if (progress.epochs_total > 0) {
    const std::optional<Duration> epoch = JobEpochTime(job, type, catalog, model);
    return epoch ? progress.epochs_total * *epoch : Duration(0);
  }
  return ScaleFromT4(progress.duration_t4, catalog.type(type));
}

Duration PredictRemaining(const Job& job, GpuTypeId type, Instant now, const GpuCatalog& catalog,
                          const RuntimeModel* model) {
  CheckType(catalog, type);
  const Progress& progress = job.progress;
  const bool running = IsRunning(job, now);
  Duration remaining{0};
  if (progress.epochs_total > 0) {
    const std::optional<Duration> epoch = JobEpochTime(job, type, catalog, model);
    if (!epoch) return kUnknownRuntime;
    const int epochs_left = std::max(0, progress.epochs_total - progress.epochs_done);
    remaining = epochs_left * *epoch;
    if (running) {
      const Instant epoch_start = std::max(job.started_at, job.last_checkpoint_at);
      remaining -= std::clamp(now - epoch_start, Duration(0), *epoch);
    }
  } else {
    if (progress.duration_t4 <= Duration(0)) return kUnknownRuntime;
    const Duration left_t4 = std::max(Duration(0), progress.duration_t4 - progress.done_t4);
    remaining = ScaleFromT4(left_t4, catalog.type(type));
    if (running) remaining -= now - job.started_at;
  }
  return std::max(remaining, Duration(0));
}

}  // namespace gpusched
