// The simulator's event loop: replays a trace in virtual time through the
// scheduling core (RunCycle), the same function the server calls.
//
// Time is whole seconds from the trace start. Events are job arrivals, job
// ends, preempted jobs' exits (after their class's grace) and wake-ups (see
// SimOptions); after the events of one instant the loop runs a scheduling
// cycle when something changed (an arrival, freed capacity, a wake-up) and
// applies its decisions the way the server's driver does:
//   - a bind allocates the placement; a job that ran before pays the restart
//     overhead (PolicyConfig::restart_overhead, or restart_overhead_uncached
//     on a node whose labels lack the job's image or dataset) before it
//     trains again from its newest checkpoint;
//   - a preemption marks the victims kPreempting; each keeps training through
//     its grace period (it may reach a checkpoint, or finish, in it), then
//     exits, loses the training since its newest checkpoint, and is requeued
//     keeping its place (eligible_since); the preemptor holds a nomination;
//   - a defragmentation plan stops each moved job the same way and requeues
//     it with a nomination on its new placement.
// Jobs are admitted at arrival with the core's Admit (the tenant's default
// class when the trace gives none); the simulator plays the operator who
// approves every job at once (approval latency is not modelled).
//
// Pure with respect to the outside world: no I/O; `wall_s` is measured by
// the caller-supplied clock only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gpusched/gpu_catalog.h"
#include "gpusched/policy.h"
#include "gpusched/status.h"
#include "sim/cluster_file.h"
#include "sim/trace_jsonl.h"

namespace gpusched::sim {

struct SimOptions {
  std::string policy_name = "gpusched";  // for the report only
  PolicyConfig policy;                   // the knobs the core runs with
  // Besides events, cycles run when a time-based condition may change a
  // decision: a running job passes its class's minimum runtime, a
  // preemption leaves the limit's window, a nomination expires. When the
  // core defers jobs (its per-cycle work bound), the next cycle runs
  // `retry_interval_s` later; while jobs wait, one runs at least every
  // `idle_tick_s` as a guard.
  std::int64_t retry_interval_s = 60;
  std::int64_t idle_tick_s = 3600;
  // Timeline samples for the report: about this many, evenly spaced.
  int timeline_samples = 400;
  // Stop the replay at this virtual time (seconds); jobs not finished by
  // then count as not completed. 0: run until every job has finished or can
  // never run.
  std::int64_t horizon_s = 0;
};

// What happened to one job of the trace.
struct JobOutcome {
  std::string id;
  std::string tenant;
  std::string class_name;  // the class it was admitted under
  int gpus = 1;
  std::int64_t submit_s = 0;
  std::int64_t first_start_s = -1;  // -1: never started
  std::int64_t end_s = -1;          // -1: did not complete
  int preemptions = 0;              // times chosen as a victim
  int migrations = 0;               // times moved by defragmentation
  // Max preemptions inside any 24-hour window.
  int max_preemptions_24h = 0;
  double work_gpu_s = 0;     // training it needed (GPU-seconds on its GPUs)
  double lost_gpu_s = 0;     // training lost to stops (GPU-seconds)
  double restart_gpu_s = 0;  // restart overhead paid (GPU-seconds)
  double held_gpu_s = 0;     // GPU-seconds it held placements (all runs)
  // Epoch it resumed from at each restart (after a stop), in order.
  std::vector<int> resumed_from_epoch;
  std::string wait_reason;  // for a job that never started: why, at the end
};

// The fleet over time, sampled.
struct TimelineSample {
  std::int64_t t_s = 0;
  int gpus_busy = 0;   // GPUs holding at least one job's slice
  int running = 0;     // running + preempting jobs
  std::vector<int> pending_by_class;  // parallel to SimResult::class_names
  int preemptions = 0;  // cumulative
};

struct SimResult {
  std::string policy;
  int total_gpus = 0;
  // Classes as the replay used them (highest first), with their SLA targets
  // (max wait seconds; -1 when the class has none) and percentile.
  std::vector<std::string> class_names;
  std::vector<std::int64_t> sla_target_s;
  std::vector<int> sla_percentile;
  std::vector<JobOutcome> jobs;  // in trace order
  std::vector<TimelineSample> timeline;
  std::int64_t events = 0;  // arrivals, ends, exits and ticks processed
  std::int64_t cycles = 0;  // scheduling cycles run
  std::int64_t end_s = 0;   // virtual time when the replay stopped
  double wall_s = 0;        // real seconds the replay took
};

// A monotonic clock in seconds, for SimResult::wall_s (tests pass a fake).
using WallClock = std::function<double()>;
double SteadySeconds();

// Replays `trace` on the cluster of `config` under `options`. Fails, changing
// nothing, when a job names a class the table lacks, a tenant the config
// lacks (unless config.open_tenants: then every tenant of the trace is added
// with default settings), or an unknown GPU type.
// REQUIRES: `catalog` is the one `config` was parsed with.
Result<SimResult> Simulate(const GpuCatalog& catalog, const ClusterConfig& config,
                           const std::vector<TraceJob>& trace, const SimOptions& options,
                           const WallClock& clock = SteadySeconds);

}  // namespace gpusched::sim
