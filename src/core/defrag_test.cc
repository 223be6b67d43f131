// Defragmentation (rule 9): when free memory on a node is enough in total but
// split across GPUs, move small preemptible jobs to open one large slice.
#include <gtest/gtest.h>

#include "world.h"

namespace gpusched::testing {
namespace {

constexpr Duration kHour{3600};

// Two A10s (22.5 GiB): 10.5 GiB free on GPU 0 and 18.5 GiB free on GPU 1.
World Scattered() {
  World w("n: 2xA10");
  w.Run(w.NewJob(1).Class("low").Mem(GiB(12)).Started(w.now - kHour).CheckpointAt(w.now - Duration(600)), "n",
        {0});
  w.Run(w.NewJob(2).Class("low").Mem(GiB(4)).Started(w.now - kHour).CheckpointAt(w.now - Duration(60)), "n",
        {1});
  return w;
}

TEST(Defrag, MovesASmallJobToOpenASliceLargeEnough) {
  World w = Scattered();
  w.Queue(w.NewJob(3).Class("high").Mem(GiB(20)));
  CycleResult r = w.Cycle();
  const DefragPlan* d = FindDefrag(r, 3);
  ASSERT_NE(d, nullptr) << ToText(r);
  EXPECT_TRUE(r.preemptions.empty()) << "moving beats stopping";
  ASSERT_EQ(d->moves.size(), 1u);
  EXPECT_EQ(d->moves[0].job, 2u) << "the job with least work at risk moves";
  EXPECT_EQ(d->moves[0].to.slices[0].gpu, w.Gpu("n", 0));
  EXPECT_EQ(d->nominated.slices[0].gpu, w.Gpu("n", 1));
  EXPECT_EQ(d->nominated.slices[0].memory_mib, GiB(20));
  EXPECT_NE(d->reason.find("split across GPUs"), std::string::npos) << d->reason;
}

TEST(Defrag, MovedJobsObeyThePreemptionRules) {
  World w = Scattered();
  w.job(2).preemptible = false;
  w.job(1).preempted_at.push_back(w.now - kHour);  // at its limit
  w.Queue(w.NewJob(3).Class("high").Mem(GiB(20)));
  CycleResult r = w.Cycle();
  EXPECT_TRUE(r.defrags.empty());
}

TEST(Defrag, HigherPriorityJobsAreNotMovedForLowerOnes) {
  World w = Scattered();
  w.Queue(w.NewJob(3).Class("batch").Mem(GiB(20)));
  EXPECT_TRUE(w.Cycle().defrags.empty());
}

TEST(Defrag, NotWhenTheNodeLacksTheMemoryInTotal) {
  World w("n: 2xA10");
  w.Run(w.NewJob(1).Class("low").Mem(GiB(16)).Started(w.now - kHour), "n", {0});
  w.Run(w.NewJob(2).Class("low").Mem(GiB(16)).Started(w.now - kHour), "n", {1});
  w.Queue(w.NewJob(3).Class("high").Mem(GiB(20)));
  CycleResult r = w.Cycle();
  EXPECT_TRUE(r.defrags.empty());
  EXPECT_FALSE(r.preemptions.empty());
}

TEST(Defrag, FrozenClusterIsNotDefragmented) {
  World w = Scattered();
  w.freezes.push_back(Freeze{FreezeScope::kCluster, "", w.now + kHour});
  w.Queue(w.NewJob(3).Class("high").Mem(GiB(20)));
  EXPECT_TRUE(w.Cycle().defrags.empty());
}

TEST(Defrag, CanBeDisabled) {
  World w = Scattered();
  w.policy.enable_defrag = false;
  w.Queue(w.NewJob(3).Class("high").Mem(GiB(20)));
  CycleResult r = w.Cycle();
  EXPECT_TRUE(r.defrags.empty());
  EXPECT_FALSE(r.preemptions.empty());
}

TEST(Defrag, MovedCapacityIsNotGivenAwayInTheSameCycle) {
  World w = Scattered();
  w.Queue(w.NewJob(3).Class("high").Mem(GiB(20)));
  w.Queue(w.NewJob(4).Class("low").Mem(GiB(8)));  // would fit in GPU 0's 10.5 GiB
  CycleResult r = w.Cycle();
  ASSERT_NE(FindDefrag(r, 3), nullptr);
  EXPECT_EQ(FindBind(r, 4), nullptr) << "GPU 0's room is promised to the moved job";
}

}  // namespace
}  // namespace gpusched::testing

namespace gpusched::testing {
namespace {

TEST(Defrag, ExclusiveAndFractionalJobsAreNotMoved) {
  World w("n: 2xA10");
  w.Run(w.NewJob(1).Class("low").Exclusive().Started(w.now - Duration(3600)), "n", {0});
  w.Run(w.NewJob(2).Class("low").Fraction(200).Started(w.now - Duration(3600)), "n", {1});
  w.Queue(w.NewJob(3).Class("high").Mem(GiB(20)));
  CycleResult r = w.Cycle();
  EXPECT_TRUE(r.defrags.empty()) << ToText(r);
}

TEST(Defrag, NeedsTheRightToPreempt) {
  {
    World w = Scattered();
    w.policy.enable_preemption = false;
    w.Queue(w.NewJob(3).Class("high").Mem(GiB(20)));
    EXPECT_TRUE(w.Cycle().defrags.empty());
  }
  {
    World w = Scattered();
    PriorityClass ops{"ops", 900, PreemptionPolicy::kNever, std::nullopt, Duration(0), Duration(30)};
    ASSERT_TRUE(w.classes.Add(ops));
    w.Queue(w.NewJob(3).Class("ops").Mem(GiB(20)));
    EXPECT_TRUE(w.Cycle().defrags.empty());
  }
}

}  // namespace
}  // namespace gpusched::testing
