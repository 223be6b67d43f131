// The server end to end over HTTP on 127.0.0.1: authentication, the job
// routes, tenant isolation, the agent protocol, and a restart on the same
// database. Each test starts its own server on a free port.
#include "server/server_http_testing.h"

namespace gpusched::server {
namespace {

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

TEST_F(ServerTest, TheJobListFiltersOnAListOfStatesAndRefusesAnUnknownOne) {
  const std::int64_t waiting = SubmitYaml(kQuality);
  const std::int64_t cancelled = SubmitYaml(kQuality);
  ASSERT_EQ(Post(kQuality, "/v1/jobs/" + std::to_string(cancelled) + "/cancel").first, 200);
  auto ids = [&](const std::string& query) {
    const json list = Get(kAdmin, "/v1/jobs" + query).second;
    std::vector<std::int64_t> out;
    for (const json& j : list["jobs"]) out.push_back(j["id"]);
    return out;
  };
  EXPECT_EQ(ids("?state=pending"), (std::vector<std::int64_t>{waiting}));
  EXPECT_EQ(ids("?state=pending,running,stopping"), (std::vector<std::int64_t>{waiting}));
  EXPECT_EQ(ids("?state=cancelled,pending"), (std::vector<std::int64_t>{waiting, cancelled}));
  EXPECT_EQ(ids(""), (std::vector<std::int64_t>{waiting, cancelled}));
  EXPECT_TRUE(ids("?state=running").empty());
  auto [status, body] = Get(kAdmin, "/v1/jobs?state=pending,paused");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["error"]["code"], "invalid_argument");
  EXPECT_NE(body["error"]["message"].get<std::string>().find("state: unknown state \"paused\""),
            std::string::npos)
      << body.dump();
  EXPECT_EQ(Get(kAdmin, "/v1/jobs?state=pending,").first, 400) << "an empty name is unknown too";
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
  EXPECT_EQ(assignments[0]["class"], "high");
  EXPECT_EQ(assignments[0]["save_period"], 5) << "the class's: the spec sets none";
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

TEST_F(ServerTest, MetricsAreServedInPrometheusTextWithoutAToken) {
  const std::int64_t id = SubmitYaml(kQuality);
  WaitForJob(id, [](const json& v) { return v.contains("wait"); });  // a cycle ran
  httplib::Client anon("127.0.0.1", server->port());
  std::string text;
  for (int i = 0; i < 200; ++i) {  // the cycle's figures land after its commit
    auto r = anon.Get("/metrics");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    EXPECT_NE(r->get_header_value("Content-Type").find("text/plain"), std::string::npos);
    text = r->body;
    if (text.find("gpusched_queue_length{class=\"high\"} 1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(text.find("gpusched_queue_length{class=\"high\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("gpusched_cycles_total"), std::string::npos);
  EXPECT_NE(text.find("gpusched_http_requests_total{code=\"201\",route=\"jobs\"}"), std::string::npos)
      << text;
}

TEST_F(ServerTest, AnAgentsLongPollReturnsWhenItsAssignmentsChange) {
  const std::uint64_t gen = RegisterAgent("n1", 1);
  const std::string base = "/v1/agents/n1/assignments?generation=" + std::to_string(gen);
  auto [status, empty] = Get(kAgent, base);
  ASSERT_EQ(status, 200);
  ASSERT_TRUE(empty["assignments"].empty());
  const std::string version = empty["version"];
  // Nothing changes: the poll ends at its deadline with the same version.
  EXPECT_EQ(Get(kAgent, base + "&since=" + version + "&wait_s=1").second["version"], version);

  std::atomic<bool> returned{false};
  json polled;
  std::thread poll([&] {
    auto c = Client(kAgent);
    c.set_read_timeout(60, 0);
    polled = Body(c.Get(base + "&since=" + version + "&wait_s=30"));
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(returned.load()) << "the poll waits while nothing changes";
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t id = SubmitYaml(kQuality);
  poll.join();
  ASSERT_EQ(polled["assignments"].size(), 1u) << polled.dump();
  EXPECT_EQ(polled["assignments"][0]["job"], id);
  EXPECT_NE(polled["version"], version);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20))
      << "woken by the change, not by its 30 s deadline";
  EXPECT_EQ(Get(kAgent, base + "&wait_s=61").first, 400);
}

}  // namespace
}  // namespace gpusched::server
