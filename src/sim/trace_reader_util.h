// Internal to the trace readers: the steps every CSV trace reader shares.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpusched/status.h"
#include "sim/trace_readers.h"

namespace gpusched::sim::reader {

// The longest run time (and the latest time) a trace may give: 10 years of
// seconds. It keeps synthesized epoch counts within an int.
constexpr std::int64_t kMaxSeconds = 315'360'000;
constexpr double kMaxSecondsF = 315'360'000.0;

// Fails unless interval_s >= 1: `checkpoint_interval_s: must be >= 1, got 0`.
Status ValidateInterval(std::int64_t interval_s);

// A positive run time in seconds rounded up to whole seconds, at least 1.
// REQUIRES: 0 < seconds <= kMaxSeconds.
std::int64_t WholeSecondsUp(double seconds);

// A whole-GPU job with recorded (unscaled) run time and synthesized
// checkpoints; the caller sets id, submit_s, tenant and class_name.
TraceJob RecordedWholeGpuJob(int gpus, std::int64_t run_s, std::int64_t interval_s);

// Counts drops per reason, keeping the reasons' declared order.
class DropCounter {
 public:
  // `reasons`: every reason this reader may drop for, in report order.
  explicit DropCounter(std::vector<std::string> reasons);
  // REQUIRES: `reason` is one of the declared reasons.
  void Drop(std::string_view reason);
  // Fills stats.rows/kept/dropped (only reasons with a count > 0).
  ReadStats Stats(int rows, int kept) const;

 private:
  std::vector<std::pair<std::string, int>> counts_;
};

// Sorts by submit_s, keeping file order for equal times, and pairs the jobs
// with their stats.
TraceRead Finish(std::vector<TraceJob> jobs, int rows, const DropCounter& drops);

}  // namespace gpusched::sim::reader
