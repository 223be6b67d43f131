// Process-level reliability of `gpusched server`: the real binary, spawned
// as a child, killed with SIGKILL while clients write to it, restarted on the
// same database; an agent that goes silent and comes back; a second server on
// a locked database. Each test uses its own directory and its own processes;
// every child is killed and reaped when the test ends, however it ends.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server_process.h"

namespace gpusched::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kAdmin = "proc-admin-secret-000001";
constexpr const char* kAgent = "proc-agent-secret-000001";
constexpr auto kStartTimeout = 10s;

httplib::Client Client(int port, const char* token) {
  httplib::Client c("127.0.0.1", port);
  c.set_bearer_token_auth(token);
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);  // else each request waits ~40 ms on delayed ACKs
  c.set_connection_timeout(2, 0);
  c.set_read_timeout(10, 0);
  c.set_write_timeout(5, 0);
  return c;
}

// The JSON object a response carries; an empty object when there is none.
json Body(const httplib::Result& r) {
  json body = r ? json::parse(r->body, nullptr, false) : json();
  return body.is_object() ? body : json::object();
}

std::string Describe(const httplib::Result& r) {
  return r ? fmt::format("{} {}", r->status, r->body) : "no response";
}

// Polls `f` every 50 ms until it returns true or `timeout` passes.
bool WaitFor(std::chrono::milliseconds timeout, const std::function<bool()>& f) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (f()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
}

struct ProcessTest : ::testing::Test {
  fs::path dir = fs::temp_directory_path() /
                 fmt::format("gpusched-proc-{}-{}", ::getpid(),
                             ::testing::UnitTest::GetInstance()->current_test_info()->name());

