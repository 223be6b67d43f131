// Users' and agents' commands on the control plane's state. The loop (lease
// expiry and the scheduling cycle) is in control_loop.cc.
#include "server/control.h"

#include <algorithm>

#include <fmt/format.h>

#include "gpusched/admission.h"

namespace gpusched::server {

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kPending: return "pending";
    case JobState::kRunning: return "running";
    case JobState::kStopping: return "stopping";
    case JobState::kSucceeded: return "succeeded";
    case JobState::kFailed: return "failed";
    case JobState::kCancelled: return "cancelled";
  }
  return "pending";
}

bool IsFinal(JobState state) {
  return state == JobState::kSucceeded || state == JobState::kFailed ||
         state == JobState::kCancelled;
}

Control::Control(const GpuCatalog* catalog, Settings settings)
    : catalog_(catalog),
      settings_(std::move(settings)),
      ledger_(catalog),
      fleet_(settings_.lease),
      runtime_(catalog) {}

void Control::Begin(ChangeSet& out) {
  changed_ = true;  // every change may matter to the next cycle
  if (out.seq == 0) out.seq = next_seq_++;
}

void Control::Log(ChangeSet& out, JobId job, std::string kind, std::string text) {
  Begin(out);
  if (job != 0) out.jobs.insert(job);
  out.events.push_back(ChangeSet::Event{job, std::move(kind), std::move(text)});
}

const JobRecord* Control::Find(JobId id) const {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

// The largest card a request of these types could land on: in the fleet
// when nodes are known, else in the catalog.
Status Control::CheckRequest(const JobRequest& req) const {
  auto invalid = [](std::string m) { return MakeError(ErrorCode::kInvalidArgument, std::move(m)); };
  if (req.gpus < 1) return invalid(fmt::format("gpus: must be at least 1, got {}", req.gpus));
  if (!req.exclusive && req.memory_fraction_permille == 0 && req.memory_per_gpu_mib <= 0) {
    return invalid("memory_mib: must be positive");
  }
  auto accepts = [&](GpuTypeId t) {
    return req.gpu_types.empty() ||
           std::find(req.gpu_types.begin(), req.gpu_types.end(), t) != req.gpu_types.end();
  };
  MiB largest = 0;
  int fleet_gpus = 0;
  for (GpuIndex g = 0; g < ledger_.gpu_count(); ++g) {
    if (!accepts(ledger_.gpu(g).type)) continue;
    largest = std::max(largest, ledger_.gpu(g).total_mib);
    ++fleet_gpus;
  }
  const bool fleet_known = ledger_.gpu_count() > 0;
  if (!fleet_known) {
    for (std::size_t t = 0; t < catalog_->size(); ++t) {
      const auto id = static_cast<GpuTypeId>(t);
      if (accepts(id)) largest = std::max(largest, catalog_->type(id).memory_mib);
    }
  }
  if (!req.exclusive && req.memory_fraction_permille == 0 && req.memory_per_gpu_mib > largest) {
    return invalid(fmt::format("memory_mib: {} MiB per GPU is more than any acceptable GPU {} has "
                               "({} MiB)",
                               req.memory_per_gpu_mib, fleet_known ? "in the fleet" : "type",
                               largest));
  }
  if (fleet_known && req.gpus > fleet_gpus) {
    return invalid(fmt::format("gpus: {} asked, the fleet has {} acceptable GPUs", req.gpus,
                               fleet_gpus));
  }
  return OkStatus();
}

Result<JobId> Control::Submit(JobRequest req, Instant now, ChangeSet& out) {
  const auto tenant = std::find_if(settings_.tenants.begin(), settings_.tenants.end(),
                                   [&](const Tenant& t) { return t.name == req.tenant; });
  if (tenant == settings_.tenants.end()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("tenant: unknown tenant \"{}\"", req.tenant));
  }
  Result<Admission> admitted =
      Admit(req.class_name, *tenant, settings_.classes, settings_.policy);
  if (!admitted) {
    return MakeError(ErrorCode::kInvalidArgument, "class: " + admitted.error().message);
  }
  if (Status s = CheckRequest(req); !s) return tl::unexpected(s.error());
  JobRecord r;
  Job& j = r.job;
  j.id = next_job_++;
  j.name = req.name;
  j.tenant = req.tenant;
  j.class_name = admitted->class_name;
  j.gpus = req.gpus;
  j.multi_node = req.gpus > 1;
  j.memory_per_gpu_mib = req.memory_per_gpu_mib;
  std::string learned;
  if (req.memory_estimated) {
    if (const std::optional<MiB> need = estimator_.LearnedNeed(req.model_key)) {
      learned = fmt::format("; memory {} MiB per GPU from the peak observed for {} (estimate was {})",
                            *need, req.model_key, req.memory_per_gpu_mib);
      j.memory_per_gpu_mib = *need;
    }
  }
  j.memory_fraction_permille = req.memory_fraction_permille;
  j.exclusive = req.exclusive;
  j.preemptible = req.preemptible;
  j.gpu_types = req.gpu_types;
  j.image = req.image;
  j.dataset = req.dataset;
  j.model_key = req.model_key;
  j.progress.epochs_total = req.epochs;
  j.progress.epoch_t4 = req.epoch_t4;
  j.progress.duration_t4 = req.duration_t4;
  j.submit_time = now;
  j.eligible_since = now;
  r.spec_json = std::move(req.spec_json);
  r.retries_left = req.max_retries;
  const JobId id = j.id;
  std::string text = fmt::format("submitted by tenant {} as {}", j.tenant, j.class_name);
  if (admitted->demotion) text += "; " + *admitted->demotion;
  text += learned;
  jobs_.emplace(id, std::move(r));
  Log(out, id, "submitted", std::move(text));
  return id;
}

