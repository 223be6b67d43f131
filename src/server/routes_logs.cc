// GET /v1/jobs/{id}/logs: a slice of one run's log, from the in-memory
// LogStore (agents send the logs as `log` reports, routes_agents.cc). Who may
// read it is decided on the owner thread like any job read; the log itself
// is read on the HTTP thread.
#include <fmt/format.h>

#include "server/server_impl.h"

namespace gpusched::server {
namespace {

using nlohmann::json;

constexpr std::size_t kDefaultTailBytes = 64 * 1024;
constexpr std::size_t kMaxTailBytes = 1024 * 1024;

// The query, or the 400 that names the bad parameter.
std::variant<LogQuery, Reply> ParseQuery(const httplib::Request& req) {
  std::optional<Reply> error;
  LogQuery q;
  const std::optional<std::int64_t> run = CountParam(req, "run", error);
  const std::optional<std::int64_t> after = CountParam(req, "after", error);
  const std::optional<std::int64_t> tail = CountParam(req, "tail_bytes", error);
  if (error) return *error;
  if (run) q.run = static_cast<std::uint64_t>(*run);
  if (after) q.after = static_cast<std::uint64_t>(*after);
  if (tail && (*tail < 1 || *tail > static_cast<std::int64_t>(kMaxTailBytes))) {
    return ErrorReply(400, "invalid_argument",
                      fmt::format("tail_bytes: must be 1 to {}, got {}", kMaxTailBytes, *tail));
  }
  q.max_bytes = tail ? static_cast<std::size_t>(*tail) : kDefaultTailBytes;
  return q;
}

Reply Logs(Server::Impl& s, const Caller& caller, JobId id, const LogQuery& query) {
  std::string state;
  Reply r = s.Exec([&](Control& c, ChangeSet&, Instant) {
    const JobRecord* rec = c.Find(id);
    if (!rec || !MaySee(caller, rec->job.tenant)) {
      return ErrorReply(404, "not_found", fmt::format("no job {}", id));
    }
    state = JobStateName(rec->state);
    return Reply{};
  });
  if (r.status != 200) return r;
  // Read after the state: once a job is seen ended, its log is complete.
  const LogSlice slice = s.logs.Read(id, query);
  return Reply{200, json{{"job", id},
                         {"run", slice.run ? json(*slice.run) : json(nullptr)},
                         {"node", slice.node.empty() ? json(nullptr) : json(slice.node)},
                         {"runs", slice.runs},
                         {"start", slice.start},
                         {"end", slice.end},
                         {"text", slice.text},
                         {"more", slice.more},
                         {"job_state", state}}};
}

}  // namespace

void AddLogRoutes(Server::Impl& s) {
  s.http.Get(R"(/v1/jobs/([^/]+)/logs)",
             Authed(s, [&s](const Caller& c, const httplib::Request& req) {
               const std::optional<JobId> id = ParseId(req.matches[1]);
               if (!id) return ErrorReply(400, "invalid_argument", "job id: must be a number");
               auto query = ParseQuery(req);
               if (auto* bad = std::get_if<Reply>(&query)) return *bad;
               return Logs(s, c, *id, std::get<LogQuery>(query));
             }));
}

}  // namespace gpusched::server