  void SetUp() override {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  std::string Db() const { return (dir / "db").string(); }

  // Starts a server on Db(); the returned process has port() == 0 (and the
  // test has failed) when it did not come up.
  std::unique_ptr<ServerProcess> Launch(const std::string& config_file = "") {
    ServerProcess::Options o;
    o.binary = GPUSCHED_BIN;
    o.db = Db();
    if (config_file.empty()) o.admin_token = kAdmin;
    o.config_file = config_file;
    std::string error;
    auto p = ServerProcess::Start(o, kStartTimeout, &error);
    EXPECT_GT(p->port(), 0) << error;
    return p;
  }
};

// --- 1. crash safety ------------------------------------------------------

constexpr int kClients = 8;
constexpr int kRounds = 3;
constexpr const char* kClasses[] = {"high", "medium", "low", "batch"};

std::string ClassOf(int client) { return kClasses[client % 4]; }
std::string JobName(int round, int client, int seq) {
  return fmt::format("r{}-c{}-s{}", round, client, seq);
}

struct Expected {
  std::string name;
  std::string cls;
};

// Client threads that submit until the server stops answering. Joined on
// destruction (after telling them to stop), so a failed assertion never
// leaves a thread running.
class Submitters {
 public:
  Submitters(int port, int round) : attempted_(kClients, 0), acked_(kClients) {
    for (int c = 0; c < kClients; ++c) {
      threads_.emplace_back([this, port, round, c] { Run(port, round, c); });
    }
  }
  ~Submitters() { Join(); }
  void Join() {
    stop_ = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  // Per client: the (id, name) pairs acknowledged with 201, in order.
  const std::vector<std::vector<std::pair<std::int64_t, std::string>>>& acked() const {
    return acked_;
  }
  // Per client: how many submissions it sent (the last one may be unanswered).
  const std::vector<int>& attempted() const { return attempted_; }
  const std::vector<std::string>& unexpected() const { return unexpected_; }

 private:
  void Run(int port, int round, int c) {
    httplib::Client client = Client(port, kAdmin);
    for (int seq = 0; !stop_; ++seq) {
      const std::string name = JobName(round, c, seq);
      const json job{{"name", name},
                     {"class", ClassOf(c)},
                     {"gpus", 1},
                     {"memory_mib", 4096},
                     {"command", json::array({"true"})}};
      attempted_[c] = seq + 1;
      httplib::Result r = client.Post("/v1/jobs", job.dump(), "application/json");
      if (!r) return;  // the server is gone
      if (r->status != 201) {
        std::lock_guard<std::mutex> lock(mu_);
        unexpected_.push_back(fmt::format("{}: {}", name, Describe(r)));
        return;
      }
      acked_[c].emplace_back(Body(r).value("id", std::int64_t{0}), name);
    }
  }

  std::atomic<bool> stop_{false};
  std::vector<int> attempted_;
  std::vector<std::vector<std::pair<std::int64_t, std::string>>> acked_;
  std::mutex mu_;
  std::vector<std::string> unexpected_;
  std::vector<std::thread> threads_;
};

std::uint64_t Seed() {
  if (const char* s = std::getenv("GPUSCHED_TEST_SEED")) return std::strtoull(s, nullptr, 10);
  return std::random_device{}();
}

// What the database may hold after a crash: every acknowledged job exactly
// once, each job in flight at a kill at most once, every job a restarted
// server listed before, and nothing else.
class CrashModel {
 public:
  // Takes in a finished round's acknowledgements and in-flight submissions.
  std::size_t Record(int round, const Submitters& clients) {
    std::size_t count = 0;
    for (int c = 0; c < kClients; ++c) {
      for (const auto& [id, name] : clients.acked()[c]) {
        Acknowledged(id, name, ClassOf(c));
        ++count;
      }
      const int last = clients.attempted()[c] - 1;
      if (last >= 0 && static_cast<int>(clients.acked()[c].size()) == last) {
        in_flight_.emplace(JobName(round, c, last), ClassOf(c));
      }
    }
    return count;
  }
  void Acknowledged(std::int64_t id, const std::string& name, const std::string& cls) {
    EXPECT_TRUE(acked_.emplace(id, Expected{name, cls}).second)
        << "id " << id << " acknowledged twice";
  }
  // Checks a restarted server's GET /v1/jobs; returns the highest id listed.
  std::int64_t Check(const json& jobs) {
    std::map<std::int64_t, json> by_id;
    std::set<std::string> names;
    for (const json& j : jobs) {
      const auto id = j.at("id").get<std::int64_t>();
      const auto name = j.at("name").get<std::string>();
      EXPECT_TRUE(by_id.emplace(id, j).second) << "id " << id << " listed twice";
      EXPECT_TRUE(names.insert(name).second) << "job " << name << " stored twice";
      EXPECT_EQ(j.at("state"), "pending") << j.dump();
      EXPECT_EQ(j.at("tenant"), "default") << j.dump();
      if (auto a = acked_.find(id); a != acked_.end()) {
        EXPECT_EQ(name, a->second.name) << "id " << id;
        EXPECT_EQ(j.at("class"), a->second.cls) << j.dump();
      } else if (auto m = in_flight_.find(name); m != in_flight_.end()) {
        EXPECT_EQ(j.at("class"), m->second) << j.dump();
      } else {
        ADD_FAILURE() << "job " << j.dump() << " was neither acknowledged nor in flight at a kill";
      }
    }
    for (const auto& [id, e] : acked_) {
      EXPECT_TRUE(by_id.count(id)) << "acknowledged job " << id << " (" << e.name << ") lost";
    }
    for (std::int64_t id : seen_) {
      EXPECT_TRUE(by_id.count(id)) << "job " << id << " listed after an earlier restart is gone";
    }
    for (const auto& [id, j] : by_id) seen_.insert(id);
    return by_id.empty() ? 0 : by_id.rbegin()->first;
  }

