// Internal to the server: the running process's parts, shared by the
// lifecycle (server.cc) and the route files (routes_*.cc).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/control.h"
#include "server/log_store.h"
#include "server/metrics.h"
#include "server/progress_store.h"
#include "server/server.h"
#include "store/group_commit.h"
#include "store/store.h"

namespace gpusched::server {

// An HTTP answer.
struct Reply {
  int status = 200;
  nlohmann::json body;
};

// `{"error": {"code", "message"}}` with the HTTP status for `code`.
Reply ErrorReply(const Error& e);
Reply ErrorReply(int status, std::string_view code, std::string message);

// The caller, after authentication.
struct Caller {
  config::Role role = config::Role::kAdmin;
  std::string tenant;  // kTenant
  std::string name;    // the token's name
};

struct Server::Impl {
  ServerOptions options;
  const GpuCatalog* catalog = nullptr;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<store::GroupCommitter> committer;
  std::unique_ptr<Control> control;
  ServerMetrics metrics;
  // Runs' logs as agents send them: memory only, never durable (any thread).
  LogStore logs;
  // Jobs' progress over time (epochs done, per run) as agents report it:
  // memory only, never durable (any thread).
  ProgressStore progress;
  httplib::Server http;
  int port = 0;

  // The owner thread and its queue.
  using Task = std::function<void()>;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Task> tasks;
  bool stopping = false;
  bool dirty = false;  // a command changed something: run a cycle soon
  std::thread owner;
  std::thread listener;
  std::int64_t next_event_seq = 1;          // owner thread only
  std::uint64_t handed_seq = 0;             // owner thread: newest change sent to commit
  std::atomic<std::uint64_t> durable_seq{0};
  // Signalled when durable_seq advances or the server closes (long polls).
  std::mutex durable_mu;
  std::condition_variable durable_cv;
  std::atomic<bool> closing{false};
  std::atomic<bool> failed{false};
  std::once_flag stop_once;

  Instant Now() const { return options.clock(); }

  // Runs `f` on the owner thread with the Control and a fresh ChangeSet;
  // waits for it, then for its change to be durable, and returns its reply
  // (a 500 when the commit failed). Called from HTTP threads.
  Reply Exec(std::function<Reply(Control&, ChangeSet&, Instant)> f);
  // Owner thread: makes `cs` durable; `done` runs when it is.
  void Commit(const ChangeSet& cs, std::function<void(const Status&)> done);
  void OwnerLoop();
  // Waits until durable_seq differs from `seen`, the server closes, or
  // `deadline`; returns whether it advanced. Any thread.
  bool WaitDurable(std::uint64_t seen, std::chrono::steady_clock::time_point deadline);
  // Waits until changes up to `seq` are durable; false when the server
  // closes or failed first. Any thread but the owner.
  bool WaitDurableAtLeast(std::uint64_t seq);
  void Fail(const Status& s);

  // Authentication: the caller of a request, or the 401 reply.
  std::variant<Caller, Reply> Authenticate(const httplib::Request& req) const;
};

// Route registration, one file per group.
void AddJobRoutes(Server::Impl& s);
void AddOpsRoutes(Server::Impl& s);
void AddAdminRoutes(Server::Impl& s);
void AddEventRoutes(Server::Impl& s);
void AddAgentRoutes(Server::Impl& s);
void AddLogRoutes(Server::Impl& s);
// The dashboard at / (no token) and GET /v1/whoami.
void AddWebRoutes(Server::Impl& s);

// Sends `r` as JSON.
void Send(httplib::Response& res, const Reply& r);

// Whether `caller` may see jobs of `tenant` (admin: all; tenant: its own).
bool MaySee(const Caller& caller, const std::string& tenant);
// A non-negative integer query parameter (at most 18 digits), or nullopt when
// absent; a malformed one sets `error` to the 400 that names it.
std::optional<std::int64_t> CountParam(const httplib::Request& req, const char* name,
                                       std::optional<Reply>& error);
// A job id from a path segment; nullopt unless it is a plain number.
std::optional<JobId> ParseId(const std::string& text);
// Who did it, for the event log: "admin ops", "tenant quality".
std::string CallerName(const Caller& caller);

// A user route (admin or tenant token; an agent token is refused with 403):
// authenticates, then sends what `h(caller, request)` replies.
template <typename Handler>
httplib::Server::Handler Authed(Server::Impl& s, Handler h) {
  return [&s, h](const httplib::Request& req, httplib::Response& res) {
    auto who = s.Authenticate(req);
    if (auto* r = std::get_if<Reply>(&who)) return Send(res, *r);
    const Caller& caller = std::get<Caller>(who);
    if (caller.role == config::Role::kAgent) {
      return Send(res, ErrorReply(403, "forbidden", "an agent token may only use the agent API"));
    }
    Send(res, h(caller, req));
  };
}

// A route for admin tokens only (403 for the others).
template <typename Handler>
httplib::Server::Handler AdminOnly(Server::Impl& s, Handler h) {
  return Authed(s, [h](const Caller& caller, const httplib::Request& req) {
    if (caller.role != config::Role::kAdmin) {
      return ErrorReply(403, "forbidden", "this operation needs an admin token");
    }
    return h(caller, req);
  });
}

// The API view of a job (what `describe` shows).
nlohmann::json JobView(const JobRecord& r, Instant now);

}  // namespace gpusched::server
