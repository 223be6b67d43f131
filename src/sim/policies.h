// The scheduling policies `gpusched sim` compares. All of them are the same
// scheduling core under different knobs, so the comparison measures policy,
// not implementation:
//
//   fifo      submission order only; no priorities, no preemption, and
//             nothing passes the first job that does not fit.
//   priority  strict priority order (class, then age); no preemption, and
//             nothing passes the first blocked job.
//   k8s       priority with preemption as the Kubernetes default scheduler
//             does it: victims of lower priority, lowest first, then the most
//             recently started; no checkpoint awareness, no preemption
//             limits, no minimum runtime, no guaranteed floors, no SLA
//             pressure, no reservations or defragmentation; any job that fits
//             may start.
//   gpusched  the full core as configured (the cluster file's policy).
#pragma once

#include <string_view>
#include <vector>

#include "gpusched/policy.h"
#include "gpusched/status.h"

namespace gpusched::sim {

// The policy named `name`, derived from `configured` (the cluster file's
// settings, used as is for "gpusched"). Fails naming the unknown name and
// the known ones.
Result<PolicyConfig> PolicyNamed(std::string_view name, const PolicyConfig& configured);

// Parses "fifo,priority,k8s,gpusched" (any subset, in that order of
// mention); fails on an empty list, an unknown name or a repeated one.
Result<std::vector<std::string_view>> ParsePolicyList(std::string_view list);

}  // namespace gpusched::sim