 private:
  std::map<std::int64_t, Expected> acked_;        // every acknowledged job, all rounds
  std::map<std::string, std::string> in_flight_;  // unanswered at a kill: name -> class
  std::set<std::int64_t> seen_;                   // every id a restarted server listed
};

TEST_F(ProcessTest, AcknowledgedJobsSurviveSigkillExactlyOnce) {
  const std::uint64_t seed = Seed();
  SCOPED_TRACE(fmt::format("seed {} (rerun with GPUSCHED_TEST_SEED={})", seed, seed));
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> kill_after_ms(100, 1500);
  CrashModel model;
  auto server = Launch();
  ASSERT_GT(server->port(), 0);
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(fmt::format("round {}", round));
    // 1. Clients write; the server dies at a random moment.
    const int delay_ms = kill_after_ms(rng);
    {
      Submitters clients(server->port(), round);
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      const std::optional<int> status = server->Kill();
      ASSERT_TRUE(status && WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL)
          << "the server did not die of SIGKILL; it said: " << server->output();
      clients.Join();
      for (const std::string& u : clients.unexpected()) ADD_FAILURE() << "not 201: " << u;
      const std::size_t acked = model.Record(round, clients);
      EXPECT_GT(acked, 0u) << "no submission was acknowledged in " << delay_ms << " ms";
      std::printf("[ round %d ] killed after %d ms: %zu acknowledged\n", round, delay_ms, acked);
    }
    // 2. Restart on the same database: nothing lost, duplicated or altered.
    server = Launch();
    ASSERT_GT(server->port(), 0);
    httplib::Client admin = Client(server->port(), kAdmin);
    httplib::Result list = admin.Get("/v1/jobs");
    ASSERT_TRUE(list && list->status == 200) << Describe(list);
    ASSERT_TRUE(Body(list)["jobs"].is_array()) << list->body;
    const std::int64_t highest = model.Check(Body(list)["jobs"]);
    // 3. A new submission gets an id above every earlier one.
    const std::string probe = fmt::format("probe-r{}", round);
    const json job{{"name", probe},
                   {"class", "low"},
                   {"memory_mib", 4096},
                   {"command", json::array({"true"})}};
    httplib::Result r = admin.Post("/v1/jobs", job.dump(), "application/json");
    ASSERT_TRUE(r && r->status == 201) << Describe(r);
    const auto probe_id = Body(r).at("id").get<std::int64_t>();
    EXPECT_GT(probe_id, highest) << "an id was reused after the restart";
    model.Acknowledged(probe_id, probe, "low");
  }
  // A clean stop after all this exits 0.
  const std::optional<int> status = server->Stop(SIGTERM);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << server->output();
}

// --- 2. lease loss end to end --------------------------------------------

// A minimal agent speaking the protocol with plain HTTP calls.
class FakeAgent {
 public:
  explicit FakeAgent(int port) : http_(Client(port, kAgent)) {}

  httplib::Result Register(const std::vector<std::uint64_t>& running) {
    const json body{
        {"node", "n1"},
        {"agent_id", fmt::format("agent-{}", ++starts_)},
        {"gpus", json::array({json{{"index", 0}, {"name", "T4"}, {"memory_mib", 15360}}})},
        {"running", running}};
    return http_.Post("/v1/agents/register", body.dump(), "application/json");
  }
  httplib::Result Heartbeat(std::uint64_t gen) {
    const json body{{"node", "n1"}, {"generation", gen}};
    return http_.Post("/v1/agents/heartbeat", body.dump(), "application/json");
  }
  httplib::Result Assignments(std::uint64_t gen) {
    return http_.Get(fmt::format("/v1/agents/n1/assignments?generation={}", gen));
  }
  httplib::Result Report(std::uint64_t gen, std::uint64_t assignment, const std::string& kind) {
    const json body{
        {"generation", gen},
        {"reports",
         json::array({json{{"assignment", assignment}, {"kind", kind}, {"exit_code", 0}}})}};
    return http_.Post("/v1/agents/n1/reports", body.dump(), "application/json");
  }
  // Heartbeats and polls (bounded) until the node has an assignment that
  // satisfies `pred`; returns it, or null.
  json AwaitAssignment(std::uint64_t gen, const std::function<bool(const json&)>& pred) {
    json found;
    WaitFor(10s, [&] {
      Heartbeat(gen);
      for (const json& a : Body(Assignments(gen)).value("assignments", json::array())) {
        if (pred(a)) {
          found = a;
          return true;
        }
      }
      return false;
    });
    return found;
  }

