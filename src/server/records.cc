// JSON codecs of the control plane's rows (see records.h).
#include "server/records.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace gpusched::server {
namespace {

using nlohmann::json;

Instant At(std::int64_t s) { return Instant(std::chrono::seconds(s)); }

json Gpu(const AssignedGpu& g) { return json{{"node", g.node}, {"index", g.index}, {"uuid", g.uuid}}; }

// Slices by node and GPU index, with their memory.
json Slices(const Placement& p, const ClusterLedger& ledger) {
  json out = json::array();
  for (const Slice& s : p.slices) {
    const GpuInfo& g = ledger.gpu(s.gpu);
    out.push_back(json{{"node", ledger.node(g.node).name}, {"index", g.local_index}, {"mib", s.memory_mib}});
  }
  return out;
}

json Progress(const gpusched::Progress& p) {
  return json{{"epochs_total", p.epochs_total}, {"epochs_done", p.epochs_done},
              {"checkpoint_epoch", p.checkpoint_epoch}, {"epoch_t4_s", p.epoch_t4.count()},
              {"duration_t4_s", p.duration_t4.count()}, {"done_t4_s", p.done_t4.count()}};
}

json AssignmentJson(const Assignment& a) {
  json gpus = json::array();
  for (const AssignedGpu& g : a.gpus) gpus.push_back(Gpu(g));
  return json{{"id", a.id}, {"gpus", gpus}, {"resume_epoch", a.resume_epoch}, {"stop", a.stop},
              {"stop_deadline", SecondsOf(a.stop_deadline)}};
}

json JobCore(const Job& j, const GpuCatalog& catalog) {
  json types = json::array();
  for (GpuTypeId t : j.gpu_types) types.push_back(catalog.type(t).name);
  json preempted = json::array();
  for (Instant t : j.preempted_at) preempted.push_back(SecondsOf(t));
  json out{{"id", j.id}, {"name", j.name}, {"tenant", j.tenant}, {"class", j.class_name},
           {"gpus", j.gpus}, {"memory_per_gpu_mib", j.memory_per_gpu_mib},
           {"memory_fraction_permille", j.memory_fraction_permille}, {"exclusive", j.exclusive},
           {"multi_node", j.multi_node}, {"preemptible", j.preemptible}, {"approved", j.approved},
           {"gpu_types", types}, {"image", j.image}, {"dataset", j.dataset},
           {"model_key", j.model_key}, {"progress", Progress(j.progress)},
           {"submit_time", SecondsOf(j.submit_time)}, {"eligible_since", SecondsOf(j.eligible_since)},
           {"started_at", SecondsOf(j.started_at)}, {"last_checkpoint_at", SecondsOf(j.last_checkpoint_at)},
           {"preempted_at", preempted}};
  if (j.boost) out["boost"] = json{{"class", j.boost->class_name}, {"expires_at", SecondsOf(j.boost->expires_at)}};
  return out;
}

// Reads field `key` of `o` into `out`; a missing or mistyped field throws
// json::exception, turned into an error by the caller.
template <typename T>
void Get(const json& o, const char* key, T& out) {
  out = o.at(key).get<T>();
}

void ReadCore(const json& o, const GpuCatalog& catalog, Job& j) {
  Get(o, "id", j.id);
  Get(o, "name", j.name);
  Get(o, "tenant", j.tenant);
  Get(o, "class", j.class_name);
  Get(o, "gpus", j.gpus);
  Get(o, "memory_per_gpu_mib", j.memory_per_gpu_mib);
  Get(o, "memory_fraction_permille", j.memory_fraction_permille);
  Get(o, "exclusive", j.exclusive);
  Get(o, "multi_node", j.multi_node);
  Get(o, "preemptible", j.preemptible);
  Get(o, "approved", j.approved);
  for (const auto& t : o.at("gpu_types")) {
    const std::optional<GpuTypeId> id = catalog.Find(t.get<std::string>());
    if (!id) throw std::runtime_error("unknown GPU type " + t.get<std::string>());
    j.gpu_types.push_back(*id);
  }
  Get(o, "image", j.image);
  Get(o, "dataset", j.dataset);
  Get(o, "model_key", j.model_key);
  const json& p = o.at("progress");
  Get(p, "epochs_total", j.progress.epochs_total);
  Get(p, "epochs_done", j.progress.epochs_done);
  Get(p, "checkpoint_epoch", j.progress.checkpoint_epoch);
  j.progress.epoch_t4 = Duration(p.at("epoch_t4_s").get<std::int64_t>());
  j.progress.duration_t4 = Duration(p.at("duration_t4_s").get<std::int64_t>());
  j.progress.done_t4 = Duration(p.at("done_t4_s").get<std::int64_t>());
  j.submit_time = At(o.at("submit_time").get<std::int64_t>());
  j.eligible_since = At(o.at("eligible_since").get<std::int64_t>());
  j.started_at = At(o.at("started_at").get<std::int64_t>());
  j.last_checkpoint_at = At(o.at("last_checkpoint_at").get<std::int64_t>());
  for (const auto& t : o.at("preempted_at")) j.preempted_at.push_back(At(t.get<std::int64_t>()));
  if (o.contains("boost")) {
    j.boost = Boost{o["boost"].at("class").get<std::string>(),
                    At(o["boost"].at("expires_at").get<std::int64_t>())};
  }
}

void ReadSlices(const json& a, std::vector<AssignedGpu>& gpus, std::vector<MiB>& mib) {
  for (const auto& s : a) {
    gpus.push_back(AssignedGpu{s.at("node").get<std::string>(), s.at("index").get<int>(), ""});
    mib.push_back(s.at("mib").get<MiB>());
  }
}

Assignment ReadAssignment(const json& a) {
  Assignment out;
  Get(a, "id", out.id);
  for (const auto& g : a.at("gpus")) {
    out.gpus.push_back(AssignedGpu{g.at("node").get<std::string>(), g.at("index").get<int>(),
                                   g.at("uuid").get<std::string>()});
  }
  Get(a, "resume_epoch", out.resume_epoch);
  Get(a, "stop", out.stop);
  out.stop_deadline = At(a.at("stop_deadline").get<std::int64_t>());
  return out;  // visible_after 0: everything stored is durable
}

JobState ParseState(const std::string& s) {
  for (JobState st : {JobState::kPending, JobState::kRunning, JobState::kStopping,
                      JobState::kSucceeded, JobState::kFailed, JobState::kCancelled}) {
    if (JobStateName(st) == s) return st;
  }
  throw std::runtime_error("unknown state " + s);
}

}  // namespace

