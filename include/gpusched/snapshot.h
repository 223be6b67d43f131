// The input of one scheduling cycle: everything the core may look at. All
// members are read-only views of state the driver owns; they must outlive
// the call to RunCycle.
#pragma once

#include <span>
#include <string>

#include "gpusched/cluster.h"
#include "gpusched/job.h"
#include "gpusched/policy.h"
#include "gpusched/priority.h"
#include "gpusched/runtime_model.h"
#include "gpusched/tenant.h"

namespace gpusched {

enum class FreezeScope { kCluster, kTenant, kJob };

// An operator's freeze: jobs in scope are never chosen as victims (of
// preemption or defragmentation) until `expires_at`.
struct Freeze {
  FreezeScope scope = FreezeScope::kCluster;
  std::string target;  // tenant name, or decimal job id; empty for cluster
  Instant expires_at = kNever;
};

struct Snapshot {
  Instant now{};
  const ClusterLedger* ledger = nullptr;   // REQUIRED
  const ClassTable* classes = nullptr;     // REQUIRED
  const RuntimeModel* runtime = nullptr;   // optional: learned epoch times
  PolicyConfig policy;
  // Pending, running and preempting jobs. Running and preempting jobs must
  // hold a placement in `ledger`; pending jobs must not.
  std::span<const Job> jobs;
  std::span<const Tenant> tenants;
  std::span<const Freeze> freezes;
};

}  // namespace gpusched
