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

#include "gpusched/memory_estimate.h"
#include "server/control.h"
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
  MemoryEstimator estimator;
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
  std::atomic<std::uint64_t> durable_seq{0};
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
  void Fail(const Status& s);

  // Authentication: the caller of a request, or the 401 reply.
  std::variant<Caller, Reply> Authenticate(const httplib::Request& req) const;
};

// Route registration, one file per group.
void AddJobRoutes(Server::Impl& s);
void AddAgentRoutes(Server::Impl& s);

// Sends `r` as JSON.
void Send(httplib::Response& res, const Reply& r);

// The API view of a job (what `describe` shows).
nlohmann::json JobView(const JobRecord& r, Instant now);

}  // namespace gpusched::server