std::string JobToJson(const JobRecord& r, const ClusterLedger& ledger) {
  json o{{"job", JobCore(r.job, ledger.catalog())},
         {"state", JobStateName(r.state)},
         {"spec", r.spec_json},
         {"retries_left", r.retries_left},
         {"exit_code", r.exit_code},
         {"end_reason", r.end_reason},
         {"ended_at", SecondsOf(r.ended_at)},
         {"cancel_requested", r.cancel_requested}};
  if (r.first_started_at) o["first_started_at"] = SecondsOf(*r.first_started_at);
  if (r.peak_mib > 0) o["peak_mib"] = r.peak_mib;
  if (r.assignment) o["assignment"] = AssignmentJson(*r.assignment);
  if (const Placement* p = ledger.placement(r.job.id)) o["held"] = Slices(*p, ledger);
  if (r.job.nomination) {
    o["nomination"] = json{{"slices", Slices(r.job.nomination->placement, ledger)},
                           {"expires_at", SecondsOf(r.job.nomination->expires_at)}};
  }
  return o.dump();
}

Result<StoredJob> JobFromJson(std::string_view text, const GpuCatalog& catalog) {
  try {
    const json o = json::parse(text);
    StoredJob s;
    JobRecord& r = s.record;
    ReadCore(o.at("job"), catalog, r.job);
    r.state = ParseState(o.at("state").get<std::string>());
    Get(o, "spec", r.spec_json);
    Get(o, "retries_left", r.retries_left);
    Get(o, "exit_code", r.exit_code);
    Get(o, "end_reason", r.end_reason);
    r.ended_at = At(o.at("ended_at").get<std::int64_t>());
    Get(o, "cancel_requested", r.cancel_requested);
    r.peak_mib = o.value("peak_mib", MiB{0});
    if (o.contains("first_started_at")) {
      r.first_started_at = At(o["first_started_at"].get<std::int64_t>());
    }
    if (o.contains("assignment")) r.assignment = ReadAssignment(o["assignment"]);
    if (o.contains("held")) ReadSlices(o["held"], s.held, s.held_mib);
    if (o.contains("nomination")) {
      ReadSlices(o["nomination"].at("slices"), s.nominated, s.nominated_mib);
      r.job.nomination = Nomination{{}, At(o["nomination"].at("expires_at").get<std::int64_t>())};
    }
    r.job.phase = r.state == JobState::kRunning    ? JobPhase::kRunning
                  : r.state == JobState::kStopping ? JobPhase::kPreempting
                                                   : JobPhase::kPending;
    return s;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("not a job record: {}", e.what()));
  }
}

