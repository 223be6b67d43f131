// The job routes of the REST API: submit, list, describe, cancel.
#include <fmt/format.h>

#include "api/job_spec.h"
#include "server/resolve.h"
#include "server/server_impl.h"

namespace gpusched::server {
namespace {

using nlohmann::json;


json Placement(const JobRecord& r) {
  json out = json::array();
  if (!r.assignment) return out;
  for (const AssignedGpu& g : r.assignment->gpus) out.push_back(json{{"node", g.node}, {"gpu", g.index}});
  return out;
}

Reply Submit(Server::Impl& s, const Caller& caller, const httplib::Request& req) {
  const bool yaml = req.get_header_value("Content-Type").find("yaml") != std::string::npos;
  Result<api::JobSpec> spec =
      api::ParseJobSpec(req.body, yaml ? api::SpecFormat::kYaml : api::SpecFormat::kJson);
  if (!spec) return ErrorReply(spec.error());
  std::string tenant = spec->tenant.value_or(caller.role == config::Role::kTenant ? caller.tenant
                                                                                   : "default");
  if (caller.role == config::Role::kTenant && tenant != caller.tenant) {
    return ErrorReply(403, "forbidden",
                      fmt::format("tenant: a token of tenant \"{}\" submits for that tenant only",
                                  caller.tenant));
  }
  // The formula's estimate here; the owner replaces it with what agents
  // reported for the same model and settings, when it knows that.
  static const MemoryEstimator kFormula;
  Result<JobRequest> request = ResolveJob(*spec, tenant, *s.catalog, kFormula);
  if (!request) return ErrorReply(request.error());
  return s.Exec([&](Control& c, ChangeSet& cs, Instant now) {
    Result<JobId> id = c.Submit(std::move(*request), now, cs);
    if (!id) return ErrorReply(id.error());
    const JobRecord& r = *c.Find(*id);
    return Reply{201, json{{"id", *id}, {"state", JobStateName(r.state)},
                           {"class", r.job.class_name}, {"tenant", r.job.tenant}}};
  });
}

// The states named by `list` ("pending,running"; empty: all), or the 400
// reply naming the first unknown one.
std::variant<std::set<JobState>, Reply> StatesOf(const std::string& list) {
  constexpr JobState kAll[] = {JobState::kPending,   JobState::kRunning, JobState::kStopping,
                               JobState::kSucceeded, JobState::kFailed,  JobState::kCancelled};
  std::set<JobState> out;
  if (list.empty()) return std::set<JobState>(std::begin(kAll), std::end(kAll));
  std::size_t from = 0;
  while (from <= list.size()) {
    const std::size_t comma = std::min(list.find(',', from), list.size());
    const std::string name = list.substr(from, comma - from);
    const auto it = std::find_if(std::begin(kAll), std::end(kAll),
                                 [&](JobState x) { return JobStateName(x) == name; });
    if (it == std::end(kAll)) {
      return ErrorReply(400, "invalid_argument",
                        fmt::format("state: unknown state \"{}\" (known: pending, running, "
                                    "stopping, succeeded, failed, cancelled)",
                                    name));
    }
    out.insert(*it);
    from = comma + 1;
  }
  return out;
}

// GET /v1/jobs?state=pending,running&class=...&tenant=... (docs/openapi.yaml).
Reply List(Server::Impl& s, const Caller& caller, const httplib::Request& req) {
  auto states = StatesOf(req.get_param_value("state"));
  if (auto* r = std::get_if<Reply>(&states)) return *r;
  const std::set<JobState>& wanted = std::get<std::set<JobState>>(states);
  const std::string cls = req.get_param_value("class");
  std::string tenant = req.get_param_value("tenant");
  if (caller.role == config::Role::kTenant) {
    if (!tenant.empty() && tenant != caller.tenant) return Reply{200, json{{"jobs", json::array()}}};
    tenant = caller.tenant;
  }
  return s.Exec([&](Control& c, ChangeSet&, Instant now) {
    json jobs = json::array();
    for (const auto& [id, r] : c.jobs()) {
      if (!wanted.contains(r.state)) continue;
      if (!tenant.empty() && r.job.tenant != tenant) continue;
      if (!cls.empty() && r.job.class_name != cls) continue;
      jobs.push_back(JobView(r, now));
    }
    return Reply{200, json{{"jobs", jobs}}};
  });
}

// The job's progress trail (memory only), oldest first.
json ProgressTrail(const ProgressStore& progress, JobId id) {
  json trail = json::array();
  for (const ProgressPoint& p : progress.Read(id)) {
    trail.push_back(json{{"time", p.time_s}, {"epoch", p.epoch}, {"run", p.run}});
  }
  return trail;
}

Reply Describe(Server::Impl& s, const Caller& caller, JobId id) {
  Reply r = s.Exec([&](Control& c, ChangeSet&, Instant now) {
    const JobRecord* rec = c.Find(id);
    if (!rec || !MaySee(caller, rec->job.tenant)) {
      return ErrorReply(404, "not_found", fmt::format("no job {}", id));
    }
    json view = JobView(*rec, now);
    view["spec"] = json::parse(rec->spec_json.empty() ? "{}" : rec->spec_json, nullptr, false);
    return Reply{200, view};
  });
  if (r.status != 200) return r;
  store::EventQuery q;
  q.job_id = static_cast<std::int64_t>(id);
  q.limit = 200;
  q.newest_first = true;  // the newest 200, shown oldest first
  Result<std::vector<store::EventRow>> events = s.store->Events(q);
  json history = json::array();
  if (events) {
    for (auto it = events->rbegin(); it != events->rend(); ++it) {
      const store::EventRow& e = *it;
      const json detail = json::parse(e.json, nullptr, false);
      history.push_back(json{{"time", e.time_s}, {"kind", e.kind},
                             {"text", detail.is_object() ? detail.value("text", "") : ""}});
    }
  }
  r.body["history"] = history;
  r.body["progress_trail"] = ProgressTrail(s.progress, id);
  return r;
}

Reply Cancel(Server::Impl& s, const Caller& caller, JobId id) {
  return s.Exec([&](Control& c, ChangeSet& cs, Instant now) {
    const JobRecord* rec = c.Find(id);
    if (!rec || !MaySee(caller, rec->job.tenant)) {
      return ErrorReply(404, "not_found", fmt::format("no job {}", id));
    }
    if (Status st = c.Cancel(id, CallerName(caller), now, cs); !st) return ErrorReply(st.error());
    return Reply{200, JobView(*c.Find(id), now)};
  });
}

}  // namespace

bool MaySee(const Caller& caller, const std::string& tenant) {
  return caller.role == config::Role::kAdmin ||
         (caller.role == config::Role::kTenant && caller.tenant == tenant);
}

std::optional<JobId> ParseId(const std::string& text) {
  JobId id = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || id > (JobId{1} << 60)) return std::nullopt;
    id = id * 10 + static_cast<JobId>(c - '0');
  }
  return text.empty() ? std::nullopt : std::optional<JobId>(id);
}

