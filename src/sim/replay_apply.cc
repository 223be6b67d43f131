// Applying the cycle's decisions to the replay, as the server's driver does:
// binds allocate, stops release after the grace, the job model says what a
// run achieved and what a stop lost. See engine.h.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "sim/replay.h"

namespace gpusched::sim::internal {
namespace {

Instant At(std::int64_t s) { return Instant(std::chrono::seconds(s)); }

bool HasLabel(const NodeSpec& node, std::string_view prefix, const std::string& value) {
  return std::any_of(node.labels.begin(), node.labels.end(), [&](const std::string& l) {
    return l.size() == prefix.size() + value.size() && l.starts_with(prefix) &&
           l.ends_with(value);
  });
}

// The slowest GPU type of a placement: a gang trains at its slowest member.
const GpuType& SlowestType(const ClusterLedger& ledger, const Placement& p) {
  const GpuType* slowest = nullptr;
  for (const Slice& s : p.slices) {
    const GpuType& t = ledger.catalog().type(ledger.gpu(s.gpu).type);
    if (!slowest || t.speed_milli < slowest->speed_milli) slowest = &t;
  }
  return *slowest;
}

}  // namespace

void Replay::Push(std::int64_t t, EventKind kind, int job, std::uint32_t gen) {
  events_.push(Event{t, seq_++, kind, job, gen});
  if (kind != EventKind::kTick) ++live_events_;
}

void Replay::Activate(int trace_index) {
  sim_[trace_index].active = static_cast<int>(active_.size());
  active_.push_back(std::move(arrivals_[static_cast<size_t>(trace_index)]));
  active_trace_.push_back(trace_index);
}

// Removes a finished job from the live set (swap with the last one).
void Replay::Deactivate(int trace_index) {
  const auto pos = static_cast<size_t>(sim_[trace_index].active);
  const std::size_t last = active_.size() - 1;
  if (pos != last) {
    active_[pos] = std::move(active_[last]);
    active_trace_[pos] = active_trace_[last];
    sim_[active_trace_[pos]].active = static_cast<int>(pos);
  }
  active_.pop_back();
  active_trace_.pop_back();
  sim_[trace_index].active = -1;
}

void Replay::MarkGpus(const Placement& p, int delta) {
  for (const Slice& s : p.slices) {
    int& n = gpu_jobs_[static_cast<size_t>(s.gpu)];
    const bool was_busy = n > 0;
    n += delta;
    gpus_busy_ += (n > 0) - static_cast<int>(was_busy);
  }
}

// A node is warm for a job it ran on before, or one whose labels say the
// job's image and data set are cached (a job with neither has nothing to
// fetch). Any cold node in the placement makes the restart cold.
std::int64_t Replay::RestartOverhead(const SimJob& s, const Job& j, const Placement& p) const {
  for (const Slice& slice : p.slices) {
    const NodeIndex n = ledger_.gpu(slice.gpu).node;
    if (std::find(s.hosted_on.begin(), s.hosted_on.end(), n) != s.hosted_on.end()) continue;
    const NodeSpec& node = ledger_.node(n);
    const bool image = j.image.empty() || HasLabel(node, "image:", j.image);
    const bool data = j.dataset.empty() || HasLabel(node, "dataset:", j.dataset);
    if (!image || !data) return options_.policy.restart_overhead_uncached.count();
  }
  return options_.policy.restart_overhead.count();
}

void Replay::Bind(const gpusched::Bind& b, std::int64_t now) {
  const int i = static_cast<int>(b.job - 1);
  Job& j = CoreJob(i);
  SimJob& s = sim_[i];
  GPUSCHED_CHECK(j.phase == JobPhase::kPending, fmt::format("bind of job {} not pending", b.job));
  const Status st = ledger_.Allocate(j.id, b.placement);
  GPUSCHED_CHECK(st.has_value(), st ? "" : st.error().message);
  MarkGpus(b.placement, +1);
  --pending_;
  --pending_by_class_[static_cast<size_t>(s.class_index)];
  j.phase = JobPhase::kRunning;
  j.started_at = At(now);
  j.last_checkpoint_at = At(now);
  j.nomination.reset();

  const TraceJob& t = trace_[static_cast<size_t>(i)];
  GpuType type = SlowestType(ledger_, b.placement);
  if (!t.speed_scaled) type.speed_milli = 1000;  // recorded run times replay as they are
  s.model = ModelOn(t.epochs, t.epoch_s, t.duration_s, t.save_period, type);
  JobOutcome& o = result_.jobs[static_cast<size_t>(i)];
  s.overhead_s = 0;
  if (o.first_start_s < 0) {
    o.first_start_s = now;
  } else {
    s.overhead_s = RestartOverhead(s, j, b.placement);
    o.resumed_from_epoch.push_back(s.start_epoch);
  }
  for (const Slice& slice : b.placement.slices) {
    const NodeIndex n = ledger_.gpu(slice.gpu).node;
    if (std::find(s.hosted_on.begin(), s.hosted_on.end(), n) == s.hosted_on.end()) {
      s.hosted_on.push_back(n);
    }
  }
  s.train_from = now + s.overhead_s;
  s.end_at = s.train_from +
             static_cast<std::int64_t>(std::ceil(SecondsToFinish(s.model, s.start_epoch)));
  j.progress.epochs_done = s.start_epoch;
  j.progress.checkpoint_epoch = s.start_epoch;
  ++s.gen;
  Push(s.end_at, EventKind::kEnd, i, s.gen);
  if (options_.policy.enable_preemption && options_.policy.respect_min_runtime) {
    next_wake_ = std::min(next_wake_, now + min_runtime_s_[static_cast<size_t>(s.class_index)]);
  }
}

// Signals a running job to stop: it trains on through its class's grace
// (reaching a checkpoint or its end, perhaps), then exits.
void Replay::Stop(JobId id, std::int64_t now, bool migrate, const Placement* to) {
  const int i = static_cast<int>(id - 1);
  Job& j = CoreJob(i);
  SimJob& s = sim_[i];
  GPUSCHED_CHECK(j.phase == JobPhase::kRunning, fmt::format("stop of job {} not running", id));
  j.phase = JobPhase::kPreempting;
  JobOutcome& o = result_.jobs[static_cast<size_t>(i)];
  if (migrate) {
    ++o.migrations;
    s.migrating = true;
    s.migrate_to = *to;
  } else {
    ++o.preemptions;
    ++preemptions_;
    j.preempted_at.push_back(At(now));
    s.preempted_s.push_back(now);
    const auto in_day = std::count_if(s.preempted_s.begin(), s.preempted_s.end(),
                                      [&](std::int64_t p) { return p > now - 86400; });
    o.max_preemptions_24h = std::max(o.max_preemptions_24h, static_cast<int>(in_day));
  }
  const PriorityClass* cls = classes_.Find(j.class_name);
  const std::int64_t exit_at = now + (cls ? cls->preemption_grace.count() : 0);
  if (s.end_at <= exit_at) return;  // it finishes within its grace
  Push(exit_at, EventKind::kExit, i, s.gen);
}

// Time a run held its GPUs, and the restart overhead it paid, into the outcome.
void Replay::Account(int trace_index, std::int64_t now) {
  const Job& j = CoreJob(trace_index);
  const SimJob& s = sim_[trace_index];
  JobOutcome& o = result_.jobs[static_cast<size_t>(trace_index)];
  const std::int64_t held = now - (s.train_from - s.overhead_s);
  o.held_gpu_s += static_cast<double>(held * j.gpus);
  o.restart_gpu_s += static_cast<double>(std::min(held, s.overhead_s) * j.gpus);
}

void Replay::ReleaseGpus(const Job& j) {
  const Placement* p = ledger_.placement(j.id);
  GPUSCHED_CHECK(p != nullptr, fmt::format("job {} holds no placement", j.id));
  MarkGpus(*p, -1);
  const Status st = ledger_.Release(j.id);
  GPUSCHED_CHECK(st.has_value(), st ? "" : st.error().message);
}

// The grace is over: the job loses what it trained since its newest
// checkpoint, frees its GPUs and waits again, keeping its place in line.
void Replay::Exit(int i, std::int64_t now) {
  Job& j = CoreJob(i);
  SimJob& s = sim_[i];
  const double elapsed = static_cast<double>(std::max<std::int64_t>(0, now - s.train_from));
  const RunState st = StateAfter(s.model, s.start_epoch, elapsed);
  JobOutcome& o = result_.jobs[static_cast<size_t>(i)];
  o.lost_gpu_s += SecondsLostIfStopped(s.model, s.start_epoch, elapsed) * j.gpus;
  Account(i, now);
  ReleaseGpus(j);
  s.start_epoch = st.checkpoint_epoch;
  j.progress.epochs_done = st.checkpoint_epoch;
  j.progress.checkpoint_epoch = st.checkpoint_epoch;
  j.phase = JobPhase::kPending;
  ++pending_;
  ++pending_by_class_[static_cast<size_t>(s.class_index)];
  ++s.gen;
  dirty_ = true;
  if (s.migrating) {
    s.migrating = false;
    j.nomination = Nomination{s.migrate_to, At(now) + options_.policy.nomination_ttl};
  }
}

void Replay::Finish(int i, std::int64_t now) {
  const Job& j = CoreJob(i);
  const SimJob& s = sim_[i];
  JobOutcome& o = result_.jobs[static_cast<size_t>(i)];
  Account(i, now);
  o.work_gpu_s = s.model.epochs_total * s.model.epoch_s * j.gpus;
  o.end_s = now;
  ReleaseGpus(j);
  Deactivate(i);
  dirty_ = true;
}

void Replay::Nominate(JobId id, const Placement& p, Instant expires) {
  Job& j = CoreJob(static_cast<int>(id - 1));
  if (j.phase == JobPhase::kPending) j.nomination = Nomination{p, expires};
}

}  // namespace gpusched::sim::internal