std::string NodeToJson(const NodeState& n) {
  json gpus = json::array();
  for (const AgentGpu& g : n.gpus) {
    gpus.push_back(json{{"index", g.index}, {"uuid", g.uuid}, {"name", g.name},
                        {"memory_mib", g.memory_mib}, {"healthy", g.healthy},
                        {"health_reason", g.health_reason}});
  }
  return json{{"name", n.name}, {"agent_id", n.agent_id}, {"generation", n.generation},
              {"registered_at", SecondsOf(n.registered_at)}, {"gpus", gpus}, {"labels", n.labels},
              {"drained", n.drained}}
      .dump();
}

Result<NodeState> NodeFromJson(std::string_view text) {
  try {
    const json o = json::parse(text);
    NodeState n;
    Get(o, "name", n.name);
    Get(o, "agent_id", n.agent_id);
    Get(o, "generation", n.generation);
    n.registered_at = At(o.at("registered_at").get<std::int64_t>());
    for (const auto& g : o.at("gpus")) {
      AgentGpu gpu{g.at("index").get<int>(), g.at("uuid").get<std::string>(),
                   g.at("name").get<std::string>(), g.at("memory_mib").get<MiB>(),
                   g.at("healthy").get<bool>()};
      gpu.health_reason = g.value("health_reason", "");
      n.gpus.push_back(std::move(gpu));
    }
    Get(o, "labels", n.labels);
    n.drained = o.value("drained", false);
    return n;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("not a node record: {}", e.what()));
  }
}

std::string FreezesToJson(const std::vector<Freeze>& freezes) {
  json out = json::array();
  for (const Freeze& f : freezes) {
    out.push_back(json{{"scope", FreezeScopeName(f.scope)}, {"target", f.target},
                       {"expires_at", SecondsOf(f.expires_at)}});
  }
  return out.dump();
}

Result<std::vector<Freeze>> FreezesFromJson(std::string_view text) {
  try {
    std::vector<Freeze> out;
    for (const json& f : json::parse(text)) {
      const std::optional<FreezeScope> scope = ParseFreezeScope(f.at("scope").get<std::string>());
      if (!scope) throw std::runtime_error("unknown freeze scope");
      out.push_back(Freeze{*scope, f.at("target").get<std::string>(),
                           At(f.at("expires_at").get<std::int64_t>())});
    }
    return out;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("not a freeze list: {}", e.what()));
  }
}

std::string LearnedToJson(const MemoryEstimator& estimator, const RuntimeModel& runtime) {
  json epochs = json::array();
  for (const RuntimeModel::Learned& l : runtime.learned()) {
    epochs.push_back(json{{"model_key", l.model_key},
                          {"gpu_type", runtime.catalog().type(l.type).name},
                          {"epoch_ms", l.epoch_ms}});
  }
  json peaks = json::object();
  for (const auto& [key, mib] : estimator.observed_peaks()) peaks[key] = mib;
  return json{{"peaks_mib", peaks}, {"epochs", epochs}}.dump();
}

Result<LearnedFigures> LearnedFromJson(std::string_view text, const GpuCatalog& catalog) {
  try {
    const json o = json::parse(text);
    LearnedFigures out;
    for (const auto& [key, mib] : o.at("peaks_mib").items()) out.peaks[key] = mib.get<MiB>();
    for (const json& e : o.at("epochs")) {
      const std::string type = e.at("gpu_type").get<std::string>();
      const std::optional<GpuTypeId> id = catalog.Find(type);
      if (!id) throw std::runtime_error("unknown GPU type " + type);
      out.epochs.push_back(
          RuntimeModel::Learned{e.at("model_key").get<std::string>(), *id, e.at("epoch_ms").get<std::int64_t>()});
    }
    return out;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("not the learned figures: {}", e.what()));
  }
}

std::string CountersToJson(const Counters& c) {
  return json{{"next_job", c.next_job}, {"next_assignment", c.next_assignment},
              {"next_seq", c.next_seq}}
      .dump();
}

Result<Counters> CountersFromJson(std::string_view text) {
  try {
    const json o = json::parse(text);
    Counters c;
    Get(o, "next_job", c.next_job);
    Get(o, "next_assignment", c.next_assignment);
    Get(o, "next_seq", c.next_seq);
    return c;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("not the counters: {}", e.what()));
  }
}

}  // namespace gpusched::server
