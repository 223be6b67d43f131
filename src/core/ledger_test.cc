// ClusterLedger, the one owner of who holds how much memory on which GPU.
// Each case states one clause of the contract in include/gpusched/cluster.h.
// The randomized model-based test is in ledger_model_test.cc.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gpusched/cluster.h"

namespace gpusched {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// GPU indices of the fixture's cluster, "node-a: 4xT4, 2xA100-80; node-b: 1xL4".
constexpr GpuIndex kA0 = 0;  // node-a GPU 0, T4
constexpr GpuIndex kA1 = 1;  // node-a GPU 1, T4
constexpr GpuIndex kA4 = 4;  // node-a GPU 4, A100-80
constexpr GpuIndex kA5 = 5;  // node-a GPU 5, A100-80
constexpr GpuIndex kB0 = 6;  // node-b GPU 0, L4
constexpr MiB kT4 = 15360;
constexpr MiB kA100 = 81920;
constexpr MiB kL4 = 23034;

Placement On(std::vector<Slice> slices) { return Placement{std::move(slices)}; }

GpuSpec Gpu(GpuTypeId type, MiB memory_mib = 0) {
  GpuSpec g;
  g.type = type;
  g.memory_mib = memory_mib;
  return g;
}

NodeSpec Node(std::string name, std::vector<GpuSpec> gpus) {
  NodeSpec n;
  n.name = std::move(name);
  n.gpus = std::move(gpus);
  return n;
}

// Everything a caller can observe of a ledger's allocations, to show that a
// refused mutation changed nothing.
struct Observed {
  std::vector<MiB> free;
  std::vector<std::vector<JobId>> jobs_on;
  std::size_t allocations = 0;
  friend bool operator==(const Observed&, const Observed&) = default;
};

Observed Observe(const ClusterLedger& ledger) {
  Observed o;
  for (GpuIndex g = 0; g < ledger.gpu_count(); ++g) {
    o.free.push_back(ledger.free_mib(g));
    o.jobs_on.emplace_back(ledger.jobs_on(g).begin(), ledger.jobs_on(g).end());
  }
  o.allocations = ledger.allocation_count();
  return o;
}

class LedgerTest : public ::testing::Test {
 protected:
  LedgerTest() {
    auto nodes = ParseCompactCluster("node-a: 4xT4, 2xA100-80; node-b: 1xL4", catalog_);
    EXPECT_TRUE(nodes.has_value());
    for (NodeSpec& n : *nodes) EXPECT_TRUE(ledger_.AddNode(std::move(n)).has_value());
  }

  // Allocates and fails the test when the ledger refuses.
  void MustAllocate(JobId job, const Placement& p) {
    const Status ok = ledger_.Allocate(job, p);
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
  }

  // Asserts that `job` on `p` is refused with `code` and that the ledger
  // looks exactly as before; returns the message.
  std::string Refused(JobId job, const Placement& p, ErrorCode code) {
    const Observed before = Observe(ledger_);
    const Status st = ledger_.Allocate(job, p);
    EXPECT_FALSE(st.has_value()) << "job " << job << " was allocated";
    EXPECT_EQ(Observe(ledger_), before) << "a refused Allocate changed the ledger";
    if (st.has_value()) return "";
    EXPECT_EQ(st.error().code, code)
        << ErrorCodeName(st.error().code) << ": " << st.error().message;
    return st.error().message;
  }

