// The server end to end over HTTP on 127.0.0.1: authentication, the job
// routes, tenant isolation, the agent protocol, and a restart on the same
// database. Each test starts its own server on a free port.
#include "server/server.h"

#include <atomic>
#include <filesystem>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <gtest/gtest.h>

namespace gpusched::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kAdmin = "admin-secret-000000001";
constexpr const char* kQuality = "quality-secret-0000001";
constexpr const char* kResearch = "research-secret-000001";
constexpr const char* kAgent = "agent-secret-000000001";

const GpuCatalog& Catalog() {
  static const GpuCatalog catalog = GpuCatalog::BuiltIn();
  return catalog;
}

config::ServerConfig Config() {
  config::ServerConfig c;
  for (const char* name : {"default", "quality", "research"}) {
    Tenant t;
    t.name = name;
    c.cluster.tenants.push_back(t);
  }
  c.tokens = {{"ops", kAdmin, config::Role::kAdmin, ""},
              {"quality", kQuality, config::Role::kTenant, "quality"},
              {"research", kResearch, config::Role::kTenant, "research"},
              {"agents", kAgent, config::Role::kAgent, ""}};
  c.settings.cycle_interval = std::chrono::milliseconds(50);
  return c;
}

constexpr const char* kYamlJob = R"(name: scratch-defect-v3
class: high
ultralytics:
  model: yolov8s.pt
  data: scratches.yaml
  epochs: 50
  imgsz: 640
  batch: 32
gpus: 1
gpu_types: [T4, A10, A100-40]
)";

struct ServerTest : ::testing::Test {
  fs::path dir = fs::temp_directory_path() /
                 ("gpusched-http-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::atomic<std::int64_t> clock{1'800'000'000};
  std::unique_ptr<Server> server;

  void SetUp() override {
    fs::create_directories(dir);
    StartServer();
  }
  void TearDown() override {
    server.reset();
    fs::remove_all(dir);
  }
  void StartServer() {
    ServerOptions o;
    o.db_path = (dir / "state.db").string();
    o.config = Config();
    o.clock = [this] { return Instant(std::chrono::seconds(clock.load())); };
    auto s = Server::Start(std::move(o), &Catalog());
    ASSERT_TRUE(s.has_value()) << s.error().message;
    server = std::move(*s);
  }
  httplib::Client Client(const char* token) {
    httplib::Client c("127.0.0.1", server->port());
    c.set_bearer_token_auth(token);
    return c;
  }
  json Body(const httplib::Result& r) {
    EXPECT_TRUE(r) << "no response";
    return r ? json::parse(r->body, nullptr, false) : json();
  }
  std::int64_t SubmitYaml(const char* token) {
    auto r = Client(token).Post("/v1/jobs", kYamlJob, "application/yaml");
    EXPECT_TRUE(r && r->status == 201) << (r ? std::to_string(r->status) + " " + r->body : "no response");
    return r && r->status == 201 ? Body(r)["id"].get<std::int64_t>() : 0;
  }
  // Polls (bounded) until `pred` holds for the job's view.
  json WaitForJob(std::int64_t id, const std::function<bool(const json&)>& pred) {
    json view;
    for (int i = 0; i < 200; ++i) {
      view = Body(Client(kAdmin).Get("/v1/jobs/" + std::to_string(id)));
      if (pred(view)) return view;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "job " << id << " never reached the state; last: " << view.dump();
    return view;
  }
};

TEST_F(ServerTest, HealthNeedsNoTokenButTheApiDoes) {
  httplib::Client anon("127.0.0.1", server->port());
  auto health = anon.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto none = anon.Get("/v1/jobs");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  auto wrong = Client("not-a-token-at-all-000").Get("/v1/jobs");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(Body(wrong)["error"]["code"], "unauthenticated");
}

TEST_F(ServerTest, AYamlJobIsAcceptedAndSaysWhyItWaits) {
  const std::int64_t id = SubmitYaml(kQuality);
  ASSERT_GT(id, 0);
  const json view = WaitForJob(id, [](const json& v) { return v.contains("wait"); });
  EXPECT_EQ(view["tenant"], "quality");
  EXPECT_EQ(view["class"], "high");
  EXPECT_EQ(view["state"], "pending");
  EXPECT_FALSE(view["wait"]["reason"].get<std::string>().empty());
  ASSERT_FALSE(view["history"].empty());
  EXPECT_EQ(view["history"][0]["kind"], "submitted");
  EXPECT_EQ(view["spec"]["name"], "scratch-defect-v3");
}

TEST_F(ServerTest, BadInputGetsAClearErrorAndChangesNothing) {
  auto r = Client(kQuality).Post("/v1/jobs", "gpuz: 2\ncommand: [x]\n", "application/yaml");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find("gpuz"), std::string::npos)
      << r->body;
  r = Client(kQuality).Post("/v1/jobs", R"({"command": ["x"], "gpu_types": ["Z9"]})",
                            "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r)["error"]["message"],
            "gpu_types[0]: unknown GPU type \"Z9\" (see gpusched catalog)");
  auto list = Body(Client(kAdmin).Get("/v1/jobs"));
  EXPECT_TRUE(list["jobs"].empty());
}

TEST_F(ServerTest, ATenantNeitherSeesNorCancelsAnotherTenantsJobs) {
  const std::int64_t id = SubmitYaml(kQuality);
  auto other = Client(kResearch);
  auto get = other.Get("/v1/jobs/" + std::to_string(id));
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 404);
  auto cancel = other.Post("/v1/jobs/" + std::to_string(id) + "/cancel", "", "application/json");
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->status, 404);
  EXPECT_TRUE(Body(other.Get("/v1/jobs"))["jobs"].empty());
  auto forged = other.Post("/v1/jobs", std::string(kYamlJob) + "tenant: quality\n",
                           "application/yaml");
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 403);
  auto agent = Client(kAgent).Get("/v1/jobs");
  ASSERT_TRUE(agent);
  EXPECT_EQ(agent->status, 403);
  auto mine = Client(kQuality).Post("/v1/jobs/" + std::to_string(id) + "/cancel", "",
                                    "application/json");
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->status, 200);
  EXPECT_EQ(Body(mine)["state"], "cancelled");
}

