// SLA figures per priority class, from the control plane's job records:
// how long jobs waited from submission to their first start, against the
// class's target ("p % of jobs start within max_wait"). Pure: the caller
// passes the records and `now`.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gpusched/priority.h"
#include "gpusched/types.h"

namespace gpusched::server {

struct JobRecord;

// The wait histogram's buckets: bucket i counts waits w with
// kWaitBuckets[i-1] < w <= kWaitBuckets[i] (bounds inclusive; bucket 0 from
// 0 s); one more bucket after them counts the waits above the last bound.
inline constexpr std::array<Duration, 11> kWaitBuckets = {
    Duration(30),    Duration(60),    Duration(120),  Duration(300),
    Duration(600),   Duration(1800),  Duration(3600), Duration(7200),
    Duration(14400), Duration(43200), Duration(86400)};

// First starts in one slice of the window (see SlaReport).
struct SlaSlice {
  int started = 0;
  int met = 0;  // of those, waited <= target (all when no target)
};

struct ClassSla {
  std::string class_name;
  std::optional<SlaTarget> target;  // nullopt: the class has no SLA
  // Jobs that first started inside the window, and their waits.
  int started = 0;
  int met = 0;                      // of those, waited <= target (all when no target)
  std::optional<double> attainment; // met / started; nullopt when none started
  Duration wait_p50{0};
  Duration wait_p95{0};
  Duration wait_max{0};
  // The same first starts by wait: kWaitBuckets.size() + 1 counts.
  std::vector<int> wait_histogram;
  // The same first starts by the slice of the window they fall in, oldest
  // first: exactly `slices` entries.
  std::vector<SlaSlice> slices;
  // Jobs pending now that never started, and the longest of their waits so
  // far (they count against the SLA too, once they start).
  int pending = 0;
  int pending_over_target = 0;      // never started, already waiting > target
  Duration oldest_pending{0};
};

// One entry per class of `classes` (highest first), over jobs whose first
// start lies in (now - window, now]. The window is cut into `slices` slices
// of SliceLength(window, slices) each, the last one ending at `now`; the
// first (oldest) slice also takes the remainder when `slices` does not
// divide `window`. A start at `now - k * length` belongs to the slice that
// ends there (slices are (end - length, end]).
// REQUIRES: window > 0, 1 <= slices, window >= slices seconds.
std::vector<ClassSla> SlaReport(const std::map<JobId, JobRecord>& jobs, const ClassTable& classes,
                                Instant now, Duration window, int slices = 1);

// Whole seconds per slice: window / slices, rounded down. REQUIRES: as above.
Duration SliceLength(Duration window, int slices);

}  // namespace gpusched::server
