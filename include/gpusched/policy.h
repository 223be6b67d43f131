// Tunables of the scheduling cycle. The defaults are gpusched's policy; the
// simulator builds the baselines it compares against (FIFO, strict priority,
// the Kubernetes default preemption) from the same knobs.
#pragma once

#include <string>

#include "gpusched/types.h"

namespace gpusched {

enum class QueueOrderKind {
  kPriority,  // effective priority, then age, then submit time (gpusched)
  kFifo,      // submit time only
};

enum class VictimOrderKind {
  // Least weighted cost: GPU-seconds lost since each victim's checkpoint plus
  // restart overhead, weighted by the priority gap (gpusched).
  kCheckpointAware,
  // Lowest priority first, then the most recently started (Kubernetes default).
  kLowestPriorityNewest,
};

struct PolicyConfig {
  QueueOrderKind queue_order = QueueOrderKind::kPriority;
  VictimOrderKind victim_order = VictimOrderKind::kCheckpointAware;

  bool enable_preemption = true;
  bool enable_backfill = true;  // smaller jobs may pass a blocked big one
  bool enable_defrag = true;
  bool enable_reservations = true;

  // Preemption limits (gpusched): at most `max_preemptions_per_window`
  // preemptions of one job within `preemption_window`.
  bool enforce_preemption_limits = true;
  int max_preemptions_per_window = 1;
  Duration preemption_window{24 * 3600};
  // Guaranteed floors: a tenant within its guarantee is not preempted by
  // another tenant. Off for the Kubernetes baseline.
  bool enforce_guarantees = true;
  // An exception to "only strictly lower priority", off by default: a tenant
  // below its guarantee may reclaim borrowed capacity from another tenant's
  // jobs of equal class (like Kueue's reclaimWithinCohort).
  bool reclaim_equal_priority = false;
  // Wait instead of preempting when running jobs free enough before the
  // victims' grace period would.
  bool wait_instead = true;
  bool respect_min_runtime = true;

  // Restart overhead charged to a victim, on a node that has / lacks the
  // job's image and dataset cached.
  Duration restart_overhead{60};
  Duration restart_overhead_uncached{240};
  // Cost weight of a victim: 1 + priority_gap_scale / (preemptor - victim
  // priority). A victim far below costs little more than its lost work.
  int priority_gap_scale = 200;

  // SLA deadline pressure: from `sla_pressure_start_permille` of the class
  // wait bound, a job's effective priority rises linearly up to
  // `sla_pressure_max` at the bound (stays inside the class's band).
  int sla_pressure_max = 50;
  int sla_pressure_start_permille = 500;

  // Work bounds per cycle (keep one cycle fast on large fleets).
  int max_reservations = 16;
  int max_preemption_attempts = 16;
  int max_defrag_attempts = 8;
  // How long a nomination holds freed capacity for its preemptor.
  Duration nomination_ttl{600};

  // Credit: below this score, new jobs above `high` are demoted one class.
  int credit_threshold = 50;
  std::string credit_demote_above = "high";
};

}  // namespace gpusched