Status Control::Cancel(JobId id, const std::string& by, Instant now, ChangeSet& out) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return MakeError(ErrorCode::kNotFound, fmt::format("no job {}", id));
  JobRecord& r = it->second;
  if (IsFinal(r.state)) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("job {} already {}", id, JobStateName(r.state)));
  }
  r.cancel_requested = true;
  if (r.state == JobState::kPending) {
    Finish(r, JobState::kCancelled, now, "cancelled by " + by, out);
  } else if (r.state == JobState::kRunning) {
    StopRun(id, now, GraceOf(r.job), "cancelled by " + by, out);
  } else {
    Log(out, id, "cancel", "cancelled by " + by + " while stopping");
  }
  return OkStatus();
}

int Control::SavePeriodOf(const Job& job) const {
  const PriorityClass* c = settings_.classes.Find(job.class_name);
  return c ? c->save_period : 5;
}

Duration Control::GraceOf(const Job& job) const {
  const PriorityClass* c = settings_.classes.Find(job.class_name);
  return c ? c->preemption_grace : Duration(30);
}

Result<std::uint64_t> Control::Register(const Registration& reg, Instant now, ChangeSet& out) {
  Result<std::uint64_t> gen = fleet_.Register(reg, now, ledger_);
  if (!gen) return gen;
  Begin(out);
  out.nodes.insert(reg.node);
  Log(out, 0, "node", fmt::format("node {} registered ({} GPUs), generation {}", reg.node,
                                  reg.gpus.size(), *gen));
  return gen;
}

Result<Instant> Control::Heartbeat(const std::string& node, std::uint64_t generation,
                                   const std::vector<AgentGpu>& gpus, Instant now,
                                   ChangeSet& out) {
  const NodeState* before = fleet_.Find(node);
  std::vector<bool> health;
  if (before) {
    for (const AgentGpu& g : before->gpus) health.push_back(g.healthy);
  }
  Result<Instant> lease = fleet_.Heartbeat(node, generation, gpus, now, ledger_);
  if (!lease) return lease;
  const NodeState* after = fleet_.Find(node);
  for (std::size_t i = 0; i < after->gpus.size() && i < health.size(); ++i) {
    if (after->gpus[i].healthy != health[i]) {
      Begin(out);
      out.nodes.insert(node);
      const AgentGpu& g = after->gpus[i];
      Log(out, 0, "gpu",
          fmt::format("node {} GPU {} is {}", node, g.index,
                      g.healthy ? "healthy again"
                                : "unhealthy" + (g.health_reason.empty() ? "" : ": " + g.health_reason)));
    }
  }
  return lease;
}

std::vector<std::pair<JobId, Assignment>> Control::AssignmentsFor(const std::string& node,
                                                                  std::uint64_t durable_seq) const {
  std::vector<std::pair<JobId, Assignment>> out;
  const auto on_node = node_runs_.find(node);
  if (on_node == node_runs_.end()) return out;
  for (JobId id : on_node->second) {
    const JobRecord& r = jobs_.at(id);
    if (r.assignment->visible_after > durable_seq) continue;
    Assignment a = *r.assignment;
    if (a.stop && a.stop_visible_after > durable_seq) {
      a.stop = false;  // the stop is not durable yet
      a.stop_deadline = kNever;
    }
    out.emplace_back(id, std::move(a));
  }
  return out;
}

std::vector<std::uint64_t> Control::Unknown(const std::string& node,
                                            const std::vector<std::uint64_t>& running) const {
  const auto current = AssignmentsFor(node, next_seq_);
  std::vector<std::uint64_t> stop;
  for (std::uint64_t id : running) {
    const bool known = std::any_of(current.begin(), current.end(),
                                   [&](const auto& a) { return a.second.id == id; });
    if (!known) stop.push_back(id);
  }
  return stop;
}

}  // namespace gpusched::server
