// The operations API over HTTP: boost, approve, freezes, nodes and drain,
// SLA, the event log, and who may do what (the authorization matrix).
#include <map>

#include "server/server_http_testing.h"

namespace gpusched::server {
namespace {

using nlohmann::json;

std::string JobPath(std::int64_t id, const char* action = "") {
  return "/v1/jobs/" + std::to_string(id) + action;
}

json History(ServerTest& t, std::int64_t id) { return t.Get(kAdmin, JobPath(id)).second["history"]; }

bool HistoryMentions(const json& history, const std::string& kind, const std::string& text) {
  for (const json& e : history) {
    if (e["kind"] == kind && e["text"].get<std::string>().find(text) != std::string::npos) return true;
  }
  return false;
}

TEST_F(ServerTest, ABoostRunsTheJobUnderTheNewClassUntilItExpires) {
  const std::int64_t id = SubmitYaml(kQuality);
  auto [status, view] = Post(kAdmin, JobPath(id, "/boost"), {{"class", "critical"}, {"for_s", 60}});
  ASSERT_EQ(status, 200) << view.dump();
  EXPECT_EQ(view["boost"]["class"], "critical");
  EXPECT_EQ(view["boost"]["expires_at"], clock.load() + 60);
  EXPECT_EQ(view["class"], "high") << "the job's own class is kept";
  EXPECT_TRUE(HistoryMentions(History(*this, id), "boost", "boosted from high to critical"));
  clock += 61;
  const json after = WaitForJob(id, [](const json& v) {
    return HistoryMentions(v["history"], "boost", "expired; back to high");
  });
  EXPECT_FALSE(after.contains("boost"));
}

TEST_F(ServerTest, BadBoostsAreRefusedNamingTheField) {
  const std::int64_t id = SubmitYaml(kQuality);
  EXPECT_EQ(Post(kAdmin, JobPath(id, "/boost"), {{"class", "urgent"}, {"for_s", 60}}).first, 400);
  EXPECT_EQ(Post(kAdmin, JobPath(id, "/boost"), {{"class", "critical"}}).first, 400);
  EXPECT_EQ(Post(kAdmin, JobPath(id, "/boost"), {{"class", "critical"}, {"for_s", -5}}).first, 400);
  auto [status, body] =
      Post(kAdmin, JobPath(id, "/boost"), {{"class", "critical"}, {"for_s", 60}, {"why", "x"}});
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["error"]["message"], "why: unknown field");
  EXPECT_EQ(Post(kAdmin, JobPath(999, "/boost"), {{"class", "critical"}, {"for_s", 60}}).first, 404);
  EXPECT_FALSE(Get(kAdmin, JobPath(id)).second.contains("boost")) << "nothing changed";
}

TEST_F(ServerTest, ATenantBoostsItsOwnJobsOnlyUpToItsAllowance) {
  auto r = Client(kResearch).Post("/v1/jobs", "name: r\nclass: low\ncommand: [x]\nmemory_mib: 1000\n",
                                  "application/yaml");
  ASSERT_TRUE(r && r->status == 201);
  const std::int64_t mine = Body(r)["id"].get<std::int64_t>();
  EXPECT_EQ(Post(kResearch, JobPath(mine, "/boost"), {{"class", "high"}, {"for_s", 60}}).first, 200);
  auto [status, body] = Post(kResearch, JobPath(mine, "/boost"), {{"class", "critical"}, {"for_s", 60}});
  EXPECT_EQ(status, 403);
  EXPECT_NE(body["error"]["message"].get<std::string>().find("up to \"high\""), std::string::npos);
  const std::int64_t theirs = SubmitYaml(kQuality);
  EXPECT_EQ(Post(kResearch, JobPath(theirs, "/boost"), {{"class", "low"}, {"for_s", 60}}).first, 404)
      << "another tenant's job does not exist for it";
}

TEST_F(ServerTest, AJobAboveItsTenantsAllowanceWaitsForAnAdminsApproval) {
  auto r = Client(kResearch).Post("/v1/jobs", "name: r\nclass: critical\ncommand: [x]\nmemory_mib: 1000\n",
                                  "application/yaml");
  ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "");
  const std::int64_t id = Body(r)["id"].get<std::int64_t>();
  const json waiting = WaitForJob(id, [](const json& v) { return v["awaiting_approval"] == true; });
  EXPECT_EQ(waiting["wait"]["code"], "AwaitingApproval");
  EXPECT_EQ(Post(kResearch, JobPath(id, "/approve")).first, 403);
  auto [status, view] = Post(kAdmin, JobPath(id, "/approve"));
  ASSERT_EQ(status, 200) << view.dump();
  WaitForJob(id, [](const json& v) { return v["awaiting_approval"] == false; });
  EXPECT_TRUE(HistoryMentions(History(*this, id), "approve", "approved by admin ops"));
  EXPECT_EQ(Post(kAdmin, JobPath(id, "/approve")).first, 409) << "approved once";
}

