// Agents' reports about their runs: started, epoch progress (which teaches
// the runtime model), checkpoints, peak memory (which corrects the memory
// estimates), and exits (success, failure with retries, the end of a stop).
#include <algorithm>

#include <fmt/format.h>

#include "server/control.h"

namespace gpusched::server {

Status Control::ApplyReports(const std::string& node, std::uint64_t generation,
                             const std::vector<Report>& reports, Instant now, ChangeSet& out) {
  if (Status s = fleet_.CheckGeneration(node, generation); !s) return s;
  for (const Report& rep : reports) {
    const std::optional<JobId> job = RunOf(node, rep.assignment);
    if (!job) continue;  // stale: that run is over, or elsewhere
    ApplyReport(jobs_.at(*job), rep, now, out);
  }
  return OkStatus();
}

std::optional<JobId> Control::RunOf(const std::string& node, std::uint64_t assignment) const {
  const auto owner = run_owner_.find(assignment);
  if (owner == run_owner_.end()) return std::nullopt;
  const auto& gpus = jobs_.at(owner->second).assignment->gpus;
  const bool ours = std::any_of(gpus.begin(), gpus.end(),
                                [&](const AssignedGpu& g) { return g.node == node; });
  return ours ? std::optional<JobId>(owner->second) : std::nullopt;
}

void Control::ApplyReport(JobRecord& r, const Report& rep, Instant now, ChangeSet& out) {
  Job& j = r.job;
  switch (rep.kind) {
    case Report::Kind::kStarted:
      r.last_epoch_at = now;
      Log(out, j.id, "started", fmt::format("run {} started", rep.assignment));
      return;
    case Report::Kind::kEpoch:
      return ApplyEpoch(r, rep, now, out);
    case Report::Kind::kCheckpoint:
      j.progress.checkpoint_epoch = std::max(j.progress.checkpoint_epoch, rep.epoch);
      j.last_checkpoint_at = now;
      Log(out, j.id, "checkpoint", fmt::format("checkpoint at epoch {}", rep.epoch));
      return;
    case Report::Kind::kMemory:
      return ApplyMemory(r, rep, out);
    case Report::Kind::kExited:
    case Report::Kind::kPreempted:
      return ApplyExit(r, rep, now, out);
  }
}

// Progress, and one epoch's time for the runtime model: the agent's measure
// when it gives one, else the time between two consecutive epoch reports of
// the same run (never the run's first epoch, which pays for start-up).
void Control::ApplyEpoch(JobRecord& r, const Report& rep, Instant now, ChangeSet& out) {
  Job& j = r.job;
  if (rep.epoch <= j.progress.epochs_done) return;
  Duration epoch = rep.epoch_time;
  const bool one_more = rep.epoch == j.progress.epochs_done + 1;
  const bool not_first = r.assignment && j.progress.epochs_done > r.assignment->resume_epoch;
  if (epoch <= Duration(0) && one_more && not_first && r.last_epoch_at) epoch = now - *r.last_epoch_at;
  j.progress.epochs_done = rep.epoch;
  r.last_epoch_at = now;
  Begin(out);
  out.jobs.insert(j.id);
  const Placement* p = ledger_.placement(j.id);
  if (epoch > Duration(0) && !j.model_key.empty() && p && !p->slices.empty()) {
    runtime_.ObserveEpoch(j.model_key, ledger_.gpu(p->slices.front().gpu).type, epoch);
    out.learned = true;
  }
}

void Control::ApplyMemory(JobRecord& r, const Report& rep, ChangeSet& out) {
  Job& j = r.job;
  if (rep.peak_mib <= r.peak_mib) return;
  r.peak_mib = rep.peak_mib;
  Begin(out);
  out.jobs.insert(j.id);
  if (!j.model_key.empty()) {
    estimator_.ObservePeak(j.model_key, rep.peak_mib);
    out.learned = true;
  }
  if (j.memory_per_gpu_mib > 0 && rep.peak_mib > j.memory_per_gpu_mib) {
    Log(out, j.id, "memory",
        fmt::format("peak {} MiB per GPU is above the {} MiB it asked for{}", rep.peak_mib,
                    j.memory_per_gpu_mib,
                    j.model_key.empty() ? "" : "; later jobs like it ask for more"));
  }
}

void Control::ApplyExit(JobRecord& r, const Report& rep, Instant now, ChangeSet& out) {
  Job& j = r.job;
  if (rep.epoch > j.progress.checkpoint_epoch) {
    j.progress.checkpoint_epoch = rep.epoch;
    j.last_checkpoint_at = now;
    Log(out, j.id, "checkpoint", fmt::format("checkpoint at epoch {}, saved while stopping", rep.epoch));
  }
  if (r.cancel_requested) {
    return Finish(r, JobState::kCancelled, now, "cancelled; its run exited", out);
  }
  if (r.state == JobState::kStopping || rep.kind == Report::Kind::kPreempted) {
    return Requeue(r, now, fmt::format("stopped at epoch {}; resumes from the checkpoint at epoch {}",
                                       j.progress.epochs_done, j.progress.checkpoint_epoch),
                   out);
  }
  r.exit_code = rep.exit_code;
  if (rep.exit_code == 0) return Finish(r, JobState::kSucceeded, now, "exited 0", out);
  if (r.retries_left > 0) {
    --r.retries_left;
    return Requeue(r, now, fmt::format("exited {}; retrying ({} left): {}", rep.exit_code,
                                       r.retries_left, rep.message),
                   out);
  }
  Finish(r, JobState::kFailed, now, fmt::format("exited {}: {}", rep.exit_code, rep.message), out);
}

void Control::RestoreLearned(const std::map<std::string, MiB, std::less<>>& peaks,
                             const std::vector<RuntimeModel::Learned>& epochs) {
  for (const auto& [key, mib] : peaks) estimator_.ObservePeak(key, mib);
  for (const RuntimeModel::Learned& l : epochs) runtime_.Restore(l);
}

}  // namespace gpusched::server