TEST_F(ServerTest, AnAgentRegistersGetsTheRunAndReportsItToTheEnd) {
  const std::int64_t id = SubmitYaml(kQuality);
  auto agent = Client(kAgent);
  json reg{{"node", "n1"}, {"agent_id", "a1"},
           {"gpus", json::array({json{{"index", 0}, {"uuid", "GPU-0"}, {"name", "Tesla T4"}}})}};
  auto r = agent.Post("/v1/agents/register", reg.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const auto gen = Body(r)["generation"].get<std::uint64_t>();
  json assignments;
  for (int i = 0; i < 200 && (assignments.is_null() || assignments.empty()); ++i) {
    assignments = Body(agent.Get("/v1/agents/n1/assignments?generation=" + std::to_string(gen)))
                      ["assignments"];
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(assignments.size(), 1u);
  EXPECT_EQ(assignments[0]["job"], id);
  EXPECT_EQ(assignments[0]["gpus"][0]["uuid"], "GPU-0");
  EXPECT_EQ(assignments[0]["spec"]["ultralytics"]["model"], "yolov8s.pt");
  const auto run = assignments[0]["id"].get<std::uint64_t>();
  json reports{{"generation", gen},
               {"reports", json::array({json{{"assignment", run}, {"kind", "started"}},
                                        json{{"assignment", run}, {"kind", "checkpoint"}, {"epoch", 5}},
                                        json{{"assignment", run}, {"kind", "exited"}, {"exit_code", 0}}})}};
  r = agent.Post("/v1/agents/n1/reports", reports.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json view = WaitForJob(id, [](const json& v) { return v["state"] == "succeeded"; });
  EXPECT_EQ(view["progress"]["checkpoint_epoch"], 5);
  auto stale = agent.Post("/v1/agents/n1/reports",
                          json{{"generation", gen + 7}, {"reports", json::array()}}.dump(),
                          "application/json");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 409);
}

TEST_F(ServerTest, AcknowledgedJobsSurviveARestartOnTheSameDatabase) {
  const std::int64_t first = SubmitYaml(kQuality);
  const std::int64_t second = SubmitYaml(kQuality);
  server->Stop();
  server.reset();
  StartServer();
  for (std::int64_t id : {first, second}) {
    auto r = Client(kAdmin).Get("/v1/jobs/" + std::to_string(id));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << "job " << id << " lost";
  }
  EXPECT_GT(SubmitYaml(kQuality), second) << "ids are never reused";
}

}  // namespace
}  // namespace gpusched::server