  GpuCatalog catalog_ = GpuCatalog::BuiltIn();
  ClusterLedger ledger_{&catalog_};
};

// --- the table built from the compact form --------------------------------

TEST_F(LedgerTest, GpusAreNumberedNodeMajorWithCatalogMemoryAllFree) {
  ASSERT_EQ(ledger_.node_count(), 2);
  ASSERT_EQ(ledger_.gpu_count(), 7);
  EXPECT_EQ(ledger_.first_gpu(0), 0);
  EXPECT_EQ(ledger_.first_gpu(1), kB0);
  EXPECT_EQ(ledger_.gpu(kA5).node, 0);
  EXPECT_EQ(ledger_.gpu(kA5).local_index, 5);
  EXPECT_EQ(ledger_.gpu(kB0).node, 1);
  EXPECT_EQ(ledger_.gpu(kB0).local_index, 0);
  EXPECT_EQ(ledger_.gpu(kA0).total_mib, kT4);
  EXPECT_EQ(ledger_.gpu(kA4).total_mib, kA100);
  EXPECT_EQ(ledger_.gpu(kB0).total_mib, kL4);
  for (GpuIndex g = 0; g < ledger_.gpu_count(); ++g) {
    EXPECT_EQ(ledger_.free_mib(g), ledger_.gpu(g).total_mib) << ledger_.GpuName(g);
    EXPECT_THAT(ledger_.jobs_on(g), IsEmpty());
    EXPECT_TRUE(ledger_.Schedulable(g));
  }
  EXPECT_EQ(ledger_.allocation_count(), 0u);
}

TEST_F(LedgerTest, GpuNameIsTheNodeNameAndTheLocalIndex) {
  EXPECT_EQ(ledger_.GpuName(kA0), "node-a GPU 0");
  EXPECT_EQ(ledger_.GpuName(kA1), "node-a GPU 1");
  EXPECT_EQ(ledger_.GpuName(kA5), "node-a GPU 5");
  EXPECT_EQ(ledger_.GpuName(kB0), "node-b GPU 0");
}

TEST_F(LedgerTest, FindNodeByNameOrNullopt) {
  EXPECT_EQ(ledger_.FindNode("node-a"), 0);
  EXPECT_EQ(ledger_.FindNode("node-b"), 1);
  EXPECT_EQ(ledger_.FindNode("node-c"), std::nullopt);
  EXPECT_EQ(ledger_.FindNode("NODE-A"), std::nullopt);  // names are case-sensitive
}

// --- Allocate -------------------------------------------------------------

TEST_F(LedgerTest, AllocateWithinFreeMemoryTakesEachSliceFromItsGpu) {
  MustAllocate(1, On({{kA1, 4096}, {kA4, 40960}}));
  EXPECT_EQ(ledger_.free_mib(kA1), kT4 - 4096);
  EXPECT_EQ(ledger_.free_mib(kA4), kA100 - 40960);
  for (GpuIndex g : {kA0, GpuIndex{2}, GpuIndex{3}, kA5, kB0}) {
    EXPECT_EQ(ledger_.free_mib(g), ledger_.gpu(g).total_mib) << ledger_.GpuName(g);
  }
  EXPECT_EQ(ledger_.allocation_count(), 1u);
}

TEST_F(LedgerTest, AllocateMayTakeExactlyAllFreeMemory) {
  MustAllocate(1, On({{kA1, 10240}}));
  MustAllocate(2, On({{kA1, kT4 - 10240}}));
  EXPECT_EQ(ledger_.free_mib(kA1), 0);
}

TEST_F(LedgerTest, PlacementIsRecordedInAscendingGpuOrder) {
  MustAllocate(7, On({{kB0, 100}, {kA0, 200}, {kA4, 300}}));
  const Placement* p = ledger_.placement(7);
  ASSERT_NE(p, nullptr);
  EXPECT_THAT(p->slices, ElementsAre(Slice{kA0, 200}, Slice{kA4, 300}, Slice{kB0, 100}));
  EXPECT_EQ(ledger_.placement(8), nullptr);
}

TEST_F(LedgerTest, RefusesASliceLargerThanFreeMemoryNamingTheGpuAndBothAmounts) {
  MustAllocate(1, On({{kA1, 10240}}));  // node-a GPU 1 has 5120 MiB left
  const std::string message = Refused(2, On({{kA1, 6144}}), ErrorCode::kResourceExhausted);
  EXPECT_THAT(message, AllOf(HasSubstr("node-a GPU 1"), HasSubstr("5120"), HasSubstr("6144")));
  EXPECT_EQ(ledger_.placement(2), nullptr);
}

TEST_F(LedgerTest, RefusesASliceLargerThanTheWholeCard) {
  const std::string message = Refused(1, On({{kB0, kL4 + 1}}), ErrorCode::kResourceExhausted);
  EXPECT_THAT(message, AllOf(HasSubstr("node-b GPU 0"), HasSubstr("23034"), HasSubstr("23035")));
}

TEST_F(LedgerTest, RefusesTheWholePlacementWhenOnlyItsLastSliceDoesNotFit) {
  MustAllocate(1, On({{kA5, kA100 - 1024}}));
  // The first two slices fit; the third does not: nothing may be taken.
  const std::string message =
      Refused(2, On({{kA0, 1024}, {kA4, 2048}, {kA5, 2048}}), ErrorCode::kResourceExhausted);
  EXPECT_THAT(message, AllOf(HasSubstr("node-a GPU 5"), HasSubstr("1024"), HasSubstr("2048")));
}

TEST_F(LedgerTest, RefusesASecondPlacementForTheSameJob) {
  MustAllocate(1, On({{kA0, 1024}}));
  const std::string message = Refused(1, On({{kA1, 1024}}), ErrorCode::kAlreadyExists);
  EXPECT_THAT(message, HasSubstr("job 1"));
  EXPECT_THAT(ledger_.placement(1)->slices, ElementsAre(Slice{kA0, 1024}));
}

TEST_F(LedgerTest, RefusesAnEmptyPlacement) {
  Refused(1, Placement{}, ErrorCode::kInvalidArgument);
}

TEST_F(LedgerTest, RefusesAGpuNamedTwice) {
  const std::string message =
      Refused(1, On({{kA1, 1024}, {kA4, 1024}, {kA1, 1024}}), ErrorCode::kInvalidArgument);
  EXPECT_THAT(message, HasSubstr("node-a GPU 1"));
}

TEST_F(LedgerTest, RefusesAnUnknownGpuIndex) {
  Refused(1, On({{7, 1024}}), ErrorCode::kNotFound);  // one past the last GPU
  Refused(1, On({{-1, 1024}}), ErrorCode::kNotFound);
  Refused(1, On({{kA0, 1024}, {1000, 1024}}), ErrorCode::kNotFound);
}

TEST_F(LedgerTest, RefusesANonPositiveSlice) {
  EXPECT_THAT(Refused(1, On({{kA1, 0}}), ErrorCode::kInvalidArgument), HasSubstr("node-a GPU 1"));
  Refused(1, On({{kA1, -1024}}), ErrorCode::kInvalidArgument);
  Refused(1, On({{kA0, 1024}, {kA1, 0}}), ErrorCode::kInvalidArgument);
}

// --- Release --------------------------------------------------------------

TEST_F(LedgerTest, ReleaseFreesExactlyWhatTheJobTook) {
  MustAllocate(1, On({{kA0, 1000}, {kA4, 2000}}));
  MustAllocate(2, On({{kA0, 3000}}));
  const Status ok = ledger_.Release(1);
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_EQ(ledger_.free_mib(kA0), kT4 - 3000);  // job 2's slice stays
  EXPECT_EQ(ledger_.free_mib(kA4), kA100);
  EXPECT_EQ(ledger_.placement(1), nullptr);
  EXPECT_NE(ledger_.placement(2), nullptr);
  EXPECT_EQ(ledger_.allocation_count(), 1u);
}

TEST_F(LedgerTest, AReleasedJobMayAllocateAgain) {
  MustAllocate(1, On({{kA0, kT4}}));
  ASSERT_TRUE(ledger_.Release(1).has_value());
  MustAllocate(1, On({{kA0, kT4}}));
  EXPECT_EQ(ledger_.free_mib(kA0), 0);
}

TEST_F(LedgerTest, ReleaseRefusesAJobThatHoldsNothing) {
  MustAllocate(1, On({{kA0, 1024}}));
  const Observed before = Observe(ledger_);
  const Status unknown = ledger_.Release(99);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(unknown.error().message, HasSubstr("job 99"));
  EXPECT_EQ(Observe(ledger_), before);

  ASSERT_TRUE(ledger_.Release(1).has_value());
  const Status twice = ledger_.Release(1);
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().code, ErrorCode::kNotFound);
}

