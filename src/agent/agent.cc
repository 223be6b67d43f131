// The agent's loop: register, renew the lease (and the runs' lease file),
// take new assignment lists from the poller, watch the runs, send reports.
#include "agent/agent.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agent/agent_state.h"

namespace gpusched::agent {
namespace {

namespace fs = std::filesystem;

constexpr auto kDiscoveryEvery = std::chrono::seconds(5);
constexpr auto kMaxBackoff = std::chrono::milliseconds(10'000);
constexpr std::size_t kMaxReportsPerCall = 256;

std::string RandomId() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

std::int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The runs' deadline after a lease renewed at `sent_ms` (when the request
// left): killed a fifth of the lease before the server's lease can end,
// SIGTERM a little earlier so that trainers can save.
LeaseDeadline DeadlineAfter(std::int64_t sent_ms, int lease_s) {
  const std::int64_t lease_ms = std::int64_t{lease_s} * 1000;
  const std::int64_t margin = std::max<std::int64_t>(1000, lease_ms / 5);
  const std::int64_t kill = sent_ms + lease_ms - margin;
  return LeaseDeadline{kill - std::min<std::int64_t>(3000, lease_ms / 5), kill};
}

std::vector<GpuInfo> Discover(GpuSource& source, const std::vector<GpuInfo>& previous) {
  Result<std::vector<GpuInfo>> found = source.Discover();
  if (found) return *found;
  spdlog::error("GPU discovery failed: {}", found.error().message);
  std::vector<GpuInfo> gpus = previous;
  for (GpuInfo& g : gpus) {
    g.healthy = false;
    g.health_reason = "discovery failed: " + found.error().message;
  }
  return gpus;
}

}  // namespace

Agent::Agent(std::unique_ptr<State> state) : s_(std::move(state)) {}

Agent::~Agent() { s_->StopPoller(); }

Result<std::unique_ptr<Agent>> Agent::Create(AgentOptions options, std::unique_ptr<GpuSource> gpus) {
  if (options.node.empty()) return MakeError(ErrorCode::kInvalidArgument, "--node: must not be empty");
  if (options.work_dir.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "--work-dir: must not be empty");
  }
  if (options.checkpoint_dir.empty()) options.checkpoint_dir = options.work_dir + "/jobs";
  if (options.shim.empty()) options.shim = fs::read_symlink("/proc/self/exe").string();
  if (options.yolo.empty()) return MakeError(ErrorCode::kInvalidArgument, "--yolo: must not be empty");
  std::error_code ec;
  for (const std::string& dir : {options.work_dir + "/runs", options.checkpoint_dir}) {
    fs::create_directories(dir, ec);
    if (ec) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       fmt::format("cannot create \"{}\": {}", dir, ec.message()));
    }
  }
  auto s = std::make_unique<State>();
  s->options = std::move(options);
  s->options.work_dir = fs::absolute(s->options.work_dir).string();
  s->options.checkpoint_dir = fs::absolute(s->options.checkpoint_dir).string();
  s->gpu_source = std::move(gpus);
  s->agent_id = RandomId();
  s->lease_path = s->options.work_dir + "/lease";
  s->launch = LaunchConfig{s->options.yolo, s->options.checkpoint_dir, s->options.docker};
  s->link = std::make_unique<ServerLink>(s->options.server, s->options.token, s->options.node);
  return std::unique_ptr<Agent>(new Agent(std::move(s)));
}

