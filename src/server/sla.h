// SLA figures per priority class, from the control plane's job records:
// how long jobs waited from submission to their first start, against the
// class's target ("p % of jobs start within max_wait"). Pure: the caller
// passes the records and `now`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gpusched/priority.h"
#include "gpusched/types.h"

namespace gpusched::server {

struct JobRecord;

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
  // Jobs pending now that never started, and the longest of their waits so
  // far (they count against the SLA too, once they start).
  int pending = 0;
  int pending_over_target = 0;      // never started, already waiting > target
  Duration oldest_pending{0};
};

// One entry per class of `classes` (highest first), over jobs whose first
// start lies in (now - window, now]. REQUIRES: window > 0.
std::vector<ClassSla> SlaReport(const std::map<JobId, JobRecord>& jobs, const ClassTable& classes,
                                Instant now, Duration window);

}  // namespace gpusched::server
