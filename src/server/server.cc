// The server's lifecycle: open and load, the owner thread's loop, stop.
#include "server/server.h"

#include <fmt/format.h>

#include "server/persist.h"
#include "server/server_impl.h"
#include "server/sla.h"
#include "store/sqlite_store.h"

namespace gpusched::server {
namespace {

Instant SystemNow() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

// Constant-time comparison, so that response times do not leak a secret.
bool SameSecret(std::string_view a, std::string_view b) {
  unsigned char diff = static_cast<unsigned char>(a.size() != b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

// A small fixed set of names for the request counter (never raw paths,
// which would make a series per job).
std::string_view RouteGroup(std::string_view path) {
  for (std::string_view group : {"jobs", "agents", "nodes", "freezes", "sla", "events", "classes",
                                 "tenants"}) {
    const std::string prefix = "/v1/" + std::string(group);
    if (path.substr(0, prefix.size()) == prefix) return group;
  }
  if (path == "/healthz") return "healthz";
  if (path == "/metrics") return "metrics";
  return "other";
}

}  // namespace

Reply ErrorReply(int status, std::string_view code, std::string message) {
  return Reply{status, nlohmann::json{{"error", {{"code", code}, {"message", std::move(message)}}}}};
}

Reply ErrorReply(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument: return ErrorReply(400, "invalid_argument", e.message);
    case ErrorCode::kNotFound: return ErrorReply(404, "not_found", e.message);
    case ErrorCode::kAlreadyExists: return ErrorReply(409, "already_exists", e.message);
    case ErrorCode::kFailedPrecondition: return ErrorReply(409, "failed_precondition", e.message);
    case ErrorCode::kResourceExhausted: return ErrorReply(429, "resource_exhausted", e.message);
  }
  return ErrorReply(500, "internal", e.message);
}

void Send(httplib::Response& res, const Reply& r) {
  res.status = r.status;
  res.set_content(r.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

std::variant<Caller, Reply> Server::Impl::Authenticate(const httplib::Request& req) const {
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (header.rfind(kBearer, 0) != 0) {
    return ErrorReply(401, "unauthenticated", "missing bearer token (Authorization: Bearer ...)");
  }
  const std::string_view secret = std::string_view(header).substr(kBearer.size());
  for (const config::Token& t : options.config.tokens) {
    if (SameSecret(secret, t.secret)) return Caller{t.role, t.tenant, t.name};
  }
  return ErrorReply(401, "unauthenticated", "unknown token");
}

Reply Server::Impl::Exec(std::function<Reply(Control&, ChangeSet&, Instant)> f) {
  auto reply = std::make_shared<std::promise<Reply>>();
  auto durable = std::make_shared<std::promise<Status>>();
  std::future<Reply> reply_future = reply->get_future();
  std::future<Status> durable_future = durable->get_future();
  auto barrier = std::make_shared<std::uint64_t>(0);
  {
    std::lock_guard<std::mutex> lock(mu);
    if (stopping) return ErrorReply(503, "unavailable", "the server is stopping");
    tasks.push_back([this, f = std::move(f), reply, durable, barrier] {
      ChangeSet cs;
      Reply r = f(*control, cs, Now());
      if (cs.empty()) {
        // A read answers only once what it saw is durable: a change made
        // by an earlier command or cycle may still be on its way to disk.
        *barrier = handed_seq;
        durable->set_value(OkStatus());
      } else {
        dirty = true;
        Commit(cs, [durable](const Status& s) { durable->set_value(s); });
      }
      reply->set_value(std::move(r));
    });
  }
  cv.notify_one();
  Reply r = reply_future.get();
  const Status s = durable_future.get();
  if (!s) return ErrorReply(500, "internal", "the change could not be made durable: " + s.error().message);
  if (!WaitDurableAtLeast(*barrier)) {
    return ErrorReply(503, "unavailable", "the server is stopping");
  }
  return r;
}

bool Server::Impl::WaitDurableAtLeast(std::uint64_t seq) {
  if (durable_seq.load() >= seq) return true;
  std::unique_lock<std::mutex> lock(durable_mu);
  durable_cv.wait(lock, [&] { return closing.load() || durable_seq.load() >= seq; });
  return durable_seq.load() >= seq;
}

void Server::Impl::Commit(const ChangeSet& cs, std::function<void(const Status&)> done) {
  store::Mutation m = ToMutation(*control, cs, Now(), next_event_seq);
  const std::uint64_t seq = cs.seq;
  handed_seq = std::max(handed_seq, seq);
  committer->Submit(std::move(m), [this, seq, done = std::move(done)](const Status& s) {
    if (s) {
      {
        std::lock_guard<std::mutex> lock(durable_mu);
        std::uint64_t d = durable_seq.load();
        while (d < seq && !durable_seq.compare_exchange_weak(d, seq)) {
        }
      }
      durable_cv.notify_all();
    } else {
      Fail(s);
    }
    done(s);
  });
}

bool Server::Impl::WaitDurable(std::uint64_t seen, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(durable_mu);
  durable_cv.wait_until(lock, deadline, [&] { return closing.load() || durable_seq.load() != seen; });
  return !closing.load() && durable_seq.load() != seen;
}

void Server::Impl::Fail(const Status& s) {
  if (failed.exchange(true)) return;
  fmt::print(stderr, "gpusched server: stopping: {}\n", s ? "" : s.error().message);
  {
    std::lock_guard<std::mutex> lock(durable_mu);
    closing = true;  // reads waiting for durability give up
  }
  durable_cv.notify_all();
  http.stop();  // thread-safe: wakes the listener, which returns; Stop() joins it
}

// Cycles run at the configured interval, and sooner after a change, but
// never closer together than twice the last cycle's duration: under a
// flood of submissions the owner thread spends at most about a third of
// its time in cycles and the rest on requests, while a single change on a
// quiet server is scheduled at once.
void Server::Impl::OwnerLoop() {
  using Clock = std::chrono::steady_clock;
  constexpr auto kSlaEvery = std::chrono::seconds(5);
  auto next_tick = Clock::now();
  auto earliest = Clock::now();  // the next change-driven cycle, not before
  auto next_sla = Clock::now();
  while (true) {
    std::deque<Task> batch;
    {
      std::unique_lock<std::mutex> lock(mu);
      const auto wake = dirty ? std::min(next_tick, earliest) : next_tick;
      cv.wait_until(lock, wake, [&] { return stopping || !tasks.empty(); });
      if (stopping && tasks.empty()) return;
      batch.swap(tasks);
    }
    for (Task& t : batch) t();
    const auto start = Clock::now();
    if ((dirty && start >= earliest) || start >= next_tick) {
      dirty = false;
      ChangeSet cs;
      const Instant now = Now();
      const CycleResult result = control->Tick(now, cs);
      if (!cs.empty()) Commit(cs, [](const Status&) {});
      const auto end = Clock::now();
      if (control->last_tick_ran()) metrics.AfterCycle(*control, result, end - start, now);
      if (end >= next_sla) {
        metrics.SetSla(SlaReport(control->jobs(), control->settings().classes, now, Duration(3600)));
        next_sla = end + kSlaEvery;
      }
      next_tick = end + options.config.settings.cycle_interval;
      earliest = end + 2 * (end - start);
    }
  }
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options, const GpuCatalog* catalog) {
  auto impl = std::make_unique<Impl>();
  if (!options.clock) options.clock = SystemNow;
  impl->options = std::move(options);
  impl->catalog = catalog;
  auto opened = store::SqliteStore::Open(impl->options.db_path, {});
  if (!opened) return tl::unexpected(opened.error());
  impl->store = std::move(*opened);
  Result<store::Loaded> loaded = impl->store->LoadAll();
  if (!loaded) return tl::unexpected(loaded.error());
  const config::ServerConfig& cfg = impl->options.config;
  Control::Settings settings{cfg.cluster.classes, cfg.cluster.tenants, cfg.cluster.policy,
                             cfg.settings.lease};
  impl->control = std::make_unique<Control>(catalog, std::move(settings));
  Result<std::int64_t> next_seq = RestoreFrom(*loaded, *impl->control, impl->Now());
  if (!next_seq) {
    return MakeError(next_seq.error().code,
                     fmt::format("{}: {}", impl->options.db_path, next_seq.error().message));
  }
  impl->next_event_seq = *next_seq;
  impl->durable_seq = impl->control->next_seq() - 1;
  impl->committer = std::make_unique<store::GroupCommitter>(*impl->store);
  impl->http.set_payload_max_length(static_cast<std::size_t>(cfg.settings.max_body_bytes));
  // Answers go out at once (httplib writes headers and body separately;
  // with Nagle's algorithm each answer would wait ~40 ms for an ACK), and a
  // client keeps its connection instead of reconnecting every 5 requests
  // (reconnect bursts overflow the listen queue, which is compiled in).
  impl->http.set_tcp_nodelay(true);
  impl->http.set_keep_alive_max_count(10'000);
  impl->http.new_task_queue = [n = cfg.settings.http_threads] {
    return new httplib::ThreadPool(static_cast<std::size_t>(n));
  };
  impl->http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  // Prometheus scrapes without a token, as it does /healthz: the figures
  // are per class and per state, never per job.
  impl->http.Get("/metrics", [p = impl.get()](const httplib::Request&, httplib::Response& res) {
    res.set_content(p->metrics.Render(), "text/plain; version=0.0.4");
  });
  impl->http.set_logger([p = impl.get()](const httplib::Request& req, const httplib::Response& res) {
    p->metrics.CountRequest(RouteGroup(req.path), res.status);
  });
  AddJobRoutes(*impl);
  AddOpsRoutes(*impl);
  AddAdminRoutes(*impl);
  AddEventRoutes(*impl);
  AddAgentRoutes(*impl);
  AddLogRoutes(*impl);
  AddWebRoutes(*impl);
  int port = impl->options.port;
  if (port == 0) {
    port = impl->http.bind_to_any_port(impl->options.host);
  } else if (!impl->http.bind_to_port(impl->options.host, port)) {
    port = -1;
  }
  if (port < 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("cannot listen on {}:{}", impl->options.host, impl->options.port));
  }
  impl->port = port;
  impl->owner = std::thread([p = impl.get()] { p->OwnerLoop(); });
  impl->listener = std::thread([p = impl.get()] { p->http.listen_after_bind(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

int Server::port() const { return impl_->port; }

bool Server::failed() const { return impl_->failed.load(); }

void Server::Stop() {
  std::call_once(impl_->stop_once, [this] {
    {
      std::lock_guard<std::mutex> lock(impl_->durable_mu);
      impl_->closing = true;  // long polls return now
    }
    impl_->durable_cv.notify_all();
    impl_->http.stop();
    if (impl_->listener.joinable()) impl_->listener.join();
    {
      std::lock_guard<std::mutex> lock(impl_->mu);
      impl_->stopping = true;
    }
    impl_->cv.notify_one();
    if (impl_->owner.joinable()) impl_->owner.join();
    impl_->committer.reset();  // drains: every acknowledged change is durable
    impl_->store.reset();
  });
}

Server::~Server() { Stop(); }

}  // namespace gpusched::server
