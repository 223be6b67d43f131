// The nodes view: the copy taken on the owner thread and the JSON built from
// it (the shape GET /v1/nodes, drain and undrain answer with).
#include "server/node_view.h"

#include <gtest/gtest.h>

#include "server/control_testing.h"
#include "server/server_impl.h"

namespace gpusched::server {
namespace {

using nlohmann::json;
using testing::Catalog;
using testing::Defaults;
using testing::Node;
using testing::Request;

const Instant kStart{std::chrono::seconds(1'000'000)};

Caller Admin() { return Caller{}; }

Caller TenantCaller(std::string tenant) {
  Caller c;
  c.role = config::Role::kTenant;
  c.tenant = std::move(tenant);
  return c;
}

// Node n1 (2 x T4) running a quality job (high, 4000 MiB, boosted to
// critical until kStart + 600 s) and a research job (low, 2000 MiB).
struct TwoJobs {
  Control control{&Catalog(), Defaults()};
  JobId quality = 0;
  JobId research = 0;

  TwoJobs() {
    ChangeSet cs;
    Registration n1 = Node("n1", 2);
    n1.labels = {"zone:a"};
    EXPECT_TRUE(control.Register(n1, kStart, cs));
    Result<JobId> q = control.Submit(Request("quality", "high", 4000), kStart, cs);
    Result<JobId> r = control.Submit(Request("research", "low", 2000), kStart, cs);
    EXPECT_TRUE(q && r);
    quality = *q;
    research = *r;
    EXPECT_TRUE(control.Boost(quality, "critical", kStart + Duration(600), "admin ops", kStart, cs));
    control.Tick(kStart, cs);
  }
  json View(const Caller& caller, Instant now) const {
    return NodeJson(SnapshotNode(control, *control.fleet().Find("n1"), caller, now));
  }
};

// The jobs of a node view by id, wherever they run.
std::map<JobId, json> JobsIn(const json& node) {
  std::map<JobId, json> out;
  for (const json& g : node["gpus"]) {
    for (const json& j : g["jobs"]) out[j["id"].get<JobId>()] = j;
  }
  return out;
}

TEST(NodeView, KeepsTheApiShapeOfANodeAndItsGpus) {
  const TwoJobs fleet;
  const json view = fleet.View(Admin(), kStart);
  json shape = view;
  shape["gpus"] = json::array();
  EXPECT_EQ(shape, json::parse(R"({"name": "n1", "state": "ready", "drained": false,
      "generation": 1, "registered_at": 1000000, "lease_expires_at": 1000030,
      "labels": ["zone:a"], "gpus": []})"));
  ASSERT_EQ(view["gpus"].size(), 2u);
  json gpu = view["gpus"][0];
  gpu.erase("jobs");
  gpu.erase("allocated_mib");
  EXPECT_EQ(gpu, json::parse(R"({"index": 0, "uuid": "GPU-0", "type": "T4",
      "memory_mib": 15360, "healthy": true, "health_reason": "", "memory_used_mib": -1,
      "utilization_pct": -1, "temperature_c": -1})"));
}

TEST(NodeView, AJobShowsTheClassItRunsAsWhileItsBoostHolds) {
  const TwoJobs fleet;
  const auto jobs = JobsIn(fleet.View(Admin(), kStart));
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs.at(fleet.quality),
            json({{"id", fleet.quality}, {"name", ""}, {"class", "high"},
                  {"boost_class", "critical"}, {"tenant", "quality"}, {"mib", 4000}}));
  EXPECT_FALSE(jobs.at(fleet.research).contains("boost_class"));
  const auto later = JobsIn(fleet.View(Admin(), kStart + Duration(600)));
  EXPECT_FALSE(later.at(fleet.quality).contains("boost_class")) << "expired at its expiry";
}

TEST(NodeView, ATenantSeesOnlyItsOwnJobsButEveryonesMemory) {
  const TwoJobs fleet;
  const json admin = fleet.View(Admin(), kStart);
  const json research = fleet.View(TenantCaller("research"), kStart);
  EXPECT_EQ(JobsIn(research).size(), 1u);
  EXPECT_TRUE(JobsIn(research).contains(fleet.research));
  EXPECT_EQ(JobsIn(fleet.View(TenantCaller("nobody"), kStart)).size(), 0u);
  for (std::size_t g = 0; g < 2; ++g) {
    EXPECT_EQ(research["gpus"][g]["allocated_mib"], admin["gpus"][g]["allocated_mib"]);
  }
}

TEST(NodeView, TheFleetViewListsEveryNodeByName) {
  TwoJobs fleet;
  ChangeSet cs;
  ASSERT_TRUE(fleet.control.Register(Node("m0", 1), kStart, cs));
  const json all = NodesJson(SnapshotNodes(fleet.control, Admin(), kStart));
  ASSERT_EQ(all["nodes"].size(), 2u);
  EXPECT_EQ(all["nodes"][0]["name"], "m0");
  EXPECT_EQ(all["nodes"][1], fleet.View(Admin(), kStart));
}

}  // namespace
}  // namespace gpusched::server
