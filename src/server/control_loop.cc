// The control plane's loop: lapsed leases, then one scheduling cycle over
// every live job, and its decisions applied as runs and stop orders.
#include <algorithm>

#include <fmt/format.h>

#include "server/control.h"

namespace gpusched::server {

void Control::Bind(const gpusched::Bind& b, Instant now, ChangeSet& out) {
  JobRecord& r = jobs_.at(b.job);
  Job& j = r.job;
  const Status allocated = ledger_.Allocate(j.id, b.placement);
  GPUSCHED_CHECK(allocated.has_value(), allocated ? "" : allocated.error().message);
  Begin(out);
  j.phase = JobPhase::kRunning;
  j.started_at = now;
  j.last_checkpoint_at = now;
  if (!r.first_started_at) r.first_started_at = now;
  j.nomination.reset();
  j.progress.epochs_done = j.progress.checkpoint_epoch;
  r.state = JobState::kRunning;
  r.wait.reset();
  Assignment a;
  a.id = next_assignment_++;
  a.resume_epoch = j.progress.checkpoint_epoch;
  a.visible_after = out.seq;
  for (const Slice& s : b.placement.slices) {
    const GpuInfo& g = ledger_.gpu(s.gpu);
    const NodeSpec& n = ledger_.node(g.node);
    a.gpus.push_back(AssignedGpu{n.name, g.local_index,
                                 n.gpus[static_cast<std::size_t>(g.local_index)].uuid});
  }
  r.assignment = std::move(a);
  TrackRun(r);
  Log(out, j.id, "bind", fmt::format("run {}: {}", r.assignment->id, b.reason));
}

void Control::TrackRun(const JobRecord& r) {
  run_owner_[r.assignment->id] = r.job.id;
  for (const AssignedGpu& g : r.assignment->gpus) node_runs_[g.node].insert(r.job.id);
}

void Control::UntrackRun(const JobRecord& r) {
  if (!r.assignment) return;
  run_owner_.erase(r.assignment->id);
  for (const AssignedGpu& g : r.assignment->gpus) {
    auto it = node_runs_.find(g.node);
    if (it == node_runs_.end()) continue;
    it->second.erase(r.job.id);
    if (it->second.empty()) node_runs_.erase(it);
  }
}

void Control::StopRun(JobId id, Instant now, Duration grace, std::string why, ChangeSet& out) {
  JobRecord& r = jobs_.at(id);
  GPUSCHED_CHECK(r.state == JobState::kRunning && r.assignment.has_value(),
                 fmt::format("stop of job {} that is not running", id));
  r.state = JobState::kStopping;
  r.job.phase = JobPhase::kPreempting;
  r.assignment->stop = true;
  r.assignment->stop_deadline = now + grace;
  Begin(out);
  r.assignment->stop_visible_after = out.seq;
  Log(out, id, "stop", fmt::format("run {} stops within {} s: {}", r.assignment->id,
                                   grace.count(), why));
}

// Back to the queue from the newest checkpoint, keeping its place in line.
void Control::Requeue(JobRecord& r, Instant now, std::string why, ChangeSet& out) {
  Job& j = r.job;
  if (ledger_.placement(j.id)) GPUSCHED_CHECK(ledger_.Release(j.id).has_value(), "release");
  j.phase = JobPhase::kPending;
  j.progress.epochs_done = j.progress.checkpoint_epoch;
  r.state = JobState::kPending;
  UntrackRun(r);
  r.assignment.reset();
  if (r.after_stop) {
    j.nomination = *r.after_stop;
    r.after_stop.reset();
  }
  if (j.nomination && j.nomination->expires_at <= now) j.nomination.reset();
  Log(out, j.id, "requeued", std::move(why));
}

void Control::Finish(JobRecord& r, JobState state, Instant now, std::string why, ChangeSet& out) {
  Job& j = r.job;
  if (ledger_.placement(j.id)) GPUSCHED_CHECK(ledger_.Release(j.id).has_value(), "release");
  r.state = state;
  r.ended_at = now;
  r.end_reason = why;
  UntrackRun(r);
  r.assignment.reset();
  r.wait.reset();
  j.nomination.reset();
  Log(out, j.id, std::string(JobStateName(state)), std::move(why));
}

void Control::ExpireLeases(Instant now, ChangeSet& out) {
  for (const std::string& node : fleet_.ExpireLeases(now, ledger_)) {
    Begin(out);
    out.nodes.insert(node);
    Log(out, 0, "lease", fmt::format("node {} lost its lease", node));
    const auto on_node = node_runs_.find(node);
    if (on_node == node_runs_.end()) continue;
    const std::set<JobId> ids = on_node->second;  // requeueing edits the index
    for (JobId id : ids) {
      JobRecord& r = jobs_.at(id);
      if (r.cancel_requested) {
        Finish(r, JobState::kCancelled, now, fmt::format("cancelled; node {} was lost", node), out);
      } else {
        Requeue(r, now,
                fmt::format("node {} lost its lease; resumes from the checkpoint at epoch {}",
                            node, r.job.progress.checkpoint_epoch),
                out);
      }
    }
  }
}

CycleResult Control::Tick(Instant now, ChangeSet& out) {
  ExpireLeases(now, out);
  ExpireOperatorActions(now, out);
  last_tick_ran_ = changed_ || now >= next_wake_ || now >= last_cycle_ + kIdleCycle;
  if (!last_tick_ran_) return {};
  const PolicyConfig& policy = settings_.policy;
  Instant wake = kNever;
  auto later = [&](Instant at) {
    if (at > now) wake = std::min(wake, at);
  };
  std::vector<Job> live;
  for (auto& [id, r] : jobs_) {
    if (IsFinal(r.state)) continue;
    Job& j = r.job;
    if (j.nomination && j.nomination->expires_at <= now) j.nomination.reset();
    if (j.nomination) later(j.nomination->expires_at);
    if (j.phase == JobPhase::kRunning && policy.enable_preemption) {
      const PriorityClass* c = settings_.classes.Find(j.class_name);
      if (policy.respect_min_runtime && c) later(j.started_at + c->min_runtime);
      if (policy.enforce_preemption_limits) {
        for (Instant p : j.preempted_at) later(p + policy.preemption_window);
      }
    }
    live.push_back(j);
  }
  Snapshot snap;
  snap.now = now;
  snap.ledger = &ledger_;
  snap.classes = &settings_.classes;
  snap.runtime = &runtime_;
  snap.policy = settings_.policy;
  snap.jobs = live;
  snap.tenants = settings_.tenants;
  snap.freezes = freezes_;
  CycleResult result = RunCycle(snap);
  for (const gpusched::Bind& b : result.binds) Bind(b, now, out);
  for (const Preemption& p : result.preemptions) {
    for (const Victim& v : p.victims) {
      jobs_.at(v.job).job.preempted_at.push_back(now);
      StopRun(v.job, now, GraceOf(jobs_.at(v.job).job), v.reason, out);
    }
    Job& preemptor = jobs_.at(p.preemptor).job;
    preemptor.nomination = Nomination{p.nominated, p.nomination_expires_at};
    Log(out, p.preemptor, "preempt", p.reason);
  }
  for (const DefragPlan& d : result.defrags) {
    for (const Migration& m : d.moves) {
      StopRun(m.job, now, GraceOf(jobs_.at(m.job).job), m.reason, out);
      jobs_.at(m.job).after_stop = Nomination{m.to, d.nomination_expires_at};
    }
    jobs_.at(d.beneficiary).job.nomination = Nomination{d.nominated, d.nomination_expires_at};
    Log(out, d.beneficiary, "defrag", d.reason);
  }
  for (const Wait& w : result.waits) {
    jobs_.at(w.job).wait = w;
    if (w.code == WaitCode::kDeferred) later(now + Duration(1));
  }
  // A cycle that decided something may enable more (the next one checks);
  // one that decided nothing waits for a change or a time-based rule.
  changed_ = !result.binds.empty() || !result.preemptions.empty() || !result.defrags.empty();
  last_cycle_ = now;
  next_wake_ = wake;
  return result;
}

}  // namespace gpusched::server
