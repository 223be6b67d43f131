// `gpusched demo`: the story of DESIGN.md, for real, on one machine. A server
// with an SQLite file in a fresh folder, three agents with fake GPUs of
// different types that run the fake Ultralytics trainer, and the factory
// scenario with epochs compressed to about a second: research jobs fill every
// GPU, a dozen routine jobs queue, then two critical retraining jobs arrive.
// Prints a live timeline and a summary; leaves no process behind.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agent/process.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/demo_format.h"
#include "cli/output.h"

namespace gpusched::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kScenarioLimit = std::chrono::seconds(150);

struct DemoNode {
  const char* name;
  const char* gpus;
};
constexpr DemoNode kNodes[] = {{"node-a", "2xT4"}, {"node-b", "2xL4"}, {"node-c", "1xA100-40"}};

std::string Secret(const char* prefix) {
  std::random_device rd;
  return fmt::format("{}-{:08x}{:08x}", prefix, rd(), rd());
}

// A child process of the demo, in its own process group (Ctrl-C reaches only
// the demo, which then stops everything in order).
struct Child {
  std::string what;
  pid_t pid = 0;
  bool reaped = false;
};

Result<Child> Spawn(const std::string& what, const std::vector<std::string>& args,
                    const std::string& log) {
  Result<pid_t> pid = agent::SpawnInGroup(args, {}, "", log);
  if (!pid) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("cannot start the {}: {}", what, pid.error().message));
  }
  return Child{what, *pid};
}