TEST_F(ServerTest, FreezesAreListedScopedAndKeptAcrossARestart) {
  const std::int64_t job = SubmitYaml(kQuality);
  EXPECT_EQ(Post(kAdmin, "/v1/freezes", {{"for_s", 3600}}).first, 201);
  EXPECT_EQ(Post(kAdmin, "/v1/freezes", {{"scope", "tenant"}, {"target", "research"}, {"for_s", 600}}).first,
            201);
  EXPECT_EQ(Post(kAdmin, "/v1/freezes",
                 {{"scope", "job"}, {"target", std::to_string(job)}, {"for_s", 600}})
                .first,
            201);
  EXPECT_EQ(Post(kAdmin, "/v1/freezes", {{"scope", "tenant"}, {"target", "nobody"}, {"for_s", 60}}).first,
            400);
  EXPECT_EQ(Post(kAdmin, "/v1/freezes", {{"scope", "galaxy"}, {"for_s", 60}}).first, 400);
  EXPECT_EQ(Post(kQuality, "/v1/freezes", {{"for_s", 60}}).first, 403);
  EXPECT_EQ(Get(kAdmin, "/v1/freezes").second["freezes"].size(), 3u);
  // quality sees the cluster freeze and its own job's, not research's
  EXPECT_EQ(Get(kQuality, "/v1/freezes").second["freezes"].size(), 2u);

  server.reset();
  StartServer();
  EXPECT_EQ(Get(kAdmin, "/v1/freezes").second["freezes"].size(), 3u);
  auto removed = Client(kAdmin).Delete("/v1/freezes?scope=tenant&target=research");
  ASSERT_TRUE(removed);
  EXPECT_EQ(Body(removed)["removed"], 1);
  EXPECT_EQ(Get(kAdmin, "/v1/freezes").second["freezes"].size(), 2u);
  clock += 3601;  // both remaining freezes lapse
  for (int i = 0; i < 200 && !Get(kAdmin, "/v1/freezes").second["freezes"].empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(Get(kAdmin, "/v1/freezes").second["freezes"].empty());
}

TEST_F(ServerTest, NodesShowTheirGpusAndADrainedNodeTakesNoNewWork) {
  RegisterAgent("n1", 2);
  auto [status, drained] = Post(kAdmin, "/v1/nodes/n1/drain");
  ASSERT_EQ(status, 200) << drained.dump();
  EXPECT_EQ(drained["state"], "drained");
  const std::int64_t id = SubmitYaml(kQuality);
  const json waiting = WaitForJob(id, [](const json& v) { return v.contains("wait"); });
  EXPECT_NE(waiting["wait"]["reason"].get<std::string>().find("drained"), std::string::npos)
      << waiting.dump();

  server.reset();  // the drain is durable
  StartServer();
  json nodes = Get(kAdmin, "/v1/nodes").second["nodes"];
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0]["state"], "drained");
  EXPECT_EQ(Post(kQuality, "/v1/nodes/n1/undrain").first, 403);
  EXPECT_EQ(Post(kAdmin, "/v1/nodes/n9/undrain").first, 404);
  EXPECT_EQ(Post(kAdmin, "/v1/nodes/n1/undrain").first, 200);
  const json running = WaitForJob(id, [](const json& v) { return v["state"] == "running"; });
  nodes = Get(kAdmin, "/v1/nodes").second["nodes"];
  ASSERT_EQ(nodes[0]["gpus"].size(), 2u);
  EXPECT_EQ(nodes[0]["gpus"][0]["type"], "T4");
  EXPECT_EQ(nodes[0]["gpus"][0]["uuid"], "n1-GPU-0");
  int jobs_shown = 0;
  for (const json& g : nodes[0]["gpus"]) {
    jobs_shown += static_cast<int>(g["jobs"].size());
    if (!g["jobs"].empty()) {
      EXPECT_GT(g["allocated_mib"].get<int>(), 0);
    }
  }
  EXPECT_EQ(jobs_shown, 1);
  // research sees the GPUs but not quality's job on them
  const json seen_by_research = Get(kResearch, "/v1/nodes").second;
  for (const json& g : seen_by_research["nodes"][0]["gpus"]) EXPECT_TRUE(g["jobs"].empty());
  EXPECT_EQ(running["placement"][0]["node"], "n1");
}

