// End to end, with the real binary: `gpusched demo` tells the factory story
// with a server, three agents and the fake trainer; and an agent killed with
// SIGKILL mid-run loses its job to another node, which resumes it from its
// checkpoint. Every wait is bounded; every child is killed on every path.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server_process.h"

extern char** environ;

namespace gpusched::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kAdmin = "e2e-admin-token-0000000001";
constexpr const char* kAgentToken = "e2e-agent-token-0000000001";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path FreshDir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() /
                       ("gpusched-e2e-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// A child process in its own process group, output to a file; killed
// (SIGKILL, whole group) when destroyed.
class Child {
 public:
  Child(const std::vector<std::string>& args, const fs::path& log) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    std::vector<std::string> owned = args;
    std::vector<char*> argv;
    for (std::string& a : owned) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, owned[0].c_str(), &fa, &attr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
  }
  ~Child() {
    if (pid_ > 0 && !status_) {
      kill(-pid_, SIGKILL);
      Wait(std::chrono::seconds(10));
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  // The wait status once the child exited, waiting up to `timeout`.
  std::optional<int> Wait(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!status_ && pid_ > 0) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        status_ = status;
        break;
      }
      if (Clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return status_;
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Every run folder of the agents under `dir`: its record and its log.
struct RunOnDisk {
  std::int64_t job = 0;
  std::string node;
  pid_t pgid = 0;
  std::string log;
};

std::vector<RunOnDisk> Runs(const fs::path& dir) {
  std::vector<RunOnDisk> runs;
  for (const auto& node : fs::directory_iterator(dir)) {
    if (!fs::is_directory(node.path() / "runs")) continue;
    for (const auto& run : fs::directory_iterator(node.path() / "runs")) {
      const json record = json::parse(ReadFile(run.path() / "run.json"), nullptr, false);
      if (!record.is_object()) continue;
      runs.push_back(RunOnDisk{record.value("job", std::int64_t{0}), node.path().filename().string(),
                               record.value("pgid", 0), ReadFile(run.path() / "output.log")});
    }
  }
  return runs;
}

// The epoch each "Resuming training ... from epoch N" line of `log` names.
std::vector<int> ResumedAt(const std::string& log) {
  std::vector<int> epochs;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find("Resuming training ") == std::string::npos) continue;
    const auto at = line.find(" from epoch ");
    if (at != std::string::npos) epochs.push_back(std::atoi(line.c_str() + at + 12));
  }
  return epochs;
}

TEST(DemoEndToEnd, TheCriticalJobsStartFastAndEveryPreemptedJobResumesFromItsCheckpoint) {
  const fs::path dir = FreshDir("demo");
  Child demo({GPUSCHED_BIN, "demo", "--quiet", "--json", (dir / "summary.json").string(),
              "--work-dir", (dir / "work").string(), "--epoch-seconds", "0.5"},
             dir / "demo.log");
  const std::optional<int> status = demo.Wait(std::chrono::seconds(180));
  ASSERT_TRUE(status.has_value()) << "the demo did not finish within 3 minutes";
  ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << ReadFile(dir / "demo.log");
  const json summary = json::parse(ReadFile(dir / "summary.json"));
  ASSERT_GE(summary["jobs"].size(), 19u);

  int preempted = 0;
  for (const json& job : summary["jobs"]) {
    SCOPED_TRACE(job.dump());
    EXPECT_EQ(job["state"], "succeeded");
    EXPECT_EQ(job["epochs_done"], job["epochs_total"]);
    if (job["class"] == "critical") {
      EXPECT_LT(job["first_start_s"].get<double>() - job["submitted_s"].get<double>(), 10.0)
          << "a critical job must start within 10 s of its submission";
    }
    if (job["preemptions"].get<int>() == 0) continue;
    ++preempted;
    EXPECT_EQ(job["resumed_from"].size(), job["preemptions"].get<std::size_t>());
    // The trainer itself says where it resumed: right after the checkpoint
    // the server recorded, never from scratch.
    std::vector<int> resumed;
    for (const RunOnDisk& run : Runs(dir / "work")) {
      if (run.job != job["id"].get<std::int64_t>()) continue;
      for (int epoch : ResumedAt(run.log)) resumed.push_back(epoch);
    }
    std::vector<int> expected;
    for (const json& e : job["resumed_from"]) {
      EXPECT_GT(e.get<int>(), 0) << "resumed from zero";
      expected.push_back(e.get<int>() + 1);
    }
    std::sort(resumed.begin(), resumed.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(resumed, expected);
  }
  EXPECT_GE(preempted, 1) << "the critical jobs preempted no research job";
  // No job ran on two agents at once: the fake trainer locks its run folder
  // (shared by the agents) and would have failed with this message.
  for (const RunOnDisk& run : Runs(dir / "work")) {
    EXPECT_EQ(run.log.find("another trainer holds"), std::string::npos) << run.log;
  }
  // Nothing is left behind.
  for (const RunOnDisk& run : Runs(dir / "work")) {
    EXPECT_NE(kill(-run.pgid, 0), 0) << "run of job " << run.job << " still alive";
  }
  fs::remove_all(dir);
}

// A server (lease 3 s) and agents with one fake T4 each, sharing one
// checkpoint folder, on a fresh folder; everything killed at the end.
class AgentEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::ofstream(dir_ / "server.yaml") << "tokens:\n  - {name: agents, role: agent, token: \""
                                        << kAgentToken << "\"}\n"
                                        << "server: {lease_s: " << lease_s_
                                        << ", cycle_interval_ms: 100}\n";
    StartServer();
  }
  void TearDown() override {
    agents_.clear();
    server_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  void StartServer() {
    std::string error;
    server_ = ServerProcess::Start({GPUSCHED_BIN, (dir_ / "db").string(), kAdmin,
                                    (dir_ / "server.yaml").string()},
                                   std::chrono::seconds(15), &error);
    ASSERT_GT(server_->port(), 0) << error << server_->output();
    if (url_.empty()) url_ = "http://127.0.0.1:" + std::to_string(server_->port());
    client_ = std::make_unique<httplib::Client>(url_);
    client_->set_bearer_token_auth(kAdmin);
  }

  Child& StartAgent(const std::string& node) {
    agents_[node] = std::make_unique<Child>(
        std::vector<std::string>{GPUSCHED_BIN, "agent", "--server", url_, "--token", kAgentToken,
                                 "--node", node, "--fake-gpus", "1xT4", "--work-dir",
                                 (dir_ / node).string(), "--checkpoint-dir", (dir_ / "jobs").string(),
                                 "--yolo", std::string(GPUSCHED_BIN) + " fake-yolo"},
        dir_ / (node + ".log"));
    return *agents_[node];
  }

  json Get(const std::string& path) {
    httplib::Result r = client_->Get(path);
    return r ? json::parse(r->body, nullptr, false) : json();
  }

  template <typename Done>
  bool WaitFor(Done done, std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // Submits a fake YOLO job; returns its path, /v1/jobs/ID.
  std::string Submit(int epochs, double epoch_s, const std::string& extra_env = "",
                     int max_retries = 0) {
    const std::string spec = fmt::format(
        R"({{"name": "survivor", "ultralytics": {{"model": "yolov8n.pt", "data": "d.yaml",
        "epochs": {}, "batch": 16, "save_period": 2}}, "max_retries": {},
        "env": {{"GPUSCHED_FAKE_EPOCH_S": "{}", "GPUSCHED_FAKE_SAVE_ON_TERM": "0"{}}}}})",
        epochs, max_retries, epoch_s, extra_env);
    httplib::Result r = client_->Post("/v1/jobs", spec, "application/json");
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    return r ? "/v1/jobs/" + std::to_string(json::parse(r->body)["id"].get<int>()) : "";
  }

  int Nodes() { return static_cast<int>(Get("/v1/nodes")["nodes"].size()); }
  std::string State(const std::string& job) { return Get(job).value("state", ""); }
  int CheckpointEpoch(const std::string& job) {
    return Get(job)["progress"].value("checkpoint_epoch", 0);
  }
  std::string History(const std::string& job) {
    std::string text;
    const json view = Get(job);
    for (const json& e : view["history"]) text += e.value("text", "") + "\n";
    return text;
  }
  std::map<std::string, std::vector<RunOnDisk>> RunsByNode() {
    std::map<std::string, std::vector<RunOnDisk>> by_node;
    for (RunOnDisk& r : Runs(dir_)) by_node[r.node].push_back(r);
    return by_node;
  }

  int lease_s_ = 3;
  fs::path dir_;
  std::string url_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> client_;
  std::map<std::string, std::unique_ptr<Child>> agents_;
};

