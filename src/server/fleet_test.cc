// Nodes, generations and leases: what an agent may and may not do.
#include "server/fleet.h"

#include <gtest/gtest.h>

namespace gpusched::server {
namespace {

constexpr Duration kLease{30};
const Instant kT0{std::chrono::seconds(1'000'000)};

const GpuCatalog& Catalog() {
  static const GpuCatalog catalog = GpuCatalog::BuiltIn();
  return catalog;
}

Registration Node(std::string name, std::vector<std::string> gpu_names) {
  Registration r;
  r.node = std::move(name);
  r.agent_id = "agent-1";
  for (std::size_t i = 0; i < gpu_names.size(); ++i) {
    r.gpus.push_back(AgentGpu{static_cast<int>(i), "GPU-" + std::to_string(i), gpu_names[i], 0, true});
  }
  return r;
}

struct FleetTest : ::testing::Test {
  ClusterLedger ledger{&Catalog()};
  Fleet fleet{kLease};
};

TEST_F(FleetTest, AFirstRegistrationAddsTheNodeWithItsGpusToTheLedger) {
  auto gen = fleet.Register(Node("n1", {"Tesla T4", "NVIDIA A10"}), kT0, ledger);
  ASSERT_TRUE(gen.has_value()) << gen.error().message;
  EXPECT_EQ(*gen, 1u);
  ASSERT_EQ(ledger.node_count(), 1);
  EXPECT_EQ(ledger.gpu_count(), 2);
  EXPECT_EQ(ledger.gpu(1).total_mib, Catalog().type(*Catalog().Find("A10")).memory_mib);
  EXPECT_EQ(fleet.Find("n1")->lease_expires, kT0 + kLease);
}

TEST_F(FleetTest, EveryRegistrationStartsANewGenerationAndStaleOnesAreRefused) {
  ASSERT_TRUE(fleet.Register(Node("n1", {"T4"}), kT0, ledger).has_value());
  auto second = fleet.Register(Node("n1", {"T4"}), kT0 + Duration(5), ledger);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*second, 2u);
  EXPECT_EQ(ledger.node_count(), 1) << "the same node, not a new one";
  auto stale = fleet.Heartbeat("n1", 1, {}, kT0 + Duration(6), ledger);
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(stale.error().message,
            "node \"n1\": generation 1 is stale (current 2); register again");
  EXPECT_TRUE(fleet.Heartbeat("n1", 2, {}, kT0 + Duration(6), ledger).has_value());
}

TEST_F(FleetTest, AHeartbeatRenewsTheLeaseAndALapsedLeaseMarksTheNodeLost) {
  ASSERT_TRUE(fleet.Register(Node("n1", {"T4"}), kT0, ledger).has_value());
  ASSERT_TRUE(fleet.Register(Node("n2", {"T4"}), kT0, ledger).has_value());
  auto renewed = fleet.Heartbeat("n1", 1, {}, kT0 + Duration(20), ledger);
  ASSERT_TRUE(renewed.has_value());
  EXPECT_EQ(*renewed, kT0 + Duration(50));
  EXPECT_TRUE(fleet.ExpireLeases(kT0 + Duration(30), ledger).empty())
      << "a lease holds through its last whole second";
  EXPECT_EQ(fleet.ExpireLeases(kT0 + Duration(31), ledger), std::vector<std::string>{"n2"});
  EXPECT_TRUE(fleet.ExpireLeases(kT0 + Duration(32), ledger).empty()) << "reported once";
  EXPECT_FALSE(ledger.node(*ledger.FindNode("n2")).healthy);
  EXPECT_TRUE(ledger.node(*ledger.FindNode("n1")).healthy);
  auto late = fleet.Heartbeat("n2", 1, {}, kT0 + Duration(40), ledger);
  ASSERT_FALSE(late.has_value());
  EXPECT_NE(late.error().message.find("register again"), std::string::npos);
  ASSERT_TRUE(fleet.Register(Node("n2", {"T4"}), kT0 + Duration(41), ledger).has_value());
  EXPECT_TRUE(ledger.node(*ledger.FindNode("n2")).healthy) << "back after registering";
}

TEST_F(FleetTest, GpuHealthFromHeartbeatsReachesTheLedger) {
  ASSERT_TRUE(fleet.Register(Node("n1", {"T4", "T4"}), kT0, ledger).has_value());
  AgentGpu hot{1, "GPU-1", "T4", 0, false};
  ASSERT_TRUE(fleet.Heartbeat("n1", 1, {hot}, kT0 + Duration(1), ledger).has_value());
  EXPECT_TRUE(ledger.gpu(0).healthy);
  EXPECT_FALSE(ledger.gpu(1).healthy);
  EXPECT_FALSE(ledger.Schedulable(1));
}

TEST_F(FleetTest, MalformedRegistrationsAreRefusedAndChangeNothing) {
  auto expect_error = [&](const Registration& r, const std::string& message) {
    auto gen = fleet.Register(r, kT0, ledger);
    ASSERT_FALSE(gen.has_value());
    EXPECT_EQ(gen.error().message, message);
    EXPECT_EQ(ledger.node_count(), 0);
  };
  expect_error(Node("", {"T4"}), "node: must not be empty");
  expect_error(Node("n1", {}), "node \"n1\": reports no GPU");
  expect_error(Node("n1", {"T4", "Z9000"}),
               "node \"n1\": GPU 1: unknown GPU type \"Z9000\" (see gpusched catalog)");
  Registration gap = Node("n1", {"T4", "T4"});
  gap.gpus[1].index = 5;
  expect_error(gap, "node \"n1\": GPU indices must be 0..1 without gaps or repeats");
}

TEST_F(FleetTest, AKnownNodeCannotComeBackWithOtherGpus) {
  ASSERT_TRUE(fleet.Register(Node("n1", {"T4"}), kT0, ledger).has_value());
  auto changed = fleet.Register(Node("n1", {"A100-80"}), kT0 + Duration(1), ledger);
  ASSERT_FALSE(changed.has_value());
  EXPECT_EQ(changed.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(fleet.Find("n1")->generation, 1u) << "nothing changed";
}

TEST_F(FleetTest, ARestoredNodeKeepsItsGenerationAndGetsOneLeaseToReturn) {
  NodeState saved;
  saved.name = "n1";
  saved.generation = 7;
  saved.gpus = {AgentGpu{0, "GPU-0", "T4", 0, true}};
  ASSERT_TRUE(fleet.Restore(saved, kT0, ledger).has_value());
  EXPECT_EQ(fleet.Find("n1")->generation, 7u);
  EXPECT_EQ(fleet.Find("n1")->lease_expires, kT0 + kLease);
  EXPECT_TRUE(fleet.CheckGeneration("n1", 7).has_value());
  EXPECT_EQ(fleet.ExpireLeases(kT0 + kLease + Duration(1), ledger), std::vector<std::string>{"n1"});
}

}  // namespace
}  // namespace gpusched::server
