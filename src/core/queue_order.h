// QueueSort: the order in which pending jobs are considered.
//
// PriorityThenAge (gpusched): effective priority, highest first; then age
// (time since the job became eligible, kept across preemptions), oldest
// first; then submit time; then job id. Effective priority is the value of
// the job's class, or of its boost class while the boost holds, plus SLA
// deadline pressure: from a share of its class's wait bound on, a waiting
// job rises linearly by up to `sla_pressure_max` at the bound. The pressure
// stays below the gap between classes, so it reorders jobs inside a class
// and never lets a job pass a higher class.
//
// Fifo: submit time, then job id; no priorities at all.
#pragma once

#include <vector>

#include "core/cycle_context.h"

namespace gpusched::internal {

// The class that governs `job` now: its boost class while the boost has not
// expired and names a known class, else its own class; nullptr if unknown.
const PriorityClass* EffectiveClass(const Job& job, const ClassTable& classes, Instant now);

// SLA pressure of a pending job at `now`, 0..policy.sla_pressure_max.
// Capped below the gap to the next higher class, so it never lifts a job
// past a higher class.
std::int64_t SlaPressure(const Job& job, const PriorityClass& cls, const ClassTable& classes,
                         const PolicyConfig& policy, Instant now);

// Pending job indices (into ctx.jobs) in queue order.
std::vector<int> SortPending(const CycleContext& ctx);

}  // namespace gpusched::internal