std::string CallerName(const Caller& caller) {
  return caller.role == config::Role::kTenant ? "tenant " + caller.tenant : "admin " + caller.name;
}

json JobView(const JobRecord& r, Instant now) {
  const Job& j = r.job;
  json view{{"id", j.id},
            {"name", j.name},
            {"tenant", j.tenant},
            {"class", j.class_name},
            {"state", JobStateName(r.state)},
            {"gpus", j.gpus},
            {"memory_per_gpu_mib", j.memory_per_gpu_mib},
            {"exclusive", j.exclusive},
            {"submitted_at", SecondsOf(j.submit_time)},
            {"progress", {{"epochs_done", j.progress.epochs_done},
                          {"epochs_total", j.progress.epochs_total},
                          {"checkpoint_epoch", j.progress.checkpoint_epoch}}},
            {"placement", Placement(r)},
            {"preemptions", j.preempted_at.size()},
            {"awaiting_approval", r.wait && r.wait->code == WaitCode::kAwaitingApproval}};
  if (r.peak_mib > 0) view["peak_mib"] = r.peak_mib;
  if (!IsFinal(r.state) && j.boost && j.boost->expires_at > now) {
    view["boost"] = json{{"class", j.boost->class_name}, {"expires_at", SecondsOf(j.boost->expires_at)}};
  }
  if (r.state == JobState::kRunning || r.state == JobState::kStopping) {
    view["started_at"] = SecondsOf(j.started_at);
    // Work since this instant is lost if the run stops now: its newest
    // checkpoint, or its start when it has saved none in this run.
    view["saved_at"] = SecondsOf(std::max(j.started_at, j.last_checkpoint_at));
  }
  if (r.wait) {
    json wait{{"code", WaitCodeName(r.wait->code)}, {"reason", r.wait->reason},
              {"position", r.wait->position}};
    if (r.wait->predicted_start) wait["predicted_start_in_s"] = (*r.wait->predicted_start - now).count();
    view["wait"] = wait;
  }
  if (IsFinal(r.state)) {
    view["ended_at"] = SecondsOf(r.ended_at);
    view["end_reason"] = r.end_reason;
    if (r.state == JobState::kFailed) view["exit_code"] = r.exit_code;
  }
  return view;
}

void AddJobRoutes(Server::Impl& s) {
  s.http.Post("/v1/jobs", Authed(s, [&s](const Caller& c, const httplib::Request& req) {
                return Submit(s, c, req);
              }));
  s.http.Get("/v1/jobs", Authed(s, [&s](const Caller& c, const httplib::Request& req) {
               return List(s, c, req);
             }));
  s.http.Get(R"(/v1/jobs/([^/]+))", Authed(s, [&s](const Caller& c, const httplib::Request& req) {
               const std::optional<JobId> id = ParseId(req.matches[1]);
               if (!id) return ErrorReply(400, "invalid_argument", "job id: must be a number");
               return Describe(s, c, *id);
             }));
  s.http.Post(R"(/v1/jobs/([^/]+)/cancel)",
              Authed(s, [&s](const Caller& c, const httplib::Request& req) {
                const std::optional<JobId> id = ParseId(req.matches[1]);
                if (!id) return ErrorReply(400, "invalid_argument", "job id: must be a number");
                return Cancel(s, c, *id);
              }));
}

}  // namespace gpusched::server
