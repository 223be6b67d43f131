// The agent routes: register, heartbeat, fetch assignments, report.
#include <algorithm>

#include <fmt/format.h>

#include "server/server_impl.h"

namespace gpusched::server {
namespace {

using nlohmann::json;

constexpr int kMaxLongPoll = 60;  // seconds

// A malformed field in an agent's message, named.
struct BadField {
  std::string message;
};

template <typename T>
T Field(const json& o, const char* key) {
  if (!o.is_object() || !o.contains(key)) throw BadField{fmt::format("{}: missing", key)};
  try {
    return o.at(key).get<T>();
  } catch (const json::exception&) {
    throw BadField{fmt::format("{}: wrong type ({})", key, o.at(key).type_name())};
  }
}

std::vector<AgentGpu> Gpus(const json& o) {
  std::vector<AgentGpu> gpus;
  if (!o.contains("gpus")) return gpus;
  for (const json& g : Field<json>(o, "gpus")) {
    AgentGpu gpu{Field<int>(g, "index"), g.value("uuid", ""), g.value("name", ""),
                 g.value("memory_mib", MiB{0}), g.value("healthy", true)};
    gpu.health_reason = g.value("health_reason", "");
    gpu.memory_used_mib = g.value("memory_used_mib", MiB{-1});
    gpu.utilization_pct = g.value("utilization_pct", -1);
    gpu.temperature_c = g.value("temperature_c", -1);
    gpus.push_back(std::move(gpu));
  }
  return gpus;
}

Report::Kind KindOf(const std::string& k) {
  if (k == "started") return Report::Kind::kStarted;
  if (k == "epoch") return Report::Kind::kEpoch;
  if (k == "checkpoint") return Report::Kind::kCheckpoint;
  if (k == "memory") return Report::Kind::kMemory;
  if (k == "exited") return Report::Kind::kExited;
  if (k == "preempted") return Report::Kind::kPreempted;
  throw BadField{fmt::format("kind: unknown report kind \"{}\" (known: started, epoch, "
                             "checkpoint, memory, exited, preempted, log)",
                             k)};
}

// A non-negative integer field that may be absent (0).
std::int64_t Count(const json& o, const char* key) {
  if (!o.contains(key)) return 0;
  const auto v = Field<std::int64_t>(o, key);
  if (v < 0) throw BadField{fmt::format("{}: must not be negative, got {}", key, v)};
  return v;
}

// The epochs between checkpoints the run must keep: its class's save_period,
// or the job's own when that is smaller.
int SavePeriod(const json& spec, int class_period) {
  const json* u = spec.is_object() && spec.contains("ultralytics") ? &spec["ultralytics"] : nullptr;
  if (u && u->is_object() && u->contains("save_period") && (*u)["save_period"].is_number_integer()) {
    return std::clamp((*u)["save_period"].get<int>(), 1, class_period);
  }
  return class_period;
}

json AssignmentJson(JobId job, const Assignment& a, const std::string& node, const JobRecord& r,
                    int class_save_period) {
  json gpus = json::array();
  for (const AssignedGpu& g : a.gpus) {
    if (g.node == node) gpus.push_back(json{{"index", g.index}, {"uuid", g.uuid}});
  }
  json spec = json::parse(r.spec_json.empty() ? "{}" : r.spec_json, nullptr, false);
  const int save_period = SavePeriod(spec, class_save_period);
  json out{{"id", a.id},          {"job", job},
           {"gpus", gpus},        {"resume_epoch", a.resume_epoch},
           {"stop", a.stop},      {"save_period", save_period},
           {"class", r.job.class_name}, {"spec", std::move(spec)}};
  if (a.stop) out["stop_deadline"] = SecondsOf(a.stop_deadline);
  return out;
}

// Runs `h` for an agent (or admin) caller with the parsed JSON body.
template <typename Handler>
httplib::Server::Handler AgentRoute(Server::Impl& s, Handler h) {
  return [&s, h](const httplib::Request& req, httplib::Response& res) {
    auto who = s.Authenticate(req);
    if (auto* r = std::get_if<Reply>(&who)) return Send(res, *r);
    if (std::get<Caller>(who).role == config::Role::kTenant) {
      return Send(res, ErrorReply(403, "forbidden", "the agent API needs an agent token"));
    }
    json body = json::object();
    if (!req.body.empty()) {
      body = json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object()) {
        return Send(res, ErrorReply(400, "invalid_argument", "the body must be a JSON object"));
      }
    }
    try {
      Send(res, h(req, body));
    } catch (const BadField& e) {
      Send(res, ErrorReply(400, "invalid_argument", e.message));
    }
  };
}

Reply Register(Server::Impl& s, const json& body) {
  Registration reg{Field<std::string>(body, "node"), body.value("agent_id", ""), Gpus(body),
                   body.value("labels", std::vector<std::string>{})};
  const auto running = body.value("running", std::vector<std::uint64_t>{});
  return s.Exec([&](Control& c, ChangeSet& cs, Instant now) {
    Result<std::uint64_t> gen = c.Register(reg, now, cs);
    if (!gen) return ErrorReply(gen.error());
    return Reply{200, json{{"generation", *gen},
                           {"lease_s", c.fleet().lease().count()},
                           {"stop", c.Unknown(reg.node, running)}}};
  });
}

Reply Heartbeat(Server::Impl& s, const json& body) {
  const std::string node = Field<std::string>(body, "node");
  const auto gen = Field<std::uint64_t>(body, "generation");
  const std::vector<AgentGpu> gpus = Gpus(body);
  return s.Exec([&](Control& c, ChangeSet& cs, Instant now) {
    Result<Instant> lease = c.Heartbeat(node, gen, gpus, now, cs);
    if (!lease) return ErrorReply(lease.error());
    return Reply{200, json{{"lease_expires", SecondsOf(*lease)}}};
  });
}

// The node's durable assignments and their version: the hash of the list,
// which changes whenever a run is added, removed or told to stop.
Reply CurrentAssignments(Server::Impl& s, const std::string& node, std::uint64_t gen,
                         std::uint64_t durable) {
  return s.Exec([&](Control& c, ChangeSet&, Instant now) {
    if (Status st = c.fleet().CheckGeneration(node, gen); !st) return ErrorReply(st.error());
    json list = json::array();
    for (const auto& [job, a] : c.AssignmentsFor(node, durable)) {
      const JobRecord& r = *c.Find(job);
      list.push_back(AssignmentJson(job, a, node, r, c.SavePeriodOf(r.job)));
    }
    const std::string version = fmt::format("{:016x}", std::hash<std::string>{}(list.dump()));
    // Seconds left until each stop's deadline as of this answer, so that
    // agents time the kill by their own clock (not part of the version).
    for (json& a : list) {
      if (a.contains("stop_deadline")) {
        a["stop_in_s"] = std::max<std::int64_t>(
            0, a["stop_deadline"].get<std::int64_t>() - SecondsOf(now));
      }
    }
    return Reply{200, json{{"assignments", list}, {"version", version}}};
  });
}

// Long poll: with `since` equal to the current version, waits up to `wait`
// for a durable change that alters the node's list.
Reply Assignments(Server::Impl& s, const std::string& node, std::uint64_t gen,
                  const std::string& since, std::chrono::seconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    const std::uint64_t durable = s.durable_seq.load();
    Reply r = CurrentAssignments(s, node, gen, durable);
    if (r.status != 200 || since.empty() || r.body["version"] != since) return r;
    if (!s.WaitDurable(durable, deadline)) return r;
  }
}