namespace {

// The poller thread: long-polls the assignments of the current generation and
// hands every new list to the loop.
void Poll(Agent::State& s) {
  ServerLink& link = *s.poll_link;
  std::string version;
  std::uint64_t seen_generation = 0;
  auto backoff = std::chrono::milliseconds(250);
  while (!s.poller_stop) {
    const std::uint64_t gen = s.generation.load();
    if (gen == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    if (gen != seen_generation) version.clear();
    seen_generation = gen;
    Call<AssignmentList> call = link.Assignments(gen, version, s.options.long_poll_s);
    if (call.outcome == CallOutcome::kOk) {
      backoff = std::chrono::milliseconds(250);
      version = call.value.version;
      std::lock_guard lock(s.mailbox.mu);
      s.mailbox.list = std::move(call.value);
      s.mailbox.list_generation = gen;
      s.mailbox.cv.notify_one();
      continue;
    }
    if (call.outcome == CallOutcome::kLost) {
      std::lock_guard lock(s.mailbox.mu);
      s.mailbox.lost = true;
      s.mailbox.cv.notify_one();
    } else if (call.outcome == CallOutcome::kRefused) {
      spdlog::warn("the server's assignment list was refused: {}", call.message);
    } else {
      spdlog::debug("assignments: {}", call.message);
    }
    for (auto slept = std::chrono::milliseconds(0); slept < backoff && !s.poller_stop;
         slept += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
  s.poller_done = true;
}

}  // namespace

int Agent::Run(const std::atomic<bool>& stop) {
  State& s = *s_;
  s.Recover();
  s.gpus = Discover(*s.gpu_source, {});
  spdlog::info("node {}: {} GPUs from {}; work folder {}, job folders {}", s.options.node,
               s.gpus.size(), s.gpu_source->Describe(), s.options.work_dir,
               s.options.checkpoint_dir);
  s.poll_link = std::make_unique<ServerLink>(s.options.server, s.options.token, s.options.node);
  s.poller = std::thread([&s] { Poll(s); });
  int code = 0;
  while (!stop) {
    const auto now = Clock::now();
    if (now >= s.next_discovery) {
      s.gpus = Discover(*s.gpu_source, s.gpus);
      s.next_discovery = now + kDiscoveryEvery;
      s.ObserveMemory();
    }
    if (s.generation == 0 && now >= s.next_register) {
      if (!Register()) {
        code = 1;
        break;
      }
    }
    TakeMail();
    s.Reap();
    for (auto& [id, run] : s.runs) {
      if (run.exit && !run.finished) {
        s.FinishRun(run);
      } else if (!run.exit) {
        s.Observe(run);
      }
    }
    s.ForgetReported();
    if (s.generation != 0 && now >= s.next_heartbeat) Heartbeat();
    if (s.generation != 0 && !s.outbox.empty() && now >= s.next_send) Flush();
    std::unique_lock lock(s.mailbox.mu);
    s.mailbox.cv.wait_for(lock, s.options.tick,
                          [&s] { return s.mailbox.list.has_value() || s.mailbox.lost; });
  }
  if (s.options.stop_runs_on_exit.count() > 0) {
    s.StopAll(s.options.stop_runs_on_exit);
    for (auto& [id, run] : s.runs) {
      if (run.exit && !run.finished) s.FinishRun(run);
    }
    if (s.generation != 0 && !s.outbox.empty()) Flush();
  }
  s.StopPoller();
  return code;
}

// Ends the long poll in progress (it may be waiting for up to 20 s).
void Agent::State::StopPoller() {
  if (!poller.joinable()) return;
  poller_stop = true;
  while (!poller_done) {
    poll_link->Cancel();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  poller.join();
}

// Registers (again); false when the server refuses this agent for good.
bool Agent::Register() {
  State& s = *s_;
  const std::int64_t sent = WallMs();
  Call<Registered> call = s.link->Register(s.agent_id, s.gpus, s.options.labels, s.LiveRunIds());
  if (call.outcome == CallOutcome::kRefused) {
    spdlog::critical("the server refused to register node {}: {}", s.options.node, call.message);
    return false;
  }
  if (call.outcome != CallOutcome::kOk) {
    spdlog::warn("cannot register with {}: {}; retrying in {} ms", s.options.server, call.message,
                 s.backoff.count());
    s.next_register = Clock::now() + s.backoff;
    s.backoff = std::min(s.backoff * 2, kMaxBackoff);
    return true;
  }
  s.backoff = std::chrono::milliseconds(500);
  s.lease_s = std::max(1, call.value.lease_s);
  WriteLeaseFile(s.lease_path, DeadlineAfter(sent, s.lease_s));
  for (std::uint64_t id : call.value.stop) {
    auto it = s.runs.find(id);
    if (it == s.runs.end()) continue;
    if (it->second.exit) {
      it->second.exit_reported = true;  // the server is done with it
    } else {
      spdlog::warn("run {} of job {}: the server no longer knows it; stopping it", id,
                   it->second.job);
      s.BeginStop(it->second, std::chrono::seconds(10), false);
    }
  }
  spdlog::info("registered node {} with {} (generation {}, lease {} s)", s.options.node,
               s.options.server, call.value.generation, s.lease_s);
  s.next_heartbeat = Clock::now() + std::chrono::milliseconds(s.lease_s * 1000 / 3);
  s.generation = call.value.generation;
  return true;
}

void Agent::Heartbeat() {
  State& s = *s_;
  const std::int64_t sent = WallMs();
  Call<bool> call = s.link->Heartbeat(s.generation, s.gpus);
  const auto interval = std::chrono::milliseconds(s.lease_s * 1000 / 3);
  if (call.outcome == CallOutcome::kOk) {
    WriteLeaseFile(s.lease_path, DeadlineAfter(sent, s.lease_s));
    s.next_heartbeat = Clock::now() + interval;
    return;
  }
  if (call.outcome == CallOutcome::kLost) {
    spdlog::warn("the server ended this node's lease ({}): registering again", call.message);
    s.generation = 0;
    s.next_register = Clock::now();
    return;
  }
  spdlog::warn("heartbeat failed: {}", call.message);
  s.next_heartbeat = Clock::now() + std::min(interval, std::chrono::milliseconds(1000));
}

// Sends the outbox in order; keeps what was not accepted.
void Agent::Flush() {
  State& s = *s_;
  while (!s.outbox.empty()) {
    const std::size_t n = std::min(kMaxReportsPerCall, s.outbox.size());
    std::vector<RunReport> batch(s.outbox.begin(), s.outbox.begin() + static_cast<std::ptrdiff_t>(n));
    Call<bool> call = s.link->Report(s.generation, batch);
    if (call.outcome == CallOutcome::kLost) {
      s.generation = 0;
      s.next_register = Clock::now();
      return;
    }
    if (call.outcome == CallOutcome::kRefused) {
      spdlog::error("the server refused {} reports: {}; dropping them", n, call.message);
    } else if (call.outcome != CallOutcome::kOk) {
      spdlog::warn("cannot send reports: {}; retrying", call.message);
      s.next_send = Clock::now() + s.backoff;
      return;
    }
    for (const RunReport& r : batch) {
      if (r.kind != "exited" && r.kind != "preempted") continue;
      auto it = s.runs.find(r.assignment);
      if (it != s.runs.end() && it->second.finished) it->second.exit_reported = true;
    }
    s.outbox.erase(s.outbox.begin(), s.outbox.begin() + static_cast<std::ptrdiff_t>(n));
  }
}

void Agent::TakeMail() {
  State& s = *s_;
  std::optional<AssignmentList> list;
  bool lost = false;
  {
    std::lock_guard lock(s.mailbox.mu);
    if (s.mailbox.list_generation == s.generation) list = std::move(s.mailbox.list);
    s.mailbox.list.reset();
    lost = s.mailbox.lost;
    s.mailbox.lost = false;
  }
  if (lost && s.generation != 0) {
    spdlog::warn("the server no longer knows generation {}: registering again",
                 s.generation.load());
    s.generation = 0;
    s.next_register = Clock::now();
    return;
  }
  if (list) s.ApplyAssignments(*list);
}

Status CheckDockerEngine() {
  const int rc = std::system("docker version --format '{{.Server.Version}}' >/dev/null 2>&1");
  if (rc == 0) return OkStatus();
  if (WIFEXITED(rc) && WEXITSTATUS(rc) == 127) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "--docker: the docker command is not installed (no Docker engine on this "
                     "machine); run without --docker to start jobs as processes");
  }
  return MakeError(ErrorCode::kFailedPrecondition,
                   "--docker: `docker version` found no running Docker engine (is the daemon "
                   "started, and may this user reach its socket?)");
}

}  // namespace gpusched::agent
