// Victim policy: which running jobs a pending job may stop, and what
// stopping each one costs.
//
// A running job is a candidate victim of preemptor P only if it is
// preemptible, still running (not already stopping), of strictly lower
// effective priority than P (or of equal priority when P's tenant reclaims
// capacity within its guarantee from a tenant that borrows), not frozen
// (cluster, tenant or job scope), has run its class's minimum runtime, and
// has been preempted fewer than K times in the window. Guaranteed floors are
// checked on the whole victim set (see preemption.h).
//
// Cost (gpusched): GPU-seconds lost since the victim's last checkpoint plus
// its restart overhead (smaller where the node caches its image and data),
// times 1 + priority_gap_scale / (priority gap). The Kubernetes baseline
// orders by lowest priority, then most recently started, and ignores cost.
#pragma once

#include <string>

#include "core/cycle_context.h"

namespace gpusched::internal {

enum class Shield {
  kNone,            // may be preempted by this preemptor
  kNotLower,        // priority not strictly lower
  kNotPreemptible,  // the job opted out
  kStopping,        // already stopping (preempting, or chosen this cycle)
  kFrozen,          // an operator froze its scope
  kMinRuntime,      // has not run its class's minimum runtime
  kLimit,           // preempted K times within the window already
  kGuarantee,       // its tenant runs within its guaranteed share
};

// REQUIRES: victim (an index into ctx.jobs) is a running or preempting
// job, preemptor a pending one.
Shield ShieldOf(int victim, const JobInfo& preemptor, int preemptor_gpus, const CycleContext& ctx);

// The rules that depend on the victim alone (not preemptible, frozen,
// minimum runtime, preemption limit); kNone when none applies.
Shield JobShield(const Job& victim, const PriorityClass* cls, const CycleContext& ctx);

// Whether an active freeze covers `job` (cluster, its tenant, or itself).
bool Frozen(const Job& job, const CycleContext& ctx);
// Whether a cluster-wide freeze is active.
bool ClusterFrozen(const CycleContext& ctx);

struct VictimCost {
  std::int64_t lost_gpu_s = 0;
  std::int64_t restart_gpu_s = 0;
  double weighted = 0;
};

VictimCost CostOf(int victim, std::int64_t preemptor_priority, const CycleContext& ctx);

// Lost GPU-seconds and restart GPU-seconds of stopping `victim`, running on
// `node` (-1: unknown, counted as not cached), now.
std::pair<std::int64_t, std::int64_t> StopCost(const Job& victim, NodeIndex node, const CycleContext& ctx);

// Strict "a before b" in victim preference (cheaper first), by the policy's
// victim order. Total order (ties broken by job id).
bool VictimBefore(int a, const VictimCost& ca, int b, const VictimCost& cb, const CycleContext& ctx);

// "3 within their minimum runtime, 1 frozen": a summary of shield counts.
std::string DescribeShields(const std::vector<int>& counts);

}  // namespace gpusched::internal
