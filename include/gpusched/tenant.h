// Tenants: who owns jobs, what share of the fleet they are guaranteed, how
// far they may borrow beyond it, and how much urgent capacity they may take
// without an operator's approval.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "gpusched/types.h"

namespace gpusched {

struct Tenant {
  std::string name;
  // GPUs this tenant may always use: another tenant's job never preempts
  // its jobs below this many GPUs (jobs above it, borrowed, may go).
  int guaranteed_gpus = 0;
  // GPUs it may use beyond the guarantee when they are idle; such borrowed
  // capacity is reclaimable. nullopt: no limit beyond the fleet.
  std::optional<int> borrow_limit_gpus;
  std::string default_class = "medium";
  // Jobs of a class above this one wait in AwaitingApproval until approved.
  std::string max_class_without_approval = "critical";
  // Rolling budget of critical GPU-hours, in GPU-seconds; nullopt: unlimited.
  // `critical_used_gpu_s` is what the tenant used inside the window, as
  // accounted by the driver (server or simulator).
  std::optional<std::int64_t> critical_budget_gpu_s;
  std::int64_t critical_used_gpu_s = 0;
  // Credit score 0..100, lowered by CreditEvent (see admission.h).
  int credit = 100;
};

}  // namespace gpusched
