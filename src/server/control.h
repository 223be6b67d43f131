// The control plane's state and the commands that change it. One Control is
// owned by one thread (the server's owner thread); it does no I/O and reads
// no clock: every command gets `now`. Each command returns what it changed
// (a ChangeSet) so that the caller can make it durable before it answers
// (docs/control-plane.md).
//
// Job lifecycle:
//   kPending   -> kRunning  (a cycle binds it: an assignment is created)
//   kRunning   -> kStopping (a cycle preempts or moves it, or it is
//                            cancelled: its assignment turns into a stop
//                            order with a grace period)
//   kStopping  -> kPending  (it exited after a preemption or a move, or its
//                            node's lease lapsed: requeued from its newest
//                            checkpoint, keeping its place in line)
//   kRunning   -> kSucceeded | kFailed (it exited 0 | non-zero with no retry
//                            left; with retries left it is requeued)
//   kPending | kRunning | kStopping -> kCancelled (by its owner or an admin)
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gpusched/cycle.h"
#include "gpusched/job.h"
#include "gpusched/memory_estimate.h"
#include "gpusched/policy.h"
#include "gpusched/priority.h"
#include "gpusched/runtime_model.h"
#include "gpusched/snapshot.h"
#include "gpusched/tenant.h"
#include "server/fleet.h"

namespace gpusched::server {

enum class JobState { kPending, kRunning, kStopping, kSucceeded, kFailed, kCancelled };
std::string_view JobStateName(JobState state);
bool IsFinal(JobState state);

std::string_view FreezeScopeName(FreezeScope scope);  // "cluster", "tenant", "job"
std::optional<FreezeScope> ParseFreezeScope(std::string_view name);

// What a submission asks for, resolved by the caller from the user's job
// spec (memory estimated, GPU types looked up); the spec itself is kept as
// opaque JSON for the agent and for `describe`.
struct JobRequest {
  std::string name;
  std::string tenant;
  std::string class_name;  // empty: the tenant's default
  int gpus = 1;
  MiB memory_per_gpu_mib = 0;
  // The memory is an estimate from `model_key` (no explicit figure): a peak
  // agents reported for that key replaces it.
  bool memory_estimated = false;
  int memory_fraction_permille = 0;
  bool exclusive = false;
  bool preemptible = true;
  std::vector<GpuTypeId> gpu_types;
  std::string image;
  std::string dataset;
  std::string model_key;
  int epochs = 0;               // 0: not epoch-based
  Duration epoch_t4{0};         // estimates on a T4, 0: unknown
  Duration duration_t4{0};
  int max_retries = 0;
  std::string spec_json;
};

// One GPU of an assignment, as the agent on its node addresses it.
struct AssignedGpu {
  std::string node;
  int index = 0;
  std::string uuid;
};

// One run of a job. Agents see it once `visible_after` is durable.
struct Assignment {
  std::uint64_t id = 0;
  std::vector<AssignedGpu> gpus;
  int resume_epoch = 0;           // the checkpoint the run starts from
  bool stop = false;              // the run must stop
  Instant stop_deadline = kNever; // grace end: then the agent kills it
  std::uint64_t visible_after = 0;  // the ChangeSet sequence that created it
  // The sequence that told it to stop: until that is durable, agents still
  // see the run as it was (running), never without it.
  std::uint64_t stop_visible_after = 0;
};

struct JobRecord {
  Job job;  // the core's view: id, phase, request, progress, queue state
  JobState state = JobState::kPending;
  std::string spec_json;
  std::optional<Assignment> assignment;  // the current run
  int retries_left = 0;
  int exit_code = 0;
  // The start of its first run (for SLA: wait = first start - submission).
  std::optional<Instant> first_started_at;
  // The largest per-GPU memory its runs were seen using (agents' reports).
  MiB peak_mib = 0;
  // When the current run last finished an epoch (or started); not stored.
  std::optional<Instant> last_epoch_at;
  std::string end_reason;  // why it ended (failed / cancelled), for describe
  Instant ended_at{};
  // From the newest cycle, for a pending job: why it waits.
  std::optional<Wait> wait;
  bool cancel_requested = false;
  // A defragmentation move's new place, claimed once the run has stopped.
  std::optional<Nomination> after_stop;
};

// What a command changed: the caller persists these rows and events in one
// transaction before it acknowledges the command.
struct ChangeSet {
  std::uint64_t seq = 0;  // this change's number (increasing)
  std::set<JobId> jobs;
  std::set<std::string> nodes;
  bool settings = false;  // freezes
  bool learned = false;   // learned epoch times and memory peaks
  bool policy = false;    // classes and tenants
  struct Event {
    JobId job = 0;  // 0: not about one job
    std::string kind;
    std::string text;
  };
  std::vector<Event> events;
  bool empty() const {
    return jobs.empty() && nodes.empty() && !settings && !learned && !policy && events.empty();
  }
};

// An agent's report about one assignment.
struct Report {
  std::uint64_t assignment = 0;
  // kPreempted: it exited after a stop order (the same as kExited, named
  // for the log); kMemory: its peak memory per GPU so far.
  enum class Kind { kStarted, kEpoch, kCheckpoint, kMemory, kExited, kPreempted };
  Kind kind = Kind::kStarted;
  // kEpoch: epochs finished; kCheckpoint: the epoch it holds; kExited and
  // kPreempted: the epoch of a checkpoint saved while stopping (0: none).
  int epoch = 0;
  Duration epoch_time{0};  // kEpoch: the agent's measure of the last epoch (0: unknown)
  MiB peak_mib = 0;        // kMemory
  int exit_code = 0;       // kExited
  std::string message;     // kExited: the log's tail or the reason
};

struct StoredJob;  // records.h
struct Counters;   // records.h

class Control {
 public:
  struct Settings {
    ClassTable classes = ClassTable::Defaults();
    std::vector<Tenant> tenants;
    PolicyConfig policy;
    Duration lease{30};
  };
  // REQUIRES: `catalog` outlives the Control.
  Control(const GpuCatalog* catalog, Settings settings);

