// What the CSV trace readers share: the seeded class draw, checkpoint
// synthesis, civil-time parsing, drop accounting and the final sort.
#include "sim/trace_readers.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "sim/trace_reader_util.h"

namespace gpusched::sim {
namespace {

constexpr std::uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ULL;

std::uint64_t SplitMix64(std::uint64_t z) {
  z += kGoldenGamma;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Digits text[pos, pos + n) as a number, or -1 when one is not a digit.
int Digits(std::string_view text, std::size_t pos, std::size_t n) {
  int value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

Status ValidateClassMix(const ClassMix& mix) {
  if (mix.shares.empty()) return MakeError(ErrorCode::kInvalidArgument, "class mix: empty");
  double total = 0;
  for (const ClassShare& s : mix.shares) {
    if (s.class_name.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "class mix: a class name is empty");
    }
    if (!std::isfinite(s.share) || s.share < 0) {
      return MakeError(
          ErrorCode::kInvalidArgument,
          fmt::format("class mix: share of \"{}\" must be a finite number >= 0, got {}",
                      s.class_name, s.share));
    }
    total += s.share;
  }
  if (!(total > 0)) return MakeError(ErrorCode::kInvalidArgument, "class mix: shares sum to 0");
  return OkStatus();
}

const std::string& PickClass(const ClassMix& mix, std::uint64_t seed, std::uint64_t ordinal) {
  GPUSCHED_CHECK(!mix.shares.empty(), "PickClass needs a validated class mix");
  const std::uint64_t x = SplitMix64(seed ^ (ordinal * kGoldenGamma));
  const double u = static_cast<double>(x >> 11) * 0x1.0p-53;
  double total = 0;
  for (const ClassShare& s : mix.shares) total += s.share;
  const double target = u * total;
  double cumulative = 0;
  const ClassShare* last_positive = &mix.shares.front();
  for (const ClassShare& s : mix.shares) {
    if (s.share <= 0) continue;
    last_positive = &s;
    cumulative += s.share;
    if (target < cumulative) return s.class_name;
  }
  return last_positive->class_name;
}

void SynthesizeCheckpoints(std::int64_t duration_s, std::int64_t interval_s, TraceJob& job) {
  GPUSCHED_CHECK(duration_s >= 1 && interval_s >= 1, "duration and interval must be >= 1 s");
  const std::int64_t epochs =
      std::max<std::int64_t>(1, duration_s / interval_s + (duration_s % interval_s != 0 ? 1 : 0));
  GPUSCHED_CHECK(epochs <= std::numeric_limits<int>::max(), "too many epochs");
  job.epochs = static_cast<int>(epochs);
  job.epoch_s = static_cast<double>(duration_s) / static_cast<double>(epochs);
  job.save_period = 1;
}

Result<std::int64_t> ParseCivilTime(std::string_view text) {
  const auto bad = [&] {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("invalid time \"{}\": expected YYYY-MM-DD HH:MM:SS", text));
  };
  if (text.size() != 19 || text[4] != '-' || text[7] != '-' || text[10] != ' ' || text[13] != ':' ||
      text[16] != ':') {
    return bad();
  }
  const int y = Digits(text, 0, 4), mo = Digits(text, 5, 2), d = Digits(text, 8, 2);
  const int h = Digits(text, 11, 2), mi = Digits(text, 14, 2), s = Digits(text, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) {
    return bad();
  }
  namespace chr = std::chrono;
  const chr::year_month_day date{chr::year{y}, chr::month{static_cast<unsigned>(mo)},
                                 chr::day{static_cast<unsigned>(d)}};
  if (!date.ok()) return bad();
  const std::int64_t days = chr::sys_days(date).time_since_epoch().count();
  return days * 86400 + h * 3600 + mi * 60 + s;
}

TimeWindow HeliosPhillyWindow() {
  return TimeWindow{*ParseCivilTime("2017-10-01 00:00:00"), *ParseCivilTime("2017-11-30 23:59:59")};
}

// --- shared reader steps ------------------------------------------------------

namespace reader {

Status ValidateInterval(std::int64_t interval_s) {
  if (interval_s >= 1) return OkStatus();
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("checkpoint_interval_s: must be >= 1, got {}", interval_s));
}

std::int64_t WholeSecondsUp(double seconds) {
  GPUSCHED_CHECK(seconds > 0 && seconds <= kMaxSecondsF, "run time out of range");
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(seconds)));
}

TraceJob RecordedWholeGpuJob(int gpus, std::int64_t run_s, std::int64_t interval_s) {
  TraceJob job;
  job.gpus = gpus;
  job.exclusive = true;
  job.speed_scaled = false;
  SynthesizeCheckpoints(run_s, interval_s, job);
  return job;
}

DropCounter::DropCounter(std::vector<std::string> reasons) {
  for (std::string& r : reasons) counts_.emplace_back(std::move(r), 0);
}

void DropCounter::Drop(std::string_view reason) {
  const auto it = std::find_if(counts_.begin(), counts_.end(),
                               [&](const auto& c) { return c.first == reason; });
  GPUSCHED_CHECK(it != counts_.end(), fmt::format("undeclared drop reason \"{}\"", reason));
  ++it->second;
}

ReadStats DropCounter::Stats(int rows, int kept) const {
  ReadStats stats{rows, kept, {}};
  for (const auto& c : counts_) {
    if (c.second > 0) stats.dropped.push_back(c);
  }
  return stats;
}

TraceRead Finish(std::vector<TraceJob> jobs, int rows, const DropCounter& drops) {
  std::stable_sort(jobs.begin(), jobs.end(),
                   [](const TraceJob& a, const TraceJob& b) { return a.submit_s < b.submit_s; });
  const int kept = static_cast<int>(jobs.size());
  return TraceRead{std::move(jobs), drops.Stats(rows, kept)};
}

}  // namespace reader
}  // namespace gpusched::sim
