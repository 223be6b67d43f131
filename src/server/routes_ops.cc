// The operations routes of the REST API: boost and approve a job, freezes,
// nodes and drains. The SLA report, classes and tenants are in
// routes_admin.cc, the event log in routes_events.cc.
#include <fmt/format.h>

#include "server/node_view.h"
#include "server/server_impl.h"

namespace gpusched::server {
namespace {

using nlohmann::json;


// The body as a JSON object, or the 400 reply.
std::variant<json, Reply> Body(const httplib::Request& req) {
  if (req.body.empty()) return json::object();
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return ErrorReply(400, "invalid_argument", "the body must be a JSON object");
  }
  return body;
}

// A positive whole number of seconds in `body[key]`, or the 400 reply.
std::variant<std::int64_t, Reply> Seconds(const json& body, const char* key) {
  if (!body.contains(key)) {
    return ErrorReply(400, "invalid_argument", fmt::format("{}: missing (seconds)", key));
  }
  const json& v = body.at(key);
  if (!v.is_number_integer() || v.get<std::int64_t>() <= 0 ||
      v.get<std::int64_t>() > std::int64_t{10} * 365 * 86400) {
    return ErrorReply(400, "invalid_argument",
                      fmt::format("{}: must be a whole number of seconds, 1 to 10 years, got {}",
                                  key, v.dump()));
  }
  return v.get<std::int64_t>();
}

// Fields of the body other than `known` are an error naming the first.
std::optional<Reply> UnknownField(const json& body, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : body.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return ErrorReply(400, "invalid_argument", fmt::format("{}: unknown field", key));
    }
  }
  return std::nullopt;
}

// A tenant may boost its own jobs up to the class it may use without
// approval; above it, boosting is an operator's decision.
std::optional<Reply> BoostAllowed(const Caller& caller, const Control& c, const std::string& cls) {
  if (caller.role == config::Role::kAdmin) return std::nullopt;
  const auto& tenants = c.settings().tenants;
  const auto t = std::find_if(tenants.begin(), tenants.end(),
                              [&](const Tenant& x) { return x.name == caller.tenant; });
  const PriorityClass* wanted = c.settings().classes.Find(cls);
  const PriorityClass* allowed =
      t == tenants.end() ? nullptr : c.settings().classes.Find(t->max_class_without_approval);
  if (wanted && allowed && wanted->value <= allowed->value) return std::nullopt;
  return ErrorReply(403, "forbidden",
                    fmt::format("class: boosting to \"{}\" needs an admin token (tenant \"{}\" may "
                                "boost up to \"{}\")",
                                cls, caller.tenant,
                                t == tenants.end() ? "" : t->max_class_without_approval));
}

Reply Boost(Server::Impl& s, const Caller& caller, JobId id, const httplib::Request& req) {
  auto body = Body(req);
  if (auto* r = std::get_if<Reply>(&body)) return *r;
  const json& b = std::get<json>(body);
  if (auto bad = UnknownField(b, {"class", "for_s"})) return *bad;
  if (!b.contains("class") || !b.at("class").is_string()) {
    return ErrorReply(400, "invalid_argument", "class: missing (the class to run under)");
  }
  const std::string cls = b.at("class").get<std::string>();
  auto secs = Seconds(b, "for_s");
  if (auto* r = std::get_if<Reply>(&secs)) return *r;
  const Duration length{std::get<std::int64_t>(secs)};
  return s.Exec([&](Control& c, ChangeSet& cs, Instant now) {
    const JobRecord* rec = c.Find(id);
    if (!rec || !MaySee(caller, rec->job.tenant)) {
      return ErrorReply(404, "not_found", fmt::format("no job {}", id));
    }
    if (auto denied = BoostAllowed(caller, c, cls)) return *denied;
    if (Status st = c.Boost(id, cls, now + length, CallerName(caller), now, cs); !st) {
      return ErrorReply(st.error());
    }
    return Reply{200, JobView(*c.Find(id), now)};
  });
}

Reply Approve(Server::Impl& s, const Caller& caller, JobId id) {
  return s.Exec([&](Control& c, ChangeSet& cs, Instant now) {
    if (Status st = c.Approve(id, CallerName(caller), now, cs); !st) return ErrorReply(st.error());
    return Reply{200, JobView(*c.Find(id), now)};
  });
}

json FreezeJson(const Freeze& f) {
  return json{{"scope", FreezeScopeName(f.scope)}, {"target", f.target},
              {"expires_at", SecondsOf(f.expires_at)}};
}

// Whether a tenant caller may see `f`: cluster freezes, its own tenant's,
// and those of its own jobs.
bool MaySeeFreeze(const Caller& caller, const Control& c, const Freeze& f) {
  if (caller.role == config::Role::kAdmin || f.scope == FreezeScope::kCluster) return true;
  if (f.scope == FreezeScope::kTenant) return f.target == caller.tenant;
  const std::optional<JobId> id = ParseId(f.target);
  const JobRecord* r = id ? c.Find(*id) : nullptr;
  return r && r->job.tenant == caller.tenant;
}

Reply ListFreezes(Server::Impl& s, const Caller& caller) {
  return s.Exec([&](Control& c, ChangeSet&, Instant) {
    json out = json::array();
    for (const Freeze& f : c.freezes()) {
      if (MaySeeFreeze(caller, c, f)) out.push_back(FreezeJson(f));
    }
    return Reply{200, json{{"freezes", out}}};
  });
}