// The jobs shown on the GPUs of the first node to `token`, by id.
std::map<std::int64_t, json> JobsOnNodes(ServerTest& t, const char* token) {
  const json nodes = t.Get(token, "/v1/nodes").second["nodes"];
  std::map<std::int64_t, json> out;
  for (const json& g : nodes.at(0)["gpus"]) {
    for (const json& j : g["jobs"]) out[j["id"].get<std::int64_t>()] = j;
  }
  return out;
}

TEST_F(ServerTest, NodesShowTheClassABoostedJobRunsAsAndATenantOnlyItsOwnJobs) {
  RegisterAgent("n1", 2);
  const std::int64_t boosted = SubmitYaml(kQuality);  // class high
  auto r = Client(kResearch).Post(
      "/v1/jobs", "name: r\nclass: low\ncommand: [x]\nmemory_mib: 1000\n", "application/yaml");
  ASSERT_TRUE(r && r->status == 201);
  const std::int64_t plain = Body(r)["id"].get<std::int64_t>();
  ASSERT_EQ(Post(kAdmin, JobPath(boosted, "/boost"), {{"class", "critical"}, {"for_s", 600}}).first,
            200);
  WaitForJob(boosted, [](const json& v) { return v["state"] == "running"; });
  WaitForJob(plain, [](const json& v) { return v["state"] == "running"; });

  std::map<std::int64_t, json> all = JobsOnNodes(*this, kAdmin);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[boosted]["class"], "high");
  EXPECT_EQ(all[boosted]["boost_class"], "critical");
  EXPECT_EQ(all[boosted]["tenant"], "quality");
  EXPECT_FALSE(all[plain].contains("boost_class")) << "absent without a boost";
  const auto quality = JobsOnNodes(*this, kQuality);
  ASSERT_EQ(quality.size(), 1u);
  EXPECT_EQ(quality.begin()->first, boosted);
  EXPECT_EQ(quality.begin()->second["boost_class"], "critical");
  const auto research = JobsOnNodes(*this, kResearch);
  ASSERT_EQ(research.size(), 1u);
  EXPECT_EQ(research.begin()->first, plain);

  clock += 601;  // the boost expired
  EXPECT_FALSE(JobsOnNodes(*this, kAdmin)[boosted].contains("boost_class"));
}

TEST_F(ServerTest, TheSlaReportHasEveryClassAndCountsFirstStarts) {
  RegisterAgent("n1", 1);
  const std::int64_t id = SubmitYaml(kQuality);  // class high
  WaitForJob(id, [](const json& v) { return v["state"] == "running"; });
  auto [status, sla] = Get(kQuality, "/v1/sla?window_s=600");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(sla["window_s"], 600);
  std::vector<std::string> classes;
  for (const json& c : sla["classes"]) {
    classes.push_back(c["class"]);
    if (c["class"] == "high") {
      EXPECT_EQ(c["started"], 1);
      EXPECT_EQ(c["attainment"], 1.0);
    }
  }
  EXPECT_EQ(classes, (std::vector<std::string>{"critical", "high", "medium", "low", "batch"}));
  EXPECT_EQ(Get(kAdmin, "/v1/sla?window_s=abc").first, 400);
}