// An agent killed with SIGKILL mid-run: its run fences itself before the
// lease ends, the server requeues the job when the lease ends, and the other
// node resumes it from its checkpoint and completes it.
TEST_F(AgentEndToEnd, AJobOfAKilledAgentIsRequeuedAfterTheLeaseAndCompletesElsewhere) {
  Child& a = StartAgent("node-a");
  ASSERT_TRUE(WaitFor([&] { return Nodes() == 1; }, std::chrono::seconds(15)));
  const std::string job = Submit(16, 0.4);
  ASSERT_TRUE(WaitFor([&] { return CheckpointEpoch(job) >= 4; }, std::chrono::seconds(30)))
      << Get(job).dump();
  StartAgent("node-b");  // a second node arrives; then the first dies
  ASSERT_TRUE(WaitFor([&] { return Nodes() == 2; }, std::chrono::seconds(15)));
  kill(a.pid(), SIGKILL);

  ASSERT_TRUE(WaitFor([&] { return State(job) == "succeeded"; }, std::chrono::seconds(60)))
      << Get(job).dump(2) << ReadFile(dir_ / "node-b.log");
  EXPECT_NE(History(job).find("node node-a lost its lease"), std::string::npos) << History(job);
  auto runs = RunsByNode();
  ASSERT_EQ(runs["node-a"].size(), 1u);
  ASSERT_EQ(runs["node-b"].size(), 1u);
  // The orphaned run fenced itself; the new one resumed after a checkpoint.
  EXPECT_NE(runs["node-a"][0].log.find("fenced"), std::string::npos) << runs["node-a"][0].log;
  EXPECT_NE(kill(-runs["node-a"][0].pgid, 0), 0) << "the killed agent's run is still alive";
  const std::vector<int> resumed = ResumedAt(runs["node-b"][0].log);
  ASSERT_EQ(resumed.size(), 1u) << runs["node-b"][0].log;
  EXPECT_GE(resumed[0], 5);
  EXPECT_EQ(runs["node-b"][0].log.find("another trainer holds"), std::string::npos);
}

