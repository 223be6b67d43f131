// The replay's setup (admission, validation) and its event loop. See
// engine.h for the model; replay_apply.cc applies the cycle's decisions.
#include "sim/engine.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <fmt/format.h>

#include "gpusched/admission.h"
#include "gpusched/cycle.h"
#include "sim/replay.h"

namespace gpusched::sim {
namespace internal {
namespace {

std::int64_t SecondsSince(Instant t) { return t.time_since_epoch().count(); }

}  // namespace

Replay::Replay(const std::vector<TraceJob>& trace, std::vector<Job> jobs, ClusterLedger ledger,
               const ClassTable& classes, std::vector<Tenant> tenants,
               const SimOptions& options, std::vector<int> class_index)
    : trace_(trace),
      arrivals_(std::move(jobs)),
      ledger_(std::move(ledger)),
      classes_(classes),
      tenants_(std::move(tenants)),
      options_(options),
      sim_(trace.size()) {
  for (std::size_t i = 0; i < trace.size(); ++i) sim_[i].class_index = class_index[i];
  gpu_jobs_.assign(static_cast<size_t>(ledger_.gpu_count()), 0);
  result_.policy = options.policy_name;
  result_.total_gpus = ledger_.gpu_count();
  for (const PriorityClass& c : classes.classes()) {
    result_.class_names.push_back(c.name);
    result_.sla_target_s.push_back(c.sla ? c.sla->max_wait.count() : -1);
    result_.sla_percentile.push_back(c.sla ? c.sla->percentile : 0);
    min_runtime_s_.push_back(c.min_runtime.count());
  }
  pending_by_class_.assign(result_.class_names.size(), 0);
  result_.jobs.resize(trace.size());
  for (std::size_t i = 0; i < trace.size(); ++i) {
    JobOutcome& o = result_.jobs[i];
    o.id = trace[i].id;
    o.tenant = arrivals_[i].tenant;
    o.class_name = arrivals_[i].class_name;
    o.gpus = trace[i].gpus;
    o.submit_s = trace[i].submit_s;
  }
  const std::int64_t span = trace.empty() ? 0 : trace.back().submit_s - trace.front().submit_s;
  sample_dt_ = std::max<std::int64_t>(60, span / std::max(1, options.timeline_samples));
  next_sample_ = trace.empty() ? 0 : trace.front().submit_s;
}

std::int64_t Replay::NextTime() const {
  std::int64_t t = std::numeric_limits<std::int64_t>::max();
  if (next_arrival_ < trace_.size()) t = trace_[next_arrival_].submit_s;
  if (!events_.empty()) t = std::min(t, events_.top().t);
  return t;
}

// No arrivals left, no job will end or exit, no time-based condition is
// ahead, and the last cycle changed nothing: the jobs still waiting can
// never run.
bool Replay::Stuck() const {
  return next_arrival_ >= trace_.size() && live_events_ == 0 && !last_cycle_acted_ &&
         next_wake_ == std::numeric_limits<std::int64_t>::max();
}

SimResult Replay::Run(const WallClock& clock) {
  const double wall_start = clock();
  std::int64_t now = 0;
  while (true) {
    const std::int64_t t = NextTime();
    if (t == std::numeric_limits<std::int64_t>::max()) break;
    if (options_.horizon_s > 0 && t > options_.horizon_s) break;
    Sample(t);
    now = t;
    while (next_arrival_ < trace_.size() && trace_[next_arrival_].submit_s == now) {
      Arrive(static_cast<int>(next_arrival_++), now);
    }
    // Decisions may stop jobs with no grace: their exits happen at `now`
    // too, and the cycle runs again with the freed capacity (bounded).
    bool cycled = false;
    for (int round = 0; round < 4; ++round) {
      while (!events_.empty() && events_.top().t == now) {
        const Event e = events_.top();
        events_.pop();
        Handle(e);
      }
      if (!dirty_ || pending_ == 0) break;
      RunCycleAt(now);
      cycled = true;
    }
    if (cycled && pending_ > 0) {
      if (Stuck()) break;
      Wake(std::min(next_wake_, now + options_.idle_tick_s));
    }
  }
  if (options_.horizon_s > 0) now = std::max(now, std::min(options_.horizon_s, NextTime()));
  result_.end_s = now;
  if (pending_ > 0) RecordFinalWaits(now);
  result_.wall_s = clock() - wall_start;
  return std::move(result_);
}

void Replay::Arrive(int trace_index, std::int64_t now) {
  ++result_.events;
  Activate(trace_index);
  Job& j = CoreJob(trace_index);
  j.submit_time = Instant(std::chrono::seconds(now));
  j.eligible_since = j.submit_time;
  ++pending_;
  ++pending_by_class_[static_cast<size_t>(sim_[trace_index].class_index)];
  dirty_ = true;
}

void Replay::Handle(const Event& e) {
  ++result_.events;
  if (e.kind == EventKind::kTick) {
    if (e.t != tick_at_) return;  // superseded by an earlier tick
    tick_at_ = -1;
    dirty_ = true;
    return;
  }
  --live_events_;
  const SimJob& s = sim_[e.job];
  if (s.active < 0 || s.gen != e.gen) return;  // stale: the run it was for is over
  if (e.kind == EventKind::kEnd) return Finish(e.job, e.t);
  Exit(e.job, e.t);
}

void Replay::Wake(std::int64_t t) {
  if (tick_at_ >= 0 && tick_at_ <= t) return;
  tick_at_ = t;
  Push(t, EventKind::kTick, -1, 0);
}

// Brings running jobs' progress up to `now` and runs one cycle over every
// live job, as the server does.
CycleResult Replay::CycleNow(std::int64_t now) {
  RefreshProgress(now);
  Snapshot snap;
  snap.now = Instant(std::chrono::seconds(now));
  snap.ledger = &ledger_;
  snap.classes = &classes_;
  snap.policy = options_.policy;
  snap.jobs = active_;
  snap.tenants = tenants_;
  return RunCycle(snap);
}

void Replay::RunCycleAt(std::int64_t now) {
  dirty_ = false;
  last_cycle_ = now;
  ++result_.cycles;
  const CycleResult r = CycleNow(now);
  last_cycle_acted_ = !r.binds.empty() || !r.preemptions.empty() || !r.defrags.empty();
  const bool deferred = std::any_of(r.waits.begin(), r.waits.end(),
                                    [](const Wait& w) { return w.code == WaitCode::kDeferred; });
  if (deferred) next_wake_ = std::min(next_wake_, now + options_.retry_interval_s);
  for (const gpusched::Bind& b : r.binds) Bind(b, now);
  for (const Preemption& p : r.preemptions) {
    for (const Victim& v : p.victims) Stop(v.job, now, false, nullptr);
    Nominate(p.preemptor, p.nominated, p.nomination_expires_at);
  }
  for (const DefragPlan& d : r.defrags) {
    for (const Migration& m : d.moves) Stop(m.job, now, true, &m.to);
    Nominate(d.beneficiary, d.nominated, d.nomination_expires_at);
  }
}

// What the core reads of a running job's progress (epochs done, newest
// checkpoint) follows from the job model; expired nominations are dropped.
// Also finds the next time-based change (see SimOptions) into next_wake_.
void Replay::RefreshProgress(std::int64_t now) {
  const Instant t{std::chrono::seconds(now)};
  const PolicyConfig& policy = options_.policy;
  std::int64_t wake = std::numeric_limits<std::int64_t>::max();
  auto later = [&](std::int64_t at) {
    if (at > now) wake = std::min(wake, at);
  };
  // Only jobs below the highest waiting class (or equal to it, when equal
  // priorities may reclaim) can become victims as time passes.
  int top_waiting = static_cast<int>(min_runtime_s_.size());
  for (std::size_t i = 0; i < active_.size(); ++i) {
    if (active_[i].phase == JobPhase::kPending) {
      top_waiting = std::min(top_waiting, sim_[active_trace_[i]].class_index);
    }
  }
  const int first_victim_class = top_waiting + (policy.reclaim_equal_priority ? 0 : 1);
  for (std::size_t i = 0; i < active_.size(); ++i) {
    Job& j = active_[i];
    if (j.phase == JobPhase::kPending) {
      if (j.nomination && j.nomination->expires_at <= t) j.nomination.reset();
      if (j.nomination) later(SecondsSince(j.nomination->expires_at));
      continue;
    }
    const SimJob& s = sim_[active_trace_[i]];
    if (policy.enable_preemption && s.class_index >= first_victim_class) {
      if (policy.respect_min_runtime) {
        later(SecondsSince(j.started_at) + min_runtime_s_[static_cast<size_t>(s.class_index)]);
      }
      if (policy.enforce_preemption_limits) {
        for (Instant p : j.preempted_at) later(SecondsSince(p + policy.preemption_window));
      }
    }
    const double elapsed = static_cast<double>(std::max<std::int64_t>(0, now - s.train_from));
    const RunState st = StateAfter(s.model, s.start_epoch, elapsed);
    j.progress.epochs_done = st.epochs_done;
    j.progress.checkpoint_epoch = st.checkpoint_epoch;
    if (st.checkpoint_epoch > s.start_epoch) {
      const double at = static_cast<double>(s.train_from) +
                        (st.checkpoint_epoch - s.start_epoch) * s.model.epoch_s;
      j.last_checkpoint_at = Instant(std::chrono::seconds(static_cast<std::int64_t>(at)));
    }
  }
  next_wake_ = wake;
}

// Samples the fleet at every sample point before `until` (the state is
// constant between events). Halves the resolution when the timeline grows
// past twice the requested size, so it stays bounded whatever the span.
void Replay::Sample(std::int64_t until) {
  while (next_sample_ < until) {
    TimelineSample s;
    s.t_s = next_sample_;
    s.gpus_busy = gpus_busy_;
    s.running = static_cast<int>(active_.size()) - pending_;
    s.pending_by_class = pending_by_class_;
    s.preemptions = preemptions_;
    result_.timeline.push_back(std::move(s));
    next_sample_ += sample_dt_;
    if (result_.timeline.size() > 2 * static_cast<size_t>(std::max(1, options_.timeline_samples))) {
      std::vector<TimelineSample>& tl = result_.timeline;
      // tl[0] stays where it is: moving it onto itself would empty it.
      std::size_t kept = 1;
      for (std::size_t i = 2; i < tl.size(); i += 2) tl[kept++] = std::move(tl[i]);
      tl.resize(kept);
      sample_dt_ *= 2;
      next_sample_ = tl.back().t_s + sample_dt_;
    }
  }
}

// Why each job still waiting at the end waits: one more cycle's reasons.
void Replay::RecordFinalWaits(std::int64_t now) {
  const CycleResult r = CycleNow(now);
  for (const Wait& w : r.waits) {
    result_.jobs[static_cast<size_t>(w.job - 1)].wait_reason = w.reason;
  }
  for (const gpusched::Bind& b : r.binds) {
    result_.jobs[static_cast<size_t>(b.job - 1)].wait_reason = "would start now (replay stopped)";
  }
}

}  // namespace internal

double SteadySeconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

namespace {

struct Prepared {
  std::vector<Job> jobs;
  std::vector<Tenant> tenants;
  std::vector<int> class_index;
};

Result<std::vector<GpuTypeId>> ResolveTypes(const TraceJob& t, const GpuCatalog& catalog) {
  std::vector<GpuTypeId> ids;
  for (const std::string& name : t.gpu_types) {
    const std::optional<GpuTypeId> id = catalog.Find(name);
    if (!id) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("job \"{}\": unknown GPU type \"{}\"", t.id, name));
    }
    ids.push_back(*id);
  }
  return ids;
}