// --- jobs_on --------------------------------------------------------------

TEST_F(LedgerTest, JobsOnListsTheJobsOnAGpuInAllocationOrder) {
  MustAllocate(30, On({{kA0, 1024}}));
  MustAllocate(10, On({{kA0, 1024}, {kA4, 1024}}));
  MustAllocate(20, On({{kA0, 1024}}));
  EXPECT_THAT(ledger_.jobs_on(kA0), ElementsAre(30, 10, 20));
  EXPECT_THAT(ledger_.jobs_on(kA4), ElementsAre(10));
  EXPECT_THAT(ledger_.jobs_on(kA1), IsEmpty());

  ASSERT_TRUE(ledger_.Release(10).has_value());
  EXPECT_THAT(ledger_.jobs_on(kA0), ElementsAre(30, 20));
  EXPECT_THAT(ledger_.jobs_on(kA4), IsEmpty());
}

TEST_F(LedgerTest, MibOnListsEachJobsSliceParallelToJobsOn) {
  MustAllocate(30, On({{kA0, 3000}}));
  MustAllocate(10, On({{kA4, 1111}, {kA0, 1000}}));
  MustAllocate(20, On({{kA0, 2000}}));
  EXPECT_THAT(ledger_.mib_on(kA0), ElementsAre(3000, 1000, 2000));
  EXPECT_THAT(ledger_.mib_on(kA4), ElementsAre(1111));

  ASSERT_TRUE(ledger_.Release(10).has_value());
  EXPECT_THAT(ledger_.jobs_on(kA0), ElementsAre(30, 20));
  EXPECT_THAT(ledger_.mib_on(kA0), ElementsAre(3000, 2000));
  EXPECT_THAT(ledger_.mib_on(kA4), IsEmpty());
}