  // --- users ----------------------------------------------------------
  // Queues a job. Fails naming the field on an unknown tenant or class, a
  // request no GPU type of the catalog could ever hold, or a GPU count
  // above the fleet's when nodes are known.
  Result<JobId> Submit(JobRequest request, Instant now, ChangeSet& out);
  Status Cancel(JobId id, const std::string& by, Instant now, ChangeSet& out);

  // --- operators (control_ops.cc) -------------------------------------
  // Runs job `id` under `class_name` until `until` (then its own class
  // again). Fails on an unknown job or class, a finished job, or `until` not
  // after `now`.
  Status Boost(JobId id, const std::string& class_name, Instant until, const std::string& by,
               Instant now, ChangeSet& out);
  // Approves a pending job: it no longer waits in AwaitingApproval and
  // competes from now on. Fails on an unknown, finished, running or already
  // approved job.
  Status Approve(JobId id, const std::string& by, Instant now, ChangeSet& out);
  // Adds a freeze (jobs in scope are never victims) or, when one with the
  // same scope and target exists, moves its expiry. Fails on an unknown
  // tenant or job, a cluster freeze with a target, or an expiry not after
  // `now`.
  Result<Freeze> AddFreeze(Freeze freeze, const std::string& by, Instant now, ChangeSet& out);
  // Removes the freezes of `scope` and `target`; returns how many.
  int RemoveFreezes(FreezeScope scope, const std::string& target, const std::string& by,
                    ChangeSet& out);
  // Drains (no new work; running work stays until it ends or is moved) or
  // undrains a node. Fails on an unknown node.
  Status SetDrained(const std::string& node, bool drained, const std::string& by, ChangeSet& out);

  // --- admin (control_ops.cc) -----------------------------------------
  // Adds or replaces (by name) a priority class. Fails, changing nothing,
  // when it is malformed or its value is another class's.
  Status PutClass(PriorityClass pc, const std::string& by, ChangeSet& out);
  // Adds or replaces (by name) a tenant; the classes it names must exist.
  // An existing tenant keeps its usage counters.
  Status PutTenant(Tenant tenant, const std::string& by, ChangeSet& out);
  // Restart: the classes and tenants an admin set, stored, replace the
  // configuration file's.
  void RestorePolicy(ClassTable classes, std::vector<Tenant> tenants);

  // --- agents ---------------------------------------------------------
  Result<std::uint64_t> Register(const Registration& r, Instant now, ChangeSet& out);
  Result<Instant> Heartbeat(const std::string& node, std::uint64_t generation,
                            const std::vector<AgentGpu>& gpus, Instant now, ChangeSet& out);
  // Applies reports from `node`. A report about an assignment that is not
  // the job's current one changes nothing (it is stale) but is not an error.
  Status ApplyReports(const std::string& node, std::uint64_t generation,
                      const std::vector<Report>& reports, Instant now, ChangeSet& out);
  // Runs and stops `node`'s agent must know of, durable up to `durable_seq`.
  std::vector<std::pair<JobId, Assignment>> AssignmentsFor(const std::string& node,
                                                           std::uint64_t durable_seq) const;
  // Of the runs an agent says it has, those it must stop (not current).
  std::vector<std::uint64_t> Unknown(const std::string& node,
                                     const std::vector<std::uint64_t>& running) const;
  // The job whose current run is `assignment` when that run holds a GPU of
  // `node`; nullopt for a run that is over, never existed or is elsewhere
  // (the check every report about a run passes).
  std::optional<JobId> RunOf(const std::string& node, std::uint64_t assignment) const;