// Sends `sig`, waits up to `wait` for the child to exit, then SIGKILLs its group.
void StopChild(Child& c, int sig, std::chrono::seconds wait) {
  if (c.reaped || c.pid <= 0) return;
  kill(c.pid, sig);
  const auto deadline = Clock::now() + wait;
  while (Clock::now() < deadline) {
    int status = 0;
    if (waitpid(c.pid, &status, WNOHANG) == c.pid) {
      c.reaped = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(-c.pid, SIGKILL);
  if (!c.reaped) {
    int status = 0;
    waitpid(c.pid, &status, 0);
    c.reaped = true;
  }
}

bool Exited(Child& c) {
  int status = 0;
  if (!c.reaped && waitpid(c.pid, &status, WNOHANG) == c.pid) c.reaped = true;
  return c.reaped;
}

// The port in the server's "listening on HOST:PORT" line, waiting up to 15 s.
Result<int> WaitForPort(const std::string& log, Child& server) {
  const auto deadline = Clock::now() + std::chrono::seconds(15);
  while (Clock::now() < deadline) {
    std::ifstream in(log);
    for (std::string line; std::getline(in, line);) {
      const auto at = line.find("listening on ");
      if (at == std::string::npos) continue;
      const auto colon = line.find(':', at);
      const auto space = line.find(' ', colon);
      if (colon != std::string::npos) return std::atoi(line.substr(colon + 1, space - colon - 1).c_str());
    }
    if (Exited(server)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return MakeError(ErrorCode::kFailedPrecondition,
                   fmt::format("the server did not start; its log is {}", log));
}

std::string ConfigYaml(const std::string& agent) {
  return fmt::format(R"(# gpusched demo: the factory's tenants, classes tuned for seconds-long epochs.
tenants:
  - {{name: research, guaranteed_gpus: 2, default_class: medium}}
  - {{name: production, guaranteed_gpus: 1, default_class: low}}
  - {{name: quality, guaranteed_gpus: 1, default_class: high, max_class_without_approval: critical}}
classes:
  - {{name: critical, value: 1000, sla: {{percentile: 95, max_wait_s: 10}}, min_runtime_s: 0, grace_s: 5, save_period: 2}}
  - {{name: high, value: 800, sla: {{percentile: 95, max_wait_s: 60}}, min_runtime_s: 3, grace_s: 5, save_period: 3}}
  - {{name: medium, value: 500, min_runtime_s: 3, grace_s: 5, save_period: 5}}
  - {{name: low, value: 200, min_runtime_s: 3, grace_s: 5, save_period: 5}}
  - {{name: batch, value: 100, policy: Never, min_runtime_s: 0, grace_s: 5, save_period: 5}}
tokens:
  - {{name: demo-agents, role: agent, token: "{}"}}
server:
  lease_s: 6
  cycle_interval_ms: 200
)",
                     agent);
}

std::string YoloJob(const std::string& name, const std::string& tenant, const std::string& cls,
                    const std::string& model, int batch, int epochs, int save_period,
                    double epoch_s, bool exclusive, const std::string& dataset) {
  return fmt::format(R"(name: {}
tenant: {}
class: {}
ultralytics: {{model: {}, data: {}.yaml, epochs: {}, imgsz: 640, batch: {}, save_period: {}}}
exclusive: {}
dataset: {}
estimate: {{epoch_s: {}}}
env: {{GPUSCHED_FAKE_EPOCH_S: "{}", GPUSCHED_FAKE_SAVE_ON_TERM: "0"}}
)",
                     name, tenant, cls, model, dataset, epochs, batch, save_period,
                     exclusive ? "true" : "false", dataset, std::max(1.0, epoch_s), epoch_s);
}

class Demo {
 public:
  explicit Demo(const DemoOptions& o) : o_(o), start_(Clock::now()) {}
  ~Demo() { Shutdown(); }

  int Run();

 private:
  double Now() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  void Say(const std::string& line) {
    if (!o_.quiet) fmt::print("{}\n", line);
    std::fflush(stdout);
  }
  Status Prepare();
  Status StartCluster();
  Status Submit(const std::string& yaml);
  Status Poll();
  bool Interrupted();
  void Shutdown();
  void KillLeftoverRuns();
  int Finish();

  DemoOptions o_;
  Clock::time_point start_;
  std::string dir_;
  bool remove_dir_ = false;
  std::string admin_ = Secret("demo-admin");
  std::string agent_token_ = Secret("demo-agent");
  std::string url_;
  Child server_;
  std::vector<Child> agents_;
  std::unique_ptr<ApiClient> api_;
  DemoTimeline timeline_;
  std::int64_t events_after_ = 0;
  sigset_t signals_{};
  bool interrupted_ = false;
  bool shut_down_ = false;
};

Status Demo::Prepare() {
  if (o_.work_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = fmt::format("{}/gpusched-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(templ.data())) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       fmt::format("cannot create a folder in {}: {}", templ, std::strerror(errno)));
    }
    dir_ = templ;
    remove_dir_ = true;
  } else {
    dir_ = fs::absolute(o_.work_dir).string();
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) return MakeError(ErrorCode::kFailedPrecondition, fmt::format("--work-dir {}: {}", dir_, ec.message()));
  }
  std::ofstream(dir_ + "/server.yaml") << ConfigYaml(agent_token_);
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  return OkStatus();
}

Status Demo::StartCluster() {
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  Result<Child> server = Spawn("server",
                               {self, "server", "--db", dir_ + "/gpusched.db", "--listen",
                                "127.0.0.1:0", "--config", dir_ + "/server.yaml", "--admin-token", admin_},
                               dir_ + "/server.log");
  if (!server) return tl::unexpected(server.error());
  server_ = *server;
  Result<int> port = WaitForPort(dir_ + "/server.log", server_);
  if (!port) return tl::unexpected(port.error());
  url_ = fmt::format("http://127.0.0.1:{}", *port);
  api_ = std::make_unique<ApiClient>(ClientOptions{url_, admin_, OutputFormat::kJson});
  for (const DemoNode& n : kNodes) {
    Result<Child> agent = Spawn(
        fmt::format("agent {}", n.name),
        {self, "agent", "--server", url_, "--token", agent_token_, "--node", n.name, "--fake-gpus",
         n.gpus, "--work-dir", fmt::format("{}/{}", dir_, n.name), "--checkpoint-dir", dir_ + "/jobs",
         "--yolo", self + " fake-yolo", "--stop-runs-on-exit", "3"},
        fmt::format("{}/{}.log", dir_, n.name));
    if (!agent) return tl::unexpected(agent.error());
    agents_.push_back(*agent);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    Result<Json> nodes = api_->Get("/v1/nodes");
    if (nodes && nodes->contains("nodes") && (*nodes)["nodes"].size() == std::size(kNodes)) {
      return OkStatus();
    }
    if (Interrupted()) return MakeError(ErrorCode::kFailedPrecondition, "interrupted");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return MakeError(ErrorCode::kFailedPrecondition,
                   fmt::format("the agents did not register within 20 s; see {}/node-*.log", dir_));
}

Status Demo::Submit(const std::string& yaml) {
  Result<Json> reply = api_->PostText("/v1/jobs", yaml, "application/yaml");
  if (!reply) return tl::unexpected(reply.error());
  timeline_.Submitted(*reply, Now());
  return OkStatus();
}

// New events and job views: timeline lines.
Status Demo::Poll() {
  Result<Json> jobs = api_->Get("/v1/jobs");
  if (!jobs) return tl::unexpected(jobs.error());
  timeline_.Jobs(*jobs, Now());
  while (true) {
    Result<Json> page = api_->Get("/v1/events", {{"after", std::to_string(events_after_)},
                                                 {"limit", "500"}});
    if (!page) return tl::unexpected(page.error());
    const Json& events = (*page)["events"];
    for (const Json& e : events) {
      if (std::optional<std::string> line = timeline_.Event(e, Now())) Say(*line);
      events_after_ = std::max(events_after_, e.value("seq", events_after_));
    }
    if (events.size() < 500) break;
  }
  if (Exited(server_)) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("the server exited; see {}/server.log", dir_));
  }
  return OkStatus();
}