// Restarts of agents and server well within a 10 s lease.
class RestartEndToEnd : public AgentEndToEnd {
 protected:
  RestartEndToEnd() { lease_s_ = 10; }
};

// An agent that restarts within its lease finds its run still going and
// reports it: the job is not started twice and completes in its first run.
TEST_F(RestartEndToEnd, ARestartedAgentAdoptsItsRunningJobInsteadOfStartingItAgain) {
  Child& first = StartAgent("node-a");
  ASSERT_TRUE(WaitFor([&] { return Nodes() == 1; }, std::chrono::seconds(15)));
  const std::string job = Submit(12, 0.3);
  ASSERT_TRUE(WaitFor([&] { return Get(job)["progress"].value("epochs_done", 0) >= 2; },
                      std::chrono::seconds(30)));
  kill(first.pid(), SIGKILL);
  first.Wait(std::chrono::seconds(5));
  StartAgent("node-a");  // the same work folder: it finds run 1
  ASSERT_TRUE(WaitFor([&] { return State(job) == "succeeded"; }, std::chrono::seconds(60)))
      << Get(job).dump(2) << ReadFile(dir_ / "node-a.log");
  EXPECT_EQ(History(job).find("requeued"), std::string::npos) << History(job);
  EXPECT_EQ(Get(job)["progress"].value("epochs_done", 0), 12);
  auto runs = RunsByNode();
  ASSERT_EQ(runs["node-a"].size(), 1u) << "started twice";
  EXPECT_NE(ReadFile(dir_ / "node-a.log").find("found run"), std::string::npos);
}