// --- AddNode and Create ---------------------------------------------------

TEST_F(LedgerTest, AddNodeGivesItsGpusTheNextIndices) {
  const auto n = ledger_.AddNode(
      Node("node-c", {Gpu(*catalog_.Find("H100")), Gpu(*catalog_.Find("T4"), 15000)}));
  ASSERT_TRUE(n.has_value()) << n.error().message;
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(ledger_.first_gpu(2), 7);
  EXPECT_EQ(ledger_.gpu_count(), 9);
  EXPECT_EQ(ledger_.gpu(7).total_mib, catalog_.type(*catalog_.Find("H100")).memory_mib);
  EXPECT_EQ(ledger_.gpu(8).total_mib, 15000);  // the spec's memory overrides the catalog's
  EXPECT_EQ(ledger_.free_mib(8), 15000);
  EXPECT_EQ(ledger_.GpuName(8), "node-c GPU 1");
  EXPECT_EQ(ledger_.FindNode("node-c"), 2);
}

TEST_F(LedgerTest, AddNodeRefusesADuplicateName) {
  const auto n = ledger_.AddNode(Node("node-b", {Gpu(*catalog_.Find("T4"))}));
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().code, ErrorCode::kAlreadyExists);
  EXPECT_THAT(n.error().message, HasSubstr("node-b"));
  EXPECT_EQ(ledger_.node_count(), 2);
  EXPECT_EQ(ledger_.gpu_count(), 7);
  EXPECT_EQ(ledger_.gpu(kB0).total_mib, kL4);
}

TEST_F(LedgerTest, AddNodeRefusesANodeWithoutGpus) {
  const auto n = ledger_.AddNode(Node("node-c", {}));
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(n.error().message, HasSubstr("node-c"));
  EXPECT_EQ(ledger_.node_count(), 2);
  EXPECT_EQ(ledger_.gpu_count(), 7);
  EXPECT_EQ(ledger_.FindNode("node-c"), std::nullopt);
}

TEST_F(LedgerTest, AddNodeRefusesAnUnknownGpuTypeNamingTheNode) {
  const auto bad_type = static_cast<GpuTypeId>(catalog_.size());
  const auto n = ledger_.AddNode(Node("node-c", {Gpu(bad_type)}));
  ASSERT_FALSE(n.has_value());
  EXPECT_THAT(n.error().message, HasSubstr("node-c"));
  EXPECT_EQ(ledger_.gpu_count(), 7);
}

TEST(LedgerCreateTest, CreateRefusesDuplicateNodeNamesNamingTheNode) {
  const GpuCatalog catalog = GpuCatalog::BuiltIn();
  const GpuTypeId t4 = *catalog.Find("T4");
  std::vector<NodeSpec> nodes = {Node("x", {Gpu(t4)}), Node("x", {Gpu(t4)})};
  const auto ledger = ClusterLedger::Create(&catalog, std::move(nodes));
  ASSERT_FALSE(ledger.has_value());
  EXPECT_EQ(ledger.error().code, ErrorCode::kAlreadyExists);
  EXPECT_THAT(ledger.error().message, HasSubstr("\"x\""));
}