 private:
  httplib::Client http_;
  int starts_ = 0;
};

TEST_F(ProcessTest, ASilentAgentLosesItsLeaseAndItsRunIsStoppedWhenItReturns) {
  const fs::path config = dir / "server.yaml";
  std::ofstream(config) << fmt::format(
      "tokens:\n"
      "  - {{name: ops, role: admin, token: \"{}\"}}\n"
      "  - {{name: agents, role: agent, token: \"{}\"}}\n"
      "server: {{lease_s: 2, cycle_interval_ms: 200}}\n",
      kAdmin, kAgent);
  auto server = Launch(config.string());
  ASSERT_GT(server->port(), 0);
  httplib::Client admin = Client(server->port(), kAdmin);
  FakeAgent agent(server->port());

  // 1. The agent registers; a job is submitted and placed on its GPU.
  httplib::Result r = agent.Register({});
  ASSERT_TRUE(r && r->status == 200) << Describe(r);
  const auto gen = Body(r).at("generation").get<std::uint64_t>();
  EXPECT_EQ(Body(r).at("lease_s"), 2);
  r = admin.Post("/v1/jobs",
                 R"({"name":"lease-test","gpus":1,"memory_mib":4096,"command":["true"]})",
                 "application/json");
  ASSERT_TRUE(r && r->status == 201) << Describe(r);
  const auto job = Body(r).at("id").get<std::int64_t>();
  const json run = agent.AwaitAssignment(gen, [&](const json& a) { return a.at("job") == job; });
  ASSERT_FALSE(run.is_null()) << "the job was never assigned to n1";
  const auto assignment = run.at("id").get<std::uint64_t>();
  EXPECT_EQ(run.at("stop"), false);
  r = agent.Report(gen, assignment, "started");
  ASSERT_TRUE(r && r->status == 200) << Describe(r);
  const std::string job_path = fmt::format("/v1/jobs/{}", job);
  EXPECT_EQ(Body(admin.Get(job_path)).value("state", ""), "running");

  // 2. The agent goes silent: the lease lapses and the job is requeued.
  // (The state comes from memory, the history from the store: the state may
  // show "pending" a moment before the requeue event is durable; wait for
  // both.)
  auto requeued = [](const json& view) {
    const json history = view.value("history", json::array());
    return view.value("state", "") == "pending" &&
           std::any_of(history.begin(), history.end(), [](const json& e) {
             return e.value("kind", "") == "requeued" &&
                    e.value("text", "").find("n1 lost its lease") != std::string::npos;
           });
  };
  json view;
  ASSERT_TRUE(WaitFor(15s,
                      [&] {
                        view = Body(admin.Get(job_path));
                        return requeued(view);
                      }))
      << "the job was not requeued for the lost lease; last: " << view.dump();
  EXPECT_TRUE(view.at("placement").empty()) << view.dump();

  // 3. A heartbeat of the lapsed generation does not take the lease back.
  r = agent.Heartbeat(gen);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  EXPECT_EQ(Body(r)["error"]["code"], "failed_precondition") << r->body;
  EXPECT_NE(r->body.find("register again"), std::string::npos) << r->body;

  // 4. It registers again, still running the old run: it is told to stop it.
  r = agent.Register({assignment});
  ASSERT_TRUE(r && r->status == 200) << Describe(r);
  const auto gen2 = Body(r).at("generation").get<std::uint64_t>();
  EXPECT_GT(gen2, gen);
  EXPECT_EQ(Body(r).at("stop"), json::array({assignment})) << r->body;

  // 5. The old generation is refused; the old run's reports change nothing.
  r = agent.Report(gen, assignment, "exited");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  r = agent.Report(gen2, assignment, "exited");
  ASSERT_TRUE(r && r->status == 200) << Describe(r);
  EXPECT_NE(Body(admin.Get(job_path)).value("state", ""), "succeeded");

  // 6. The job runs again on the returned node, as a new run.
  const json rerun = agent.AwaitAssignment(gen2, [&](const json& a) { return a.at("job") == job; });
  ASSERT_FALSE(rerun.is_null()) << "the job was not placed again";
  EXPECT_NE(rerun.at("id").get<std::uint64_t>(), assignment);
  EXPECT_EQ(Body(admin.Get(job_path)).value("state", ""), "running");
}

// --- 3. one server per database --------------------------------------------

TEST_F(ProcessTest, ASecondServerOnALockedDatabaseFailsClearly) {
  auto first = Launch();
  ASSERT_GT(first->port(), 0);

  ServerProcess::Options o;
  o.binary = GPUSCHED_BIN;
  o.db = Db();
  o.admin_token = kAdmin;
  std::string error;
  auto second = ServerProcess::Start(o, kStartTimeout, &error);
  EXPECT_EQ(second->port(), 0) << "a second server listened on a locked database";
  const std::optional<int> status = second->WaitExit(5s);
  ASSERT_TRUE(status.has_value()) << "the second server did not exit";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0) << "wait status " << *status;
  const std::string said = second->output();
  EXPECT_NE(said.find("in use by another gpusched server"), std::string::npos) << said;
  EXPECT_NE(said.find(fmt::format("pid {}", first->pid())), std::string::npos) << said;

  // The first one kept serving.
  httplib::Client admin = Client(first->port(), kAdmin);
  httplib::Result r =
      admin.Post("/v1/jobs", R"({"name":"still-here","memory_mib":4096,"command":["true"]})",
                 "application/json");
  ASSERT_TRUE(r && r->status == 201) << Describe(r);
  const json jobs = Body(admin.Get("/v1/jobs"))["jobs"];
  ASSERT_EQ(jobs.size(), 1u) << jobs.dump();
  EXPECT_EQ(jobs[0]["name"], "still-here");
}

}  // namespace
}  // namespace gpusched::testing