const Tenant* FindOrAddTenant(const std::string& name, bool open, std::vector<Tenant>& tenants) {
  for (const Tenant& t : tenants) {
    if (t.name == name) return &t;
  }
  if (!open) return nullptr;
  Tenant added;
  added.name = name;
  tenants.push_back(std::move(added));
  return &tenants.back();
}

// Memory the job asks per GPU, from the trace's fields (see TraceJob).
void SetMemory(const TraceJob& t, const MemoryEstimator& estimator, Job& j) {
  j.exclusive = t.exclusive;
  j.memory_fraction_permille = t.memory_permille;
  if (t.exclusive || t.memory_permille > 0) {
    j.memory_per_gpu_mib = t.memory_mib.value_or(0);
    return;
  }
  const std::optional<MemoryNeed> need =
      ResolveMemoryNeed(t.memory_mib, t.model ? &*t.model : nullptr, t.gpus, estimator);
  if (!need) return;  // ParseTraceJsonl guarantees memory_mib or model
  j.memory_per_gpu_mib = need->per_gpu_mib;
  j.memory_fraction_permille = need->fraction_permille;
  j.exclusive = need->exclusive;
}

Result<Job> MakeJob(const TraceJob& t, std::size_t index, const Tenant& tenant,
                    const ClusterConfig& config, const GpuCatalog& catalog) {
  const Result<Admission> admitted = Admit(t.class_name, tenant, config.classes, config.policy);
  if (!admitted) {
    return MakeError(admitted.error().code,
                     fmt::format("job \"{}\": {}", t.id, admitted.error().message));
  }
  Result<std::vector<GpuTypeId>> types = ResolveTypes(t, catalog);
  if (!types) return tl::unexpected(types.error());
  Job j;
  j.id = static_cast<JobId>(index + 1);
  j.name = t.id;
  j.gpus = t.gpus;
  j.multi_node = t.gpus > 1;
  j.preemptible = t.preemptible;
  j.approved = true;
  j.tenant = tenant.name;
  j.class_name = admitted->class_name;
  j.gpu_types = std::move(*types);
  j.image = t.image;
  j.dataset = t.dataset;
  static const MemoryEstimator kEstimator;
  SetMemory(t, kEstimator, j);
  j.progress.epochs_total = t.epochs;
  j.progress.epoch_t4 = Duration(static_cast<std::int64_t>(t.epoch_s + 0.5));
  j.progress.duration_t4 = Duration(static_cast<std::int64_t>(t.duration_s + 0.5));
  return j;
}

