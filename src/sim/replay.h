// Internal to the simulator: the state of one replay and the operations the
// event loop (engine.cc) applies to it (replay_apply.cc). One Replay owns the
// ledger, the live jobs and the outcomes; nothing else mutates them.
#pragma once

#include <cstdint>
#include <limits>
#include <queue>
#include <vector>

#include "gpusched/cluster.h"
#include "gpusched/decision.h"
#include "gpusched/job.h"
#include "gpusched/snapshot.h"
#include "sim/engine.h"
#include "sim/job_model.h"

namespace gpusched::sim::internal {

enum class EventKind : std::uint8_t {
  kEnd,   // a run trains its last epoch
  kExit,  // a stopped job's grace is over
  kTick,  // periodic retry while jobs wait
};

struct Event {
  std::int64_t t = 0;
  std::uint64_t seq = 0;  // FIFO among events of one instant
  EventKind kind = EventKind::kTick;
  int job = -1;           // trace index; -1 for ticks
  std::uint32_t gen = 0;  // the job's run generation when pushed
};

struct EventLater {
  bool operator()(const Event& a, const Event& b) const {
    return a.t != b.t ? a.t > b.t : a.seq > b.seq;
  }
};

// Simulator-only facts of a trace job, beside the core's Job.
struct SimJob {
  int active = -1;           // index into Replay::active, -1 when not live
  int class_index = 0;       // into SimResult::class_names
  std::uint32_t gen = 0;     // bumped at every bind and stop
  RunModel model;            // on the type of the current run
  int start_epoch = 0;       // checkpoint the current run resumed from
  std::int64_t train_from = 0;  // the run trains from here (after overhead)
  std::int64_t overhead_s = 0;  // restart overhead of the current run
  std::int64_t end_at = 0;      // when the current run finishes training
  bool migrating = false;       // stopped by defragmentation
  Placement migrate_to;
  std::vector<NodeIndex> hosted_on;  // nodes it ran on (image/data cached)
  std::vector<std::int64_t> preempted_s;
};

class Replay {
 public:
  // REQUIRES: `trace` and `jobs` (the admitted core jobs, parallel to it)
  // are valid; `ledger` is the empty fleet.
  Replay(const std::vector<TraceJob>& trace, std::vector<Job> jobs, ClusterLedger ledger,
         const ClassTable& classes, std::vector<Tenant> tenants, const SimOptions& options,
         std::vector<int> class_index);

  SimResult Run(const WallClock& clock);

 private:
  // The loop (engine.cc).
  std::int64_t NextTime() const;
  void Arrive(int trace_index, std::int64_t now);
  void Handle(const Event& e);
  CycleResult CycleNow(std::int64_t now);
  void RunCycleAt(std::int64_t now);
  void RefreshProgress(std::int64_t now);
  void Wake(std::int64_t t);
  bool Stuck() const;
  void Sample(std::int64_t until);
  void RecordFinalWaits(std::int64_t now);

  // Decisions and their consequences (replay_apply.cc).
  void Bind(const gpusched::Bind& b, std::int64_t now);
  void Stop(JobId id, std::int64_t now, bool migrate, const Placement* to);
  void Exit(int trace_index, std::int64_t now);
  void Finish(int trace_index, std::int64_t now);
  void Nominate(JobId id, const Placement& p, Instant expires);
  void Push(std::int64_t t, EventKind kind, int job, std::uint32_t gen);
  void Activate(int trace_index);
  void Deactivate(int trace_index);
  void MarkGpus(const Placement& p, int delta);
  void Account(int trace_index, std::int64_t now);
  void ReleaseGpus(const Job& j);
  std::int64_t RestartOverhead(const SimJob& s, const Job& j, const Placement& p) const;
  Job& CoreJob(int trace_index) { return active_[static_cast<size_t>(sim_[trace_index].active)]; }

  const std::vector<TraceJob>& trace_;
  std::vector<Job> arrivals_;  // admitted core jobs, moved into active_ at arrival
  ClusterLedger ledger_;
  const ClassTable& classes_;
  std::vector<Tenant> tenants_;
  const SimOptions& options_;

  std::vector<SimJob> sim_;
  std::vector<Job> active_;         // pending, running and preempting jobs
  std::vector<int> active_trace_;   // trace index of each active_ entry
  std::priority_queue<Event, std::vector<Event>, EventLater> events_;
  std::uint64_t seq_ = 0;
  std::size_t next_arrival_ = 0;
  std::int64_t live_events_ = 0;   // kEnd/kExit events in the queue
  std::int64_t tick_at_ = -1;      // the earliest pending tick, -1 when none
  // The next time a time-based condition may change a decision (see
  // SimOptions), found while refreshing progress and binding.
  std::int64_t next_wake_ = std::numeric_limits<std::int64_t>::max();
  std::vector<std::int64_t> min_runtime_s_;  // per class index
  std::int64_t last_cycle_ = -1;
  bool dirty_ = false;
  int pending_ = 0;
  bool last_cycle_acted_ = true;

  std::vector<int> gpu_jobs_;  // jobs holding a slice, per GPU
  int gpus_busy_ = 0;
  std::vector<int> pending_by_class_;
  int preemptions_ = 0;
  std::int64_t sample_dt_ = 60;
  std::int64_t next_sample_ = 0;

  SimResult result_;
};

}  // namespace gpusched::sim::internal
