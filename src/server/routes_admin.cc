// The SLA report, and the priority classes and tenants: read by users,
// added or changed by admins (PUT, strict bodies; see policy_json.h).
#include <fmt/format.h>

#include "server/policy_json.h"
#include "server/server_impl.h"
#include "server/sla.h"

namespace gpusched::server {
namespace {

using nlohmann::json;

json SlaJson(const ClassSla& c) {
  json target = nullptr;
  if (c.target) {
    target = json{{"percentile", c.target->percentile}, {"max_wait_s", c.target->max_wait.count()}};
  }
  json slices = json::array();
  for (const SlaSlice& x : c.slices) slices.push_back(json{{"started", x.started}, {"met", x.met}});
  return json{{"class", c.class_name},
              {"target", target},
              {"started", c.started},
              {"met", c.met},
              {"attainment", c.attainment ? json(*c.attainment) : json(nullptr)},
              {"wait_p50_s", c.wait_p50.count()},
              {"wait_p95_s", c.wait_p95.count()},
              {"wait_max_s", c.wait_max.count()},
              {"wait_histogram", c.wait_histogram},
              {"slices", slices},
              {"pending", c.pending},
              {"pending_over_target", c.pending_over_target},
              {"oldest_pending_s", c.oldest_pending.count()}};
}

// Query parameter `name`: a whole number from 1 to `max` (at most 9
// digits), `fallback` when absent; or the 400 reply naming it, saying that
// it `must` be ...
std::variant<std::int64_t, Reply> WholeParam(const httplib::Request& req, const char* name,
                                             std::int64_t fallback, std::int64_t max,
                                             std::string_view must) {
  if (!req.has_param(name)) return fallback;
  const std::string v = req.get_param_value(name);
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos ||
      std::stoll(v) == 0 || std::stoll(v) > max) {
    return ErrorReply(400, "invalid_argument",
                      fmt::format("{}: must be {}, got \"{}\"", name, must, v));
  }
  return std::stoll(v);
}

// GET /v1/sla?window_s=3600&slices=12 (docs/openapi.yaml).
Reply Sla(Server::Impl& s, const httplib::Request& req) {
  auto window = WholeParam(req, "window_s", 3600, 999'999'999, "a positive number of seconds");
  if (auto* r = std::get_if<Reply>(&window)) return *r;
  auto slices = WholeParam(req, "slices", 12, 240, "a whole number from 1 to 240");
  if (auto* r = std::get_if<Reply>(&slices)) return *r;
  const Duration w{std::get<std::int64_t>(window)};
  const int n = static_cast<int>(std::get<std::int64_t>(slices));
  if (w.count() < n) {
    return ErrorReply(400, "invalid_argument",
                      fmt::format("slices: each slice must last at least 1 s, got {} slices of a "
                                  "{} s window",
                                  n, w.count()));
  }
  std::vector<ClassSla> report;
  Reply r = s.Exec([&](Control& c, ChangeSet&, Instant now) {
    report = SlaReport(c.jobs(), c.settings().classes, now, w, n);
    return Reply{200, nullptr};
  });
  if (r.status != 200) return r;
  json buckets = json::array();
  for (Duration b : kWaitBuckets) buckets.push_back(b.count());
  json classes = json::array();
  for (const ClassSla& x : report) classes.push_back(SlaJson(x));
  return Reply{200, json{{"window_s", w.count()},
                         {"slice_s", SliceLength(w, n).count()},
                         {"wait_buckets_s", buckets},
                         {"classes", classes}}};
}

Reply Classes(Server::Impl& s) {
  return s.Exec([&](Control& c, ChangeSet&, Instant) {
    return Reply{200, json{{"classes", json::parse(ClassesToJson(c.settings().classes))}}};
  });
}

Reply Tenants(Server::Impl& s, const Caller& caller) {
  return s.Exec([&](Control& c, ChangeSet&, Instant) {
    json out = json::array();
    for (const Tenant& t : c.settings().tenants) {
      if (caller.role == config::Role::kAdmin || t.name == caller.tenant) {
        out.push_back(json::parse(TenantToJson(t)));
      }
    }
    return Reply{200, json{{"tenants", out}}};
  });
}

// A class or tenant name in a path: what job files and tokens can name.
std::optional<Reply> BadName(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 63 &&
                  name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-") == std::string::npos;
  if (ok) return std::nullopt;
  return ErrorReply(400, "invalid_argument",
                    fmt::format("name: must be 1 to 63 of a-z 0-9 . _ -, got \"{}\"", name));
}

Reply PutClass(Server::Impl& s, const Caller& caller, const std::string& name,
               const httplib::Request& req) {
  if (auto bad = BadName(name)) return *bad;
  return s.Exec([&](Control& c, ChangeSet& cs, Instant) {
    const PriorityClass* existing = c.settings().classes.Find(name);
    PriorityClass base;
    if (existing) base = *existing;
    Result<PriorityClass> pc = ClassFromBody(name, req.body, base);
    if (!pc) return ErrorReply(pc.error());
    if (!existing && !json::parse(req.body, nullptr, false).contains("value")) {
      return ErrorReply(400, "invalid_argument", "value: a new class needs one");
    }
    if (Status st = c.PutClass(*pc, CallerName(caller), cs); !st) return ErrorReply(st.error());
    return Reply{200, json::parse(ClassToJson(*c.settings().classes.Find(name)))};
  });
}

Reply PutTenant(Server::Impl& s, const Caller& caller, const std::string& name,
                const httplib::Request& req) {
  if (auto bad = BadName(name)) return *bad;
  return s.Exec([&](Control& c, ChangeSet& cs, Instant) {
    const auto& tenants = c.settings().tenants;
    const auto it = std::find_if(tenants.begin(), tenants.end(),
                                 [&](const Tenant& t) { return t.name == name; });
    Result<Tenant> t = TenantFromBody(name, req.body, it == tenants.end() ? Tenant{} : *it);
    if (!t) return ErrorReply(t.error());
    if (Status st = c.PutTenant(*t, CallerName(caller), cs); !st) return ErrorReply(st.error());
    return Reply{200, json::parse(TenantToJson(*t))};
  });
}

}  // namespace

void AddAdminRoutes(Server::Impl& s) {
  s.http.Get("/v1/sla", Authed(s, [&s](const Caller&, const httplib::Request& req) {
               return Sla(s, req);
             }));
  s.http.Get("/v1/classes", Authed(s, [&s](const Caller&, const httplib::Request&) {
               return Classes(s);
             }));
  s.http.Get("/v1/tenants", Authed(s, [&s](const Caller& c, const httplib::Request&) {
               return Tenants(s, c);
             }));
  s.http.Put(R"(/v1/classes/([^/]+))",
             AdminOnly(s, [&s](const Caller& c, const httplib::Request& req) {
               return PutClass(s, c, req.matches[1], req);
             }));
  s.http.Put(R"(/v1/tenants/([^/]+))",
             AdminOnly(s, [&s](const Caller& c, const httplib::Request& req) {
               return PutTenant(s, c, req.matches[1], req);
             }));
}

}  // namespace gpusched::server