// A job that ends while its agent is down is reported by the restarted agent.
TEST_F(RestartEndToEnd, AJobThatEndedWhileItsAgentWasDownIsReportedAfterTheRestart) {
  Child& first = StartAgent("node-a");
  ASSERT_TRUE(WaitFor([&] { return Nodes() == 1; }, std::chrono::seconds(15)));
  const std::string job = Submit(3, 0.3);
  ASSERT_TRUE(WaitFor([&] { return State(job) == "running"; }, std::chrono::seconds(15)));
  kill(first.pid(), SIGSTOP);  // frozen: its lease still holds, its run goes on
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  kill(first.pid(), SIGKILL);
  first.Wait(std::chrono::seconds(5));
  StartAgent("node-a");
  ASSERT_TRUE(WaitFor([&] { return State(job) == "succeeded"; }, std::chrono::seconds(30)))
      << Get(job).dump(2) << ReadFile(dir_ / "node-a.log");
  EXPECT_EQ(RunsByNode()["node-a"].size(), 1u);
}

// The server restarts under a running job: the agent retries, registers
// again, keeps the run, and the job completes in its first run.
TEST_F(RestartEndToEnd, TheAgentAndItsRunsSurviveAServerRestart) {
  StartAgent("node-a");
  ASSERT_TRUE(WaitFor([&] { return Nodes() == 1; }, std::chrono::seconds(15)));
  const std::string job = Submit(14, 0.3);
  ASSERT_TRUE(WaitFor([&] { return State(job) == "running"; }, std::chrono::seconds(15)));
  const int port = server_->port();
  server_->Stop(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  // Back on the same port, from the same database.
  std::string error;
  server_ = ServerProcess::Start({GPUSCHED_BIN, (dir_ / "db").string(), kAdmin,
                                  (dir_ / "server.yaml").string()},
                                 std::chrono::seconds(15), &error, port);
  ASSERT_EQ(server_->port(), port) << error << server_->output();
  ASSERT_TRUE(WaitFor([&] { return State(job) == "succeeded"; }, std::chrono::seconds(60)))
      << Get(job).dump(2) << ReadFile(dir_ / "node-a.log");
  EXPECT_EQ(RunsByNode()["node-a"].size(), 1u) << History(job);
}

// A trainer that fails is retried as its spec allows, then Failed with its
// exit code and the tail of its log.
TEST_F(AgentEndToEnd, AFailingJobIsRetriedThenFailedWithItsExitCodeAndLogTail) {
  StartAgent("node-a");
  ASSERT_TRUE(WaitFor([&] { return Nodes() == 1; }, std::chrono::seconds(15)));
  const std::string job = Submit(6, 0.2, R"(, "GPUSCHED_FAKE_FAIL_AT_EPOCH": "2")", 1);
  ASSERT_TRUE(WaitFor([&] { return State(job) == "failed"; }, std::chrono::seconds(30)))
      << Get(job).dump(2);
  const json view = Get(job);
  EXPECT_EQ(view.value("exit_code", 0), 1);
  EXPECT_NE(view.value("end_reason", "").find("illegal memory access"), std::string::npos)
      << view.dump(2);
  EXPECT_NE(History(job).find("retrying (0 left)"), std::string::npos) << History(job);
  EXPECT_EQ(RunsByNode()["node-a"].size(), 2u);
}

}  // namespace
}  // namespace gpusched::testing
