// GET /v1/events: the decision and event log, read from the store (which is
// safe from any thread), paged by sequence number. An admin sees every
// event; a tenant only those about its own jobs.
#include <fmt/format.h>

#include "server/server_impl.h"

namespace gpusched::server {
namespace {

using nlohmann::json;

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;
// A tenant's page is filtered from the log: at most this many rows are read
// for one page, after which the page may come back short (page on with
// `next_after`).
constexpr int kTenantScanRows = 20'000;

json EventJson(const store::EventRow& e) {
  const json detail = json::parse(e.json, nullptr, false);
  return json{{"seq", e.seq}, {"time", e.time_s}, {"job", e.job_id}, {"kind", e.kind},
              {"text", detail.is_object() ? detail.value("text", "") : ""}};
}

// The tenants of the jobs `rows` name (owner thread).
std::map<std::int64_t, std::string> TenantsOf(Server::Impl& s,
                                              const std::vector<store::EventRow>& rows) {
  std::map<std::int64_t, std::string> out;
  s.Exec([&](Control& c, ChangeSet&, Instant) {
    for (const store::EventRow& e : rows) {
      if (e.job_id == 0 || out.count(e.job_id)) continue;
      if (const JobRecord* r = c.Find(static_cast<JobId>(e.job_id))) out[e.job_id] = r->job.tenant;
    }
    return Reply{};
  });
  return out;
}

Reply Events(Server::Impl& s, const Caller& caller, const httplib::Request& req) {
  std::optional<Reply> error;
  const auto after = CountParam(req, "after", error);
  const auto job = CountParam(req, "job", error);
  const auto limit = CountParam(req, "limit", error);
  if (error) return *error;
  if (limit && (*limit < 1 || *limit > kMaxLimit)) {
    return ErrorReply(400, "invalid_argument",
                      fmt::format("limit: must be 1 to {}, got {}", kMaxLimit, *limit));
  }
  store::EventQuery q;
  q.job_id = job;
  q.kind_prefix = req.get_param_value("kind");
  const int want = limit ? static_cast<int>(*limit) : kDefaultLimit;
  // Without `after`: the newest events, shown oldest first.
  q.newest_first = !after;
  q.after_seq = after.value_or(0);
  const bool filter = caller.role != config::Role::kAdmin;
  std::vector<store::EventRow> page;
  std::int64_t scanned = 0;
  while (static_cast<int>(page.size()) < want && scanned < kTenantScanRows) {
    q.limit = filter ? kMaxLimit : want;
    Result<std::vector<store::EventRow>> rows = s.store->Events(q);
    if (!rows) return ErrorReply(rows.error());
    if (rows->empty()) break;
    scanned += static_cast<std::int64_t>(rows->size());
    if (q.newest_first) {
      q.before_seq = rows->back().seq;
    } else {
      q.after_seq = rows->back().seq;
    }
    std::map<std::int64_t, std::string> tenants;
    if (filter) tenants = TenantsOf(s, *rows);
    for (store::EventRow& e : *rows) {
      if (static_cast<int>(page.size()) == want) break;
      if (filter && (e.job_id == 0 || tenants[e.job_id] != caller.tenant)) continue;
      page.push_back(std::move(e));
    }
    if (!filter) break;
  }
  if (q.newest_first) std::reverse(page.begin(), page.end());
  json events = json::array();
  for (const store::EventRow& e : page) events.push_back(EventJson(e));
  std::int64_t next = page.empty() ? q.after_seq : page.back().seq;
  if (filter && !q.newest_first) next = std::max(next, q.after_seq);
  return Reply{200, json{{"events", events}, {"next_after", next}}};
}

}  // namespace

void AddEventRoutes(Server::Impl& s) {
  s.http.Get("/v1/events", Authed(s, [&s](const Caller& c, const httplib::Request& req) {
               return Events(s, c, req);
             }));
}

std::optional<std::int64_t> CountParam(const httplib::Request& req, const char* name,
                                       std::optional<Reply>& error) {
  if (!req.has_param(name)) return std::nullopt;
  const std::string v = req.get_param_value(name);
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) {
    error = ErrorReply(400, "invalid_argument",
                       fmt::format("{}: must be a non-negative number, got \"{}\"", name, v));
    return std::nullopt;
  }
  return std::stoll(v);
}

}  // namespace gpusched::server
