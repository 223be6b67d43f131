// Each compared policy's defining behaviour, on the real scheduling core.
#include "sim/policies.h"

#include <gtest/gtest.h>

#include "world.h"

namespace gpusched::sim {
namespace {

using testing::FindBind;
using testing::FindPreemption;
using testing::FindWait;
using testing::VictimIds;
using testing::World;

constexpr Duration kHour{3600};

World With(std::string_view policy, std::string_view cluster) {
  World w(cluster);
  auto p = PolicyNamed(policy, PolicyConfig{});
  EXPECT_TRUE(p.has_value());
  if (p) w.policy = *p;
  return w;
}

TEST(Policies, FifoServesSubmissionOrderAndNothingPassesABlockedJob) {
  World w = With("fifo", "n: 1xT4");
  w.Run(w.NewJob(1).Class("batch").Mem(GiB(8)).Started(w.now - kHour), "n", {0});
  w.Queue(w.NewJob(2).Class("batch").Mem(GiB(12)).Submitted(w.now - Duration(60)));
  w.Queue(w.NewJob(3).Class("critical").Mem(GiB(4)));
  CycleResult r = w.Cycle();
  EXPECT_TRUE(r.binds.empty());
  EXPECT_TRUE(r.preemptions.empty());
  ASSERT_NE(FindWait(r, 3), nullptr);
  EXPECT_EQ(FindWait(r, 3)->position, 2);
}

TEST(Policies, PriorityServesClassesFirstButNeverPreempts) {
  World w = With("priority", "n: 1xT4");
  w.Run(w.NewJob(1).Class("batch").Mem(GiB(12)).Started(w.now - kHour), "n", {0});
  w.Queue(w.NewJob(2).Class("batch").Mem(GiB(2)).Submitted(w.now - Duration(60)));
  w.Queue(w.NewJob(3).Class("critical").Mem(GiB(8)));
  CycleResult r = w.Cycle();
  EXPECT_TRUE(r.preemptions.empty());
  ASSERT_NE(FindWait(r, 3), nullptr);
  EXPECT_EQ(FindWait(r, 3)->position, 1);
  EXPECT_EQ(FindBind(r, 2), nullptr) << "strict order: the small batch job may not pass";
}

TEST(Policies, K8sPreemptsTheNewestLowPriorityJobIgnoringCheckpointsAndLimits) {
  World w = With("k8s", "a: 1xT4; b: 1xT4");
  // Job 1: started long ago, checkpointed just now. Job 2: started recently,
  // never checkpointed, and already preempted today. Kubernetes takes job 2.
  w.Run(w.NewJob(1).Class("low").Mem(GiB(12)).Started(w.now - 5 * kHour).CheckpointAt(w.now), "a", {0});
  w.Run(w.NewJob(2).Class("low").Mem(GiB(12)).Started(w.now - Duration(60)).PreemptedAt(w.now - kHour), "b",
        {0});
  w.Queue(w.NewJob(3).Class("critical").Mem(GiB(12)));
  CycleResult r = w.Cycle();
  const Preemption* p = FindPreemption(r, 3);
  ASSERT_NE(p, nullptr) << ToText(r);
  EXPECT_EQ(VictimIds(*p), std::vector<JobId>{2});
}

TEST(Policies, K8sIgnoresGuaranteedFloors) {
  World w = With("k8s", "n: 1xT4");
  w.AddTenant("research", 1);
  w.AddTenant("quality", 0);
  w.Run(w.NewJob(1).Tenant("research").Class("low").Mem(GiB(12)).Started(w.now - kHour), "n", {0});
  w.Queue(w.NewJob(2).Tenant("quality").Class("critical").Mem(GiB(12)));
  EXPECT_EQ(w.Cycle().preemptions.size(), 1u);
}

TEST(Policies, GpuschedChoosesTheVictimThatLosesLeastAndRespectsLimits) {
  World w = With("gpusched", "a: 1xT4; b: 1xT4");
  w.Run(w.NewJob(1).Class("low").Mem(GiB(12)).Started(w.now - 5 * kHour).CheckpointAt(w.now), "a", {0});
  w.Run(w.NewJob(2).Class("low").Mem(GiB(12)).Started(w.now - Duration(600)).PreemptedAt(w.now - kHour), "b",
        {0});
  w.Queue(w.NewJob(3).Class("critical").Mem(GiB(12)));
  CycleResult r = w.Cycle();
  const Preemption* p = FindPreemption(r, 3);
  ASSERT_NE(p, nullptr) << ToText(r);
  EXPECT_EQ(VictimIds(*p), std::vector<JobId>{1});
}

TEST(Policies, UnknownNamesAreRefusedNamingTheKnownOnes) {
  auto p = PolicyNamed("slurm", PolicyConfig{});
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().message, "unknown policy \"slurm\"; known: fifo, priority, k8s, gpusched");
}

TEST(Policies, ListsParseInOrderAndRefuseRepeatsAndUnknowns) {
  auto list = ParsePolicyList("fifo, k8s,gpusched");
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(*list, (std::vector<std::string_view>{"fifo", "k8s", "gpusched"}));
  EXPECT_FALSE(ParsePolicyList("").has_value());
  EXPECT_FALSE(ParsePolicyList("fifo,fifo").has_value());
  EXPECT_FALSE(ParsePolicyList("fifo,lottery").has_value());
}

}  // namespace
}  // namespace gpusched::sim