bool Demo::Interrupted() {
  const timespec zero{0, 0};
  if (sigtimedwait(&signals_, nullptr, &zero) > 0) interrupted_ = true;
  return interrupted_;
}

int Demo::Run() {
  Status ok = Prepare();
  if (ok) ok = StartCluster();
  if (!ok) {
    PrintError("demo", ok.error().message);
    return kExitFailure;
  }
  const double e = o_.epoch_s;
  Say(fmt::format("gpusched demo: a server and {} agents with fake GPUs on this machine", std::size(kNodes)));
  Say("  node-a: 2 x T4    node-b: 2 x L4    node-c: 1 x A100-40    (folder " + dir_ + ")");
  Say("While it runs, the CLI works against it, e.g. in another terminal:");
  Say(fmt::format("  export GPUSCHED_SERVER={} GPUSCHED_TOKEN={}", url_, admin_));
  Say("  gpusched jobs;  gpusched nodes;  gpusched describe 6;  gpusched logs 1");
  Say(fmt::format("The dashboard: {}/ (sign in with that token).", url_));
  Say(fmt::format("Training epochs take about {:.1f} s.\n", e));
  // 1. Research fills every GPU (exclusive: AutoBatch-like jobs take whole cards).
  Say(TimelineLine(Now(), "5 research experiments (medium) arrive: they fill every GPU"));
  const int periods[] = {2, 5, 3, 5, 4};
  for (int i = 0; i < 5; ++i) {
    Status s = Submit(YoloJob(fmt::format("research-{:02}", i + 1), "research", "medium",
                              i % 2 ? "yolov8l.pt" : "yolov8m.pt", 16, 30, periods[i],
                              e * (1.0 + 0.1 * i), true, "coco"));
    if (!s) return PrintError("demo", s.error().message), kExitFailure;
  }
  enum class Phase { kFilling, kQueued, kUrgent, kSecondUrgent, kDraining } phase = Phase::kFilling;
  Clock::time_point next_step = Clock::now() + std::chrono::seconds(20);
  const auto limit = Clock::now() + kScenarioLimit;
  while (!Interrupted() && Clock::now() < limit) {
    if (Status s = Poll(); !s) return PrintError("demo", s.error().message), kExitFailure;
    const auto& jobs = timeline_.jobs();
    const auto running = std::count_if(jobs.begin(), jobs.end(), [](const auto& j) {
      return j.second.state == "running";
    });
    if (phase == Phase::kFilling && (running == 5 || Clock::now() >= next_step)) {
      Say(TimelineLine(Now(), "12 routine retraining jobs (low) arrive: they queue behind research"));
      for (int i = 0; i < 12; ++i) {
        Status s = Submit(YoloJob(fmt::format("routine-{:02}", i + 1), "production", "low",
                                  "yolov8n.pt", 16, 6, 5, e * 0.5, false, "line-camera"));
        if (!s) return PrintError("demo", s.error().message), kExitFailure;
      }
      phase = Phase::kQueued;
      next_step = Clock::now() + std::chrono::milliseconds(static_cast<int>(7000 * e));
    } else if (phase == Phase::kQueued && Clock::now() >= next_step) {
      Say(TimelineLine(Now(), "a new scratch pattern appears: quality submits scratch-defect-v3 as critical"));
      Status s = Submit(YoloJob("scratch-defect-v3", "quality", "critical", "yolov8s.pt", 32, 12, 2,
                                e * 0.5, false, "scratches"));
      if (!s) return PrintError("demo", s.error().message), kExitFailure;
      phase = Phase::kUrgent;
      next_step = Clock::now() + std::chrono::milliseconds(static_cast<int>(4000 * e));
    } else if (phase == Phase::kUrgent && Clock::now() >= next_step) {
      Say(TimelineLine(Now(), "and a dent pattern: quality submits dent-defect-v1 as critical"));
      Status s = Submit(YoloJob("dent-defect-v1", "quality", "critical", "yolov8s.pt", 32, 10, 2,
                                e * 0.5, true, "scratches"));
      if (!s) return PrintError("demo", s.error().message), kExitFailure;
      phase = Phase::kDraining;
    } else if (phase == Phase::kDraining && timeline_.AllEnded()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Finish();
}

int Demo::Finish() {
  const double elapsed = Now();
  if (!o_.json_out.empty()) {
    std::ofstream(o_.json_out) << DemoSummaryJson(timeline_.jobs(), elapsed).dump(2) << "\n";
  }
  fmt::print("\nSummary after {:.0f} s{}:\n{}", elapsed,
             interrupted_ ? " (interrupted)" : timeline_.AllEnded() ? "" : " (time limit reached)",
             DemoSummary(timeline_.jobs()));
  std::fflush(stdout);
  if (o_.keep_running && !interrupted_) {
    fmt::print("\nThe cluster keeps running at {} (token {}); the dashboard is at {}/. Ctrl-C "
               "stops it.\n",
               url_, admin_, url_);
    std::fflush(stdout);
    while (!Interrupted()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const bool ok = !interrupted_ && timeline_.AllEnded();
  Shutdown();
  return ok ? kExitOk : kExitFailure;
}

// Runs whose agent could not stop them (it should have): killed by their
// process group, as the agents recorded it.
void Demo::KillLeftoverRuns() {
  for (const DemoNode& n : kNodes) {
    std::error_code ec;
    for (const auto& run : fs::directory_iterator(fmt::format("{}/{}/runs", dir_, n.name), ec)) {
      std::ifstream in(run.path() / "run.json");
      const nlohmann::json record = nlohmann::json::parse(in, nullptr, false);
      if (record.is_object() && record.contains("pgid")) {
        const pid_t pgid = record["pgid"].get<pid_t>();
        if (pgid > 1) kill(-pgid, SIGKILL);
      }
    }
  }
}

void Demo::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  for (Child& a : agents_) kill(a.pid, SIGTERM);
  for (Child& a : agents_) StopChild(a, SIGTERM, std::chrono::seconds(15));
  StopChild(server_, SIGTERM, std::chrono::seconds(10));
  if (!dir_.empty()) KillLeftoverRuns();
  if (remove_dir_ && !o_.keep_running) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  } else if (!dir_.empty()) {
    fmt::print("The demo's files (database, logs, job folders) are in {}\n", dir_);
  }
}

}  // namespace

int RunDemo(const DemoOptions& options) {
  Demo demo(options);
  return demo.Run();
}

}  // namespace gpusched::cli