// A point of a job's progress trail, before it is timed.
struct TrailPoint {
  JobId job = 0;
  std::uint64_t run = 0;
  int epoch = 0;
};

// The trail points of `reports` (started: the run's resume epoch; epoch:
// the epochs done), taken as ApplyReports will take them: only for a
// current run of `node`, and not after that run's exit in the same message.
// Call before ApplyReports (which ends the runs that exited).
std::vector<TrailPoint> TrailPoints(const Control& c, const std::string& node,
                                    const std::vector<Report>& reports) {
  std::vector<TrailPoint> points;
  std::vector<std::uint64_t> ended;
  for (const Report& rep : reports) {
    if (std::find(ended.begin(), ended.end(), rep.assignment) != ended.end()) continue;
    const std::optional<JobId> job = c.RunOf(node, rep.assignment);
    if (!job) continue;  // stale
    switch (rep.kind) {
      case Report::Kind::kStarted:
        points.push_back(TrailPoint{*job, rep.assignment, c.Find(*job)->assignment->resume_epoch});
        break;
      case Report::Kind::kEpoch:
        points.push_back(TrailPoint{*job, rep.assignment, rep.epoch});
        break;
      case Report::Kind::kExited:
      case Report::Kind::kPreempted:
        ended.push_back(rep.assignment);
        break;
      case Report::Kind::kCheckpoint:
      case Report::Kind::kMemory:
        break;
    }
  }
  return points;
}