// Scope and target from a body or query: "cluster" (no target), "tenant"
// or "job"; or the 400 reply.
std::variant<Freeze, Reply> ScopeOf(const std::string& scope, const std::string& target) {
  const std::optional<FreezeScope> parsed = ParseFreezeScope(scope.empty() ? "cluster" : scope);
  if (!parsed) {
    return ErrorReply(400, "invalid_argument",
                      fmt::format("scope: must be cluster, tenant or job, got \"{}\"", scope));
  }
  if (*parsed != FreezeScope::kCluster && target.empty()) {
    return ErrorReply(400, "invalid_argument",
                      fmt::format("target: a {} freeze names its {}", scope, scope));
  }
  return Freeze{*parsed, target, kNever};
}

Reply AddFreeze(Server::Impl& s, const Caller& caller, const httplib::Request& req) {
  auto body = Body(req);
  if (auto* r = std::get_if<Reply>(&body)) return *r;
  const json& b = std::get<json>(body);
  if (auto bad = UnknownField(b, {"scope", "target", "for_s"})) return *bad;
  if ((b.contains("scope") && !b["scope"].is_string()) ||
      (b.contains("target") && !b["target"].is_string())) {
    return ErrorReply(400, "invalid_argument", "scope, target: must be strings");
  }
  auto scoped = ScopeOf(b.value("scope", ""), b.value("target", ""));
  if (auto* r = std::get_if<Reply>(&scoped)) return *r;
  auto secs = Seconds(b, "for_s");
  if (auto* r = std::get_if<Reply>(&secs)) return *r;
  Freeze f = std::get<Freeze>(scoped);
  const Duration length{std::get<std::int64_t>(secs)};
  return s.Exec([&](Control& c, ChangeSet& cs, Instant now) {
    f.expires_at = now + length;
    Result<Freeze> added = c.AddFreeze(f, CallerName(caller), now, cs);
    if (!added) return ErrorReply(added.error());
    return Reply{201, json{{"freeze", FreezeJson(*added)}}};
  });
}

Reply RemoveFreezes(Server::Impl& s, const Caller& caller, const httplib::Request& req) {
  auto scoped = ScopeOf(req.get_param_value("scope"), req.get_param_value("target"));
  if (auto* r = std::get_if<Reply>(&scoped)) return *r;
  const Freeze f = std::get<Freeze>(scoped);
  return s.Exec([&](Control& c, ChangeSet& cs, Instant) {
    return Reply{200, json{{"removed", c.RemoveFreezes(f.scope, f.target, CallerName(caller), cs)}}};
  });
}

// The nodes: only a plain copy is taken on the owner thread; the JSON is
// built here, on the HTTP thread (node_view.h).
Reply Nodes(Server::Impl& s, const Caller& caller) {
  std::vector<NodeSnapshot> nodes;
  Reply r = s.Exec([&](Control& c, ChangeSet&, Instant now) {
    nodes = SnapshotNodes(c, caller, now);
    return Reply{200, nullptr};
  });
  if (r.status != 200) return r;
  return Reply{200, NodesJson(nodes)};
}

Reply Drain(Server::Impl& s, const Caller& caller, const std::string& node, bool drained) {
  NodeSnapshot view;
  Reply r = s.Exec([&](Control& c, ChangeSet& cs, Instant now) {
    if (Status st = c.SetDrained(node, drained, CallerName(caller), cs); !st) {
      return ErrorReply(st.error());
    }
    view = SnapshotNode(c, *c.fleet().Find(node), caller, now);
    return Reply{200, nullptr};
  });
  if (r.status != 200) return r;
  return Reply{200, NodeJson(view)};
}

// `h(caller, id, req)` for a route whose first match is a job id.
template <typename Handler>
auto WithJobId(Handler h) {
  return [h](const Caller& c, const httplib::Request& req) {
    const std::optional<JobId> id = ParseId(req.matches[1]);
    if (!id) return ErrorReply(400, "invalid_argument", "job id: must be a number");
    return h(c, *id, req);
  };
}

}  // namespace

void AddOpsRoutes(Server::Impl& s) {
  s.http.Post(R"(/v1/jobs/([^/]+)/boost)",
              Authed(s, WithJobId([&s](const Caller& c, JobId id, const httplib::Request& req) {
                return Boost(s, c, id, req);
              })));
  s.http.Post(R"(/v1/jobs/([^/]+)/approve)",
              AdminOnly(s, WithJobId([&s](const Caller& c, JobId id, const httplib::Request&) {
                return Approve(s, c, id);
              })));
  s.http.Get("/v1/freezes", Authed(s, [&s](const Caller& c, const httplib::Request&) {
               return ListFreezes(s, c);
             }));
  s.http.Post("/v1/freezes", AdminOnly(s, [&s](const Caller& c, const httplib::Request& req) {
                return AddFreeze(s, c, req);
              }));
  s.http.Delete("/v1/freezes", AdminOnly(s, [&s](const Caller& c, const httplib::Request& req) {
                  return RemoveFreezes(s, c, req);
                }));
  s.http.Get("/v1/nodes", Authed(s, [&s](const Caller& c, const httplib::Request&) {
               return Nodes(s, c);
             }));
  s.http.Post(R"(/v1/nodes/([^/]+)/drain)",
              AdminOnly(s, [&s](const Caller& c, const httplib::Request& req) {
                return Drain(s, c, req.matches[1], true);
              }));
  s.http.Post(R"(/v1/nodes/([^/]+)/undrain)",
              AdminOnly(s, [&s](const Caller& c, const httplib::Request& req) {
                return Drain(s, c, req.matches[1], false);
              }));
}

}  // namespace gpusched::server
