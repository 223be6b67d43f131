// The scheduling cycle: a pure function from a snapshot to decisions.
#pragma once

#include "gpusched/decision.h"
#include "gpusched/snapshot.h"

namespace gpusched {

// Runs one scheduling cycle over `snapshot` and returns its decisions:
// binds for jobs that start now, preemptions and defragmentation plans for
// jobs that need capacity freed, and a wait record with a reason for every
// other pending job.
//
// Pure: no I/O, no clock, no threads, no global state; the same snapshot
// gives the same result, byte for byte (see ToText). The decisions are
// consistent with each other: applying all binds to the ledger never
// over-commits a GPU, and no job is both bound and chosen as a victim.
//
// A pending job with an unknown class or tenant, or a nonsense request
// (fewer than one GPU, non-positive memory), waits as kInfeasible with a
// reason naming the field; one above its tenant's allowance or critical
// budget waits as kAwaitingApproval.
//
// Phases, after the Kubernetes scheduling framework:
//   1. Sort     pending jobs by effective priority (class, boost, SLA
//               pressure), then age, then submit time.
//   2. Filter   GPUs that can hold the job (memory, type, health, drain,
//               gang, tenant limits).
//   3. Score    smallest card that fits, locality, least fragmentation.
//   4. Preempt  when nothing fits: defragmentation or the victim set of
//               least cost, within the preemption rules.
//   5. Reserve  the first blocked jobs get reservations; smaller jobs may
//               backfill around them.
//
// REQUIRES: snapshot.ledger and snapshot.classes are set; running and
// preempting jobs hold placements in the ledger; job ids are unique.
CycleResult RunCycle(const Snapshot& snapshot);

}  // namespace gpusched
