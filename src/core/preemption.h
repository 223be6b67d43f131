// PostFilter: preemption. When no GPU fits a job, find the victim set of
// least cost whose exit lets the whole job fit, or say why none exists.
//
// Mechanism (after the Kubernetes scheduler's PostFilter): for each GPU that
// could hold one of the job's slices, pick the cheapest candidate victims on
// it until the slice fits; for each node, take the job's GPU count of the
// cheapest GPUs, union their victims and check the tenants' guaranteed
// floors on the whole set (a tenant keeps at least its guarantee when
// another tenant preempts it). The node with the least total cost wins;
// ties: fewer victims, lower highest victim priority, lower node index. A
// gang is preempted for only if all its GPUs fit after the victims exit.
//
// "Wait instead": when running jobs predicted to finish within the victims'
// grace period would free enough, preemption would not make the job start
// sooner, so the plan says to wait.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/cycle_context.h"
#include "core/free_view.h"

namespace gpusched::internal {

struct PreemptionPlan {
  std::vector<int> victims;  // job indices, cheapest first
  Placement nominated;
  double cost = 0;
  Duration grace{0};
};

struct PreemptionOutcome {
  std::optional<PreemptionPlan> plan;
  // Set instead of a plan when running jobs free enough within the grace.
  std::optional<std::string> wait_instead;
  std::optional<Instant> wait_until;
  // Why no plan, when neither is set.
  std::string why_not;
};

// REQUIRES: `job` is a pending job index that FindPlacement could not place.
PreemptionOutcome FindPreemption(const Request& r, int job, const CycleContext& ctx,
                                 const FreeView& view);

}  // namespace gpusched::internal