  // --- the loop -------------------------------------------------------
  // Lapsed leases (jobs requeued), expired boosts and freezes, then one
  // scheduling cycle and its decisions. Returns the cycle's result for
  // metrics. The cycle is skipped (an empty result, last_tick_ran() false)
  // when it could decide nothing new: nothing changed since the last cycle
  // (which made no decision), no time-based rule comes due (a minimum
  // runtime passing, a preemption leaving the limit window, a nomination
  // expiring, a deferred job's retry), and the last cycle is less than
  // kIdleCycle old.
  CycleResult Tick(Instant now, ChangeSet& out);
  bool last_tick_ran() const { return last_tick_ran_; }
  static constexpr Duration kIdleCycle{60};

  // --- restart --------------------------------------------------------
  // Rebuilds the state from stored rows (records.h) into an empty Control:
  // nodes first (each gets one lease to return), then jobs with the slices
  // they held and their nominations, then the counters. Fails, naming the
  // job or node, when a row does not fit (a slice on an unknown GPU).
  Status Restore(std::vector<NodeState> nodes, std::vector<StoredJob> jobs,
                 const Counters& counters, std::vector<Freeze> freezes, Instant now);
  Counters counters() const;

  // Puts back learned figures saved by an earlier run (restart).
  void RestoreLearned(const std::map<std::string, MiB, std::less<>>& peaks,
                      const std::vector<RuntimeModel::Learned>& epochs);

  // --- reads ----------------------------------------------------------
  // Memory estimates, corrected by the peaks agents reported. Owner thread.
  const MemoryEstimator& estimator() const { return estimator_; }
  const RuntimeModel& runtime() const { return runtime_; }
  const JobRecord* Find(JobId id) const;
  // The most epochs between checkpoints for a job of this class (its class's
  // save_period; 5 for a class that no longer exists).
  int SavePeriodOf(const Job& job) const;
  const std::map<JobId, JobRecord>& jobs() const { return jobs_; }
  const ClusterLedger& ledger() const { return ledger_; }
  const Fleet& fleet() const { return fleet_; }
  const std::vector<Freeze>& freezes() const { return freezes_; }
  const Settings& settings() const { return settings_; }
  std::uint64_t next_seq() const { return next_seq_; }

 private:
  void Begin(ChangeSet& out);
  void Log(ChangeSet& out, JobId job, std::string kind, std::string text);
  void Bind(const gpusched::Bind& b, Instant now, ChangeSet& out);
  void StopRun(JobId id, Instant now, Duration grace, std::string why, ChangeSet& out);
  void Requeue(JobRecord& r, Instant now, std::string why, ChangeSet& out);
  void Finish(JobRecord& r, JobState state, Instant now, std::string why, ChangeSet& out);
  void ExpireLeases(Instant now, ChangeSet& out);
  void ExpireOperatorActions(Instant now, ChangeSet& out);  // boosts, freezes
  void ApplyReport(JobRecord& r, const Report& report, Instant now, ChangeSet& out);
  void ApplyEpoch(JobRecord& r, const Report& report, Instant now, ChangeSet& out);
  void ApplyMemory(JobRecord& r, const Report& report, ChangeSet& out);
  void ApplyExit(JobRecord& r, const Report& report, Instant now, ChangeSet& out);
  Status CheckRequest(const JobRequest& req) const;
  Duration GraceOf(const Job& job) const;
  void TrackRun(const JobRecord& r);    // r.assignment was just set
  void UntrackRun(const JobRecord& r);  // before r.assignment is reset

  const GpuCatalog* catalog_;
  Settings settings_;
  ClusterLedger ledger_;
  Fleet fleet_;
  RuntimeModel runtime_;
  MemoryEstimator estimator_;
  std::map<JobId, JobRecord> jobs_;
  // Indexes of the current runs: by assignment id, and the jobs running
  // (or stopping) on each node. Kept in step by TrackRun / UntrackRun.
  std::map<std::uint64_t, JobId> run_owner_;
  std::map<std::string, std::set<JobId>, std::less<>> node_runs_;
  std::vector<Freeze> freezes_;
  // When the next cycle is due (see Tick).
  bool changed_ = true;
  bool last_tick_ran_ = false;
  Instant last_cycle_{};
  Instant next_wake_ = kNever;
  Instant next_expiry_{};  // earliest boost or freeze expiry (epoch: unknown)
  JobId next_job_ = 1;
  std::uint64_t next_assignment_ = 1;
  std::uint64_t next_seq_ = 1;
};

}  // namespace gpusched::server