TEST_F(ServerTest, TheSlaReportHasAWaitHistogramAndSlicesForCharts) {
  RegisterAgent("n1", 1);
  const std::int64_t id = SubmitYaml(kQuality);  // class high, starts at once
  WaitForJob(id, [](const json& v) { return v["state"] == "running"; });
  auto [status, sla] = Get(kQuality, "/v1/sla?window_s=600&slices=6");
  ASSERT_EQ(status, 200) << sla.dump();
  EXPECT_EQ(sla["slice_s"], 100);
  EXPECT_EQ(sla["wait_buckets_s"],
            json::parse("[30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400]"));
  for (const json& c : sla["classes"]) {
    ASSERT_EQ(c["wait_histogram"].size(), 12u) << c.dump();
    ASSERT_EQ(c["slices"].size(), 6u) << c.dump();
    if (c["class"] != "high") continue;
    EXPECT_EQ(c["wait_histogram"][0], 1) << "started within 30 s";
    EXPECT_EQ(c["slices"][5], json::parse(R"({"started": 1, "met": 1})")) << "the newest slice";
    EXPECT_EQ(c["slices"][0]["started"], 0);
  }
  const json defaults = Get(kAdmin, "/v1/sla").second;
  EXPECT_EQ(defaults["slice_s"], 300) << "an hour in 12 slices";
  EXPECT_EQ(defaults["classes"][0]["slices"].size(), 12u);
  for (const char* bad : {"slices=0", "slices=241", "slices=x", "slices=", "window_s=5&slices=6"}) {
    auto [code, body] = Get(kAdmin, std::string("/v1/sla?") + bad);
    EXPECT_EQ(code, 400) << bad;
    EXPECT_EQ(body["error"]["message"].get<std::string>().rfind("slices:", 0), 0u)
        << bad << ": " << body.dump();
  }
  EXPECT_EQ(Get(kAdmin, "/v1/sla?window_s=240&slices=240").first, 200) << "1 s slices";
}

TEST_F(ServerTest, TheEventLogPagesAndShowsATenantOnlyItsOwnJobs) {
  const std::int64_t a = SubmitYaml(kQuality);
  const std::int64_t b = SubmitYaml(kQuality);
  RegisterAgent("n1", 1);
  json all = Get(kAdmin, "/v1/events?limit=1000").second;
  ASSERT_GE(all["events"].size(), 3u);
  bool node_event = false;
  for (const json& e : all["events"]) node_event |= e["kind"] == "node";
  EXPECT_TRUE(node_event);
  json first = Get(kAdmin, "/v1/events?after=0&limit=1").second;
  ASSERT_EQ(first["events"].size(), 1u);
  EXPECT_EQ(first["events"][0]["job"], a);
  json next = Get(kAdmin, "/v1/events?limit=1&after=" + first["next_after"].dump()).second;
  EXPECT_EQ(next["events"][0]["job"], b);
  json submitted = Get(kAdmin, "/v1/events?kind=submitted").second;
  EXPECT_EQ(submitted["events"].size(), 2u);
  EXPECT_EQ(Get(kAdmin, "/v1/events?job=" + std::to_string(b)).second["events"][0]["job"], b);
  EXPECT_TRUE(Get(kResearch, "/v1/events").second["events"].empty());
  const json seen_by_quality = Get(kQuality, "/v1/events").second;
  for (const json& e : seen_by_quality["events"]) EXPECT_NE(e["job"], 0);
  EXPECT_EQ(Get(kAdmin, "/v1/events?limit=0").first, 400);
  EXPECT_EQ(Get(kAdmin, "/v1/events?after=-1").first, 400);
}