TEST(LedgerCreateTest, CreateBuildsTheNodesInOrder) {
  const GpuCatalog catalog = GpuCatalog::BuiltIn();
  auto nodes = ParseCompactCluster("n1: 2xL4; n2: A100-40", catalog);
  ASSERT_TRUE(nodes.has_value());
  const auto ledger = ClusterLedger::Create(&catalog, std::move(*nodes));
  ASSERT_TRUE(ledger.has_value()) << ledger.error().message;
  EXPECT_EQ(ledger->gpu_count(), 3);
  EXPECT_EQ(ledger->GpuName(2), "n2 GPU 0");
  EXPECT_EQ(ledger->free_mib(2), 40960);
}

// --- drain and health -------------------------------------------------------

TEST_F(LedgerTest, DrainingANodeStopsNewWorkOnAllItsGpusAndKeepsAllocations) {
  MustAllocate(1, On({{kA0, 1024}}));
  ASSERT_TRUE(ledger_.SetDrained("node-a", true).has_value());
  EXPECT_TRUE(ledger_.node(0).drained);
  for (GpuIndex g = kA0; g <= kA5; ++g) EXPECT_FALSE(ledger_.Schedulable(g)) << ledger_.GpuName(g);
  EXPECT_TRUE(ledger_.Schedulable(kB0));
  EXPECT_EQ(ledger_.free_mib(kA0), kT4 - 1024);
  EXPECT_NE(ledger_.placement(1), nullptr);

  ASSERT_TRUE(ledger_.SetDrained("node-a", false).has_value());
  for (GpuIndex g = kA0; g <= kA5; ++g) EXPECT_TRUE(ledger_.Schedulable(g)) << ledger_.GpuName(g);
}

TEST_F(LedgerTest, AnUnhealthyNodeIsNotSchedulableUntilHealthyAgain) {
  ASSERT_TRUE(ledger_.SetNodeHealthy("node-b", false).has_value());
  EXPECT_FALSE(ledger_.node(1).healthy);
  EXPECT_FALSE(ledger_.Schedulable(kB0));
  EXPECT_TRUE(ledger_.Schedulable(kA0));
  ASSERT_TRUE(ledger_.SetNodeHealthy("node-b", true).has_value());
  EXPECT_TRUE(ledger_.Schedulable(kB0));
}

TEST_F(LedgerTest, AnUnhealthyGpuIsNotSchedulableButItsNeighboursAre) {
  ASSERT_TRUE(ledger_.SetGpuHealthy(kA1, false).has_value());
  EXPECT_FALSE(ledger_.gpu(kA1).healthy);
  EXPECT_FALSE(ledger_.node(0).gpus[1].healthy);
  EXPECT_FALSE(ledger_.Schedulable(kA1));
  EXPECT_TRUE(ledger_.Schedulable(kA0));
  ASSERT_TRUE(ledger_.SetGpuHealthy(kA1, true).has_value());
  EXPECT_TRUE(ledger_.Schedulable(kA1));
}

TEST_F(LedgerTest, DrainAndHealthAreIndependentConditions) {
  ASSERT_TRUE(ledger_.SetDrained("node-b", true).has_value());
  ASSERT_TRUE(ledger_.SetNodeHealthy("node-b", false).has_value());
  ASSERT_TRUE(ledger_.SetDrained("node-b", false).has_value());
  EXPECT_FALSE(ledger_.Schedulable(kB0));  // still unhealthy
  ASSERT_TRUE(ledger_.SetNodeHealthy("node-b", true).has_value());
  EXPECT_TRUE(ledger_.Schedulable(kB0));
}

TEST_F(LedgerTest, DrainAndHealthRefuseUnknownNodesAndGpus) {
  const Status drained = ledger_.SetDrained("node-z", true);
  ASSERT_FALSE(drained.has_value());
  EXPECT_EQ(drained.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(drained.error().message, HasSubstr("node-z"));

  const Status healthy = ledger_.SetNodeHealthy("node-z", false);
  ASSERT_FALSE(healthy.has_value());
  EXPECT_EQ(healthy.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(healthy.error().message, HasSubstr("node-z"));

  for (GpuIndex bad : {GpuIndex{-1}, GpuIndex{7}}) {
    const Status gpu = ledger_.SetGpuHealthy(bad, false);
    ASSERT_FALSE(gpu.has_value()) << bad;
    EXPECT_EQ(gpu.error().code, ErrorCode::kNotFound);
  }
  for (GpuIndex g = 0; g < ledger_.gpu_count(); ++g) EXPECT_TRUE(ledger_.Schedulable(g));
}

}  // namespace
}  // namespace gpusched