Result<Prepared> Prepare(const ClusterConfig& config, const GpuCatalog& catalog,
                         const std::vector<TraceJob>& trace) {
  Prepared p;
  p.tenants = config.tenants;
  p.tenants.reserve(p.tenants.size() + trace.size());  // keeps Tenant pointers valid
  p.jobs.reserve(trace.size());
  const std::vector<PriorityClass>& classes = config.classes.classes();
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const TraceJob& t = trace[i];
    const Tenant* tenant = FindOrAddTenant(t.tenant, config.open_tenants, p.tenants);
    if (!tenant) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("job \"{}\": unknown tenant \"{}\" (the cluster file names "
                                   "its tenants; add it there)",
                                   t.id, t.tenant));
    }
    Result<Job> job = MakeJob(t, i, *tenant, config, catalog);
    if (!job) return tl::unexpected(job.error());
    const auto cls = std::find_if(classes.begin(), classes.end(),
                                  [&](const PriorityClass& c) { return c.name == job->class_name; });
    p.class_index.push_back(static_cast<int>(cls - classes.begin()));
    p.jobs.push_back(std::move(*job));
  }
  p.tenants.shrink_to_fit();
  return p;
}

}  // namespace

Result<SimResult> Simulate(const GpuCatalog& catalog, const ClusterConfig& config,
                           const std::vector<TraceJob>& trace, const SimOptions& options,
                           const WallClock& clock) {
  GPUSCHED_CHECK(std::is_sorted(trace.begin(), trace.end(),
                                [](const TraceJob& a, const TraceJob& b) {
                                  return a.submit_s < b.submit_s;
                                }),
                 "trace must be sorted by submit_s");
  Result<ClusterLedger> ledger = ClusterLedger::Create(&catalog, config.nodes);
  if (!ledger) return tl::unexpected(ledger.error());
  Result<Prepared> prepared = Prepare(config, catalog, trace);
  if (!prepared) return tl::unexpected(prepared.error());
  internal::Replay replay(trace, std::move(prepared->jobs), std::move(*ledger), config.classes,
                          std::move(prepared->tenants), options,
                          std::move(prepared->class_index));
  return replay.Run(clock);
}

}  // namespace gpusched::sim