TEST_F(ServerTest, AnAdminChangesClassesAndTenantsAndTheChangesOutliveARestart) {
  auto put = [&](const std::string& path, const json& body) {
    auto r = Client(kAdmin).Put(path, body.dump(), "application/json");
    return std::pair<int, json>{r ? r->status : 0, Body(r)};
  };
  auto [status, cls] = put("/v1/classes/urgent-qa",
                           {{"value", 900}, {"sla", {{"percentile", 90}, {"max_wait_s", 120}}}});
  ASSERT_EQ(status, 200) << cls.dump();
  EXPECT_EQ(cls["sla"]["max_wait_s"], 120);
  EXPECT_EQ(put("/v1/classes/dup", {{"value", 1000}}).first, 400) << "critical has 1000";
  EXPECT_EQ(put("/v1/classes/no-value", json::object()).first, 400);
  EXPECT_EQ(put("/v1/classes/high", {{"preempts", "yes"}}).first, 400);
  auto [t_status, tenant] =
      put("/v1/tenants/vision", {{"guaranteed_gpus", 4}, {"default_class", "urgent-qa"}});
  ASSERT_EQ(t_status, 200) << tenant.dump();
  EXPECT_EQ(put("/v1/tenants/vision", {{"default_class", "nope"}}).first, 400);
  EXPECT_EQ(put("/v1/tenants/vision", {{"color", "red"}}).second["error"]["message"],
            "color: unknown field");
  auto r = Client(kResearch).Put("/v1/tenants/research", R"({"guaranteed_gpus": 99})",
                                 "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);

  server.reset();
  StartServer();
  bool found = false;
  const json classes = Get(kAdmin, "/v1/classes").second;
  for (const json& c : classes["classes"]) found |= c["name"] == "urgent-qa";
  EXPECT_TRUE(found);
  json vision;
  const json tenants = Get(kAdmin, "/v1/tenants").second;
  for (const json& t : tenants["tenants"]) {
    if (t["name"] == "vision") vision = t;
  }
  EXPECT_EQ(vision["guaranteed_gpus"], 4);
  auto job = Client(kAdmin).Post("/v1/jobs", "name: v\ntenant: vision\ncommand: [x]\nmemory_mib: 1000\n",
                                 "application/yaml");
  ASSERT_TRUE(job && job->status == 201) << (job ? job->body : "");
  EXPECT_EQ(Body(job)["class"], "urgent-qa") << "the tenant's default class";
  EXPECT_EQ(Get(kResearch, "/v1/tenants").second["tenants"].size(), 1u) << "a tenant sees itself";
}

// Who may call what: no token 401, an unknown token 401, a role that may
// not use the route 403.
TEST_F(ServerTest, EveryRouteChecksTheTokenAndTheRole) {
  const std::int64_t job = SubmitYaml(kQuality);
  const std::string j = std::to_string(job);
  struct Route {
    std::string method, path;
    bool tenant_allowed, agent_allowed;
  };
  const std::vector<Route> routes = {
      {"GET", "/v1/jobs", true, false},
      {"POST", "/v1/jobs", true, false},
      {"GET", "/v1/jobs/" + j, true, false},
      {"GET", "/v1/jobs/" + j + "/logs", true, false},
      {"POST", "/v1/jobs/" + j + "/boost", true, false},
      {"POST", "/v1/jobs/" + j + "/approve", false, false},
      {"GET", "/v1/freezes", true, false},
      {"POST", "/v1/freezes", false, false},
      {"DELETE", "/v1/freezes", false, false},
      {"GET", "/v1/nodes", true, false},
      {"POST", "/v1/nodes/n1/drain", false, false},
      {"POST", "/v1/nodes/n1/undrain", false, false},
      {"GET", "/v1/sla", true, false},
      {"GET", "/v1/events", true, false},
      {"GET", "/v1/classes", true, false},
      {"GET", "/v1/tenants", true, false},
      {"PUT", "/v1/classes/x", false, false},
      {"PUT", "/v1/tenants/x", false, false},
      {"POST", "/v1/agents/register", false, true},
      {"POST", "/v1/agents/heartbeat", false, true},
      {"GET", "/v1/agents/n1/assignments?generation=1", false, true},
      {"POST", "/v1/agents/n1/reports", false, true},
      {"POST", "/v1/jobs/" + j + "/cancel", true, false},  // last: it cancels
  };
  auto call = [&](const char* token, const Route& r) {
    httplib::Client c("127.0.0.1", server->port());
    if (token) c.set_bearer_token_auth(token);
    httplib::Result res = r.method == "GET"      ? c.Get(r.path)
                          : r.method == "DELETE" ? c.Delete(r.path)
                          : r.method == "PUT"    ? c.Put(r.path, "{}", "application/json")
                                                 : c.Post(r.path, "{}", "application/json");
    return res ? res->status : 0;
  };
  for (const Route& r : routes) {
    SCOPED_TRACE(r.method + " " + r.path);
    EXPECT_EQ(call(nullptr, r), 401);
    EXPECT_EQ(call("forged-token-00000000000", r), 401);
    const int as_agent = call(kAgent, r);
    if (r.agent_allowed) {
      EXPECT_NE(as_agent, 403);
    } else {
      EXPECT_EQ(as_agent, 403);
    }
    const int as_tenant = call(kResearch, r);
    if (r.tenant_allowed) {
      EXPECT_NE(as_tenant, 403);
    } else {
      EXPECT_EQ(as_tenant, 403);
    }
  }
  EXPECT_EQ(Get(kAdmin, JobPath(job)).second["state"], "pending")
      << "research could not cancel quality's job";
}

}  // namespace
}  // namespace gpusched::server