Reply Reports(Server::Impl& s, const std::string& node, const json& body) {
  const auto gen = Field<std::uint64_t>(body, "generation");
  std::vector<Report> reports;
  // Log output: kept in memory (s.logs), never a durable change.
  struct LogItem {
    std::uint64_t assignment = 0;
    std::uint64_t offset = 0;
    std::string text;
  };
  std::vector<LogItem> logs;
  for (const json& r : Field<json>(body, "reports")) {
    const std::string kind = Field<std::string>(r, "kind");
    if (kind == "log") {
      if (!r.contains("offset")) throw BadField{"offset: missing"};
      logs.push_back(LogItem{Field<std::uint64_t>(r, "assignment"),
                             static_cast<std::uint64_t>(Count(r, "offset")),
                             Field<std::string>(r, "text")});
      continue;
    }
    Report rep;
    rep.assignment = Field<std::uint64_t>(r, "assignment");
    rep.kind = KindOf(kind);
    rep.epoch = static_cast<int>(std::min<std::int64_t>(Count(r, "epoch"), 1'000'000));
    rep.epoch_time = Duration(Count(r, "epoch_s"));
    rep.peak_mib = Count(r, "peak_mib");
    rep.exit_code = r.contains("exit_code") ? Field<int>(r, "exit_code") : 0;
    rep.message = r.contains("message") ? Field<std::string>(r, "message") : "";
    reports.push_back(std::move(rep));
  }
  return s.Exec([&](Control& c, ChangeSet& cs, Instant now) {
    if (Status st = c.fleet().CheckGeneration(node, gen); !st) return ErrorReply(st.error());
    // Logs first: an exit in the same message ends the run they belong to.
    // Only for a current run of this node, and of a run spanning nodes only
    // its first node's (one log per run).
    for (const LogItem& l : logs) {
      const std::optional<JobId> job = c.RunOf(node, l.assignment);
      if (job && c.Find(*job)->assignment->gpus.front().node == node) {
        s.logs.Append(*job, l.assignment, node, l.offset, l.text);
      }
    }
    const std::vector<TrailPoint> trail = TrailPoints(c, node, reports);
    if (Status st = c.ApplyReports(node, gen, reports, now, cs); !st) return ErrorReply(st.error());
    // The progress trail: memory only, like the logs.
    for (const TrailPoint& p : trail) {
      s.progress.Add(p.job, p.run, SecondsOf(now), p.epoch);
    }
    return Reply{200, json{{"accepted", reports.size() + logs.size()}}};
  });
}

}  // namespace

void AddAgentRoutes(Server::Impl& s) {
  s.http.Post("/v1/agents/register",
              AgentRoute(s, [&s](const httplib::Request&, const json& b) { return Register(s, b); }));
  s.http.Post("/v1/agents/heartbeat",
              AgentRoute(s, [&s](const httplib::Request&, const json& b) { return Heartbeat(s, b); }));
  s.http.Get(R"(/v1/agents/([^/]+)/assignments)",
             AgentRoute(s, [&s](const httplib::Request& req, const json&) {
               const std::string gen = req.get_param_value("generation");
               if (gen.empty() || gen.find_first_not_of("0123456789") != std::string::npos) {
                 return ErrorReply(400, "invalid_argument", "generation: must be a number");
               }
               const std::string wait = req.get_param_value("wait_s");
               if (!wait.empty() && (wait.size() > 3 || wait.find_first_not_of("0123456789") !=
                                                            std::string::npos ||
                                     std::stoi(wait) > kMaxLongPoll)) {
                 return ErrorReply(400, "invalid_argument",
                                   fmt::format("wait_s: must be 0 to {}", kMaxLongPoll));
               }
               return Assignments(s, req.matches[1], std::stoull(gen),
                                  req.get_param_value("since"),
                                  std::chrono::seconds(wait.empty() ? 0 : std::stoi(wait)));
             }));
  s.http.Post(R"(/v1/agents/([^/]+)/reports)",
              AgentRoute(s, [&s](const httplib::Request& req, const json& b) {
                return Reports(s, req.matches[1], b);
              }));
}

}  // namespace gpusched::server
