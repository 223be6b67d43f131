// The output of one scheduling cycle: what to do, and why, for every job the
// cycle looked at. Every record carries a reason a person can read; these are
// what `gpusched describe` shows.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gpusched/cluster.h"
#include "gpusched/types.h"

namespace gpusched {

// Start `job` on `placement` now.
struct Bind {
  JobId job = 0;
  Placement placement;
  std::string reason;
};

struct Victim {
  JobId job = 0;
  std::int64_t lost_gpu_s = 0;     // work lost since its last checkpoint
  std::int64_t restart_gpu_s = 0;  // restart overhead charged
  std::string reason;
};

// Signal `victims` to checkpoint and stop; hold `nominated` for `preemptor`
// until `nomination_expires_at` (the driver stores it as the job's
// Nomination). `grace` is the longest grace among the victims.
struct Preemption {
  JobId preemptor = 0;
  std::vector<Victim> victims;
  Placement nominated;
  Instant nomination_expires_at{};
  Duration grace{0};
  double cost = 0;  // weighted GPU-seconds
  std::string reason;
};

// Defragmentation: stop `job` (checkpoint, like a preemption) and restart it
// on `to` (nominated for it); the space it frees is nominated for
// `beneficiary`.
struct Migration {
  JobId job = 0;
  Placement to;
  std::int64_t lost_gpu_s = 0;
  std::string reason;
};

struct DefragPlan {
  JobId beneficiary = 0;
  std::vector<Migration> moves;
  Placement nominated;
  Instant nomination_expires_at{};
  std::string reason;
};

enum class WaitCode {
  kNoCapacity,        // no GPU fits now; preemption could not or may not help
  kInfeasible,        // nothing will help: no GPU in the fleet could ever fit it
  kTenantLimit,       // the tenant's guarantee + borrowing limit is reached
  kAwaitingApproval,  // class above the tenant's allowance, or budget spent
  kAwaitingVictims,   // nominated capacity is being freed for it
  kWaitInstead,       // a running job frees capacity sooner than a preemption
  kReserved,          // holds a reservation: starts when capacity frees
  kBehindReservation, // would fit only on capacity reserved for a job ahead
  kDeferred,          // the cycle's work bound was reached; next cycle
};

const char* WaitCodeName(WaitCode code);

struct Wait {
  JobId job = 0;
  WaitCode code = WaitCode::kNoCapacity;
  std::string reason;
  int position = 0;  // 1-based place in the queue order among pending jobs
  std::optional<Instant> predicted_start;
};

// A class change made at admission (credit) is not here; see admission.h.
struct CycleStats {
  int pending = 0;
  int running = 0;
  int placement_searches = 0;
  int shape_cache_hits = 0;
  int preemption_attempts = 0;
  int defrag_attempts = 0;
};

struct CycleResult {
  std::vector<Bind> binds;
  std::vector<Preemption> preemptions;
  std::vector<DefragPlan> defrags;
  std::vector<Wait> waits;
  CycleStats stats;
};

// A canonical text rendering of a cycle result (one decision per line, in
// decision order). Two results are the same decisions iff these are equal.
std::string ToText(const CycleResult& result);

}  // namespace gpusched
