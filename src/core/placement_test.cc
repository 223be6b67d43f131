// Filter and Score: where a job lands when it fits, and the reason when not.
#include <gtest/gtest.h>

#include "world.h"

namespace gpusched::testing {
namespace {

TEST(Placement, SmallJobTakesTheSmallestCardThatFits) {
  World w("big: 1xA100-80; mid: 1xA10; small: 1xT4");
  w.Queue(w.NewJob(1).Mem(GiB(4)));
  CycleResult r = w.Cycle();
  const Bind* b = FindBind(r, 1);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(WhereBound(w, *b), "small GPU 0");
  EXPECT_NE(b->reason.find("smallest card that fits"), std::string::npos) << b->reason;
}

TEST(Placement, BigJobSkipsCardsTooSmallForIt) {
  World w("small: 2xT4; big: 1xA100-40");
  w.Queue(w.NewJob(1).Mem(GiB(18)));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindBind(r, 1), nullptr);
  EXPECT_EQ(WhereBound(w, *FindBind(r, 1)), "big GPU 0");
}

TEST(Placement, AmongEqualCardsTheLeastLeftoverWins) {
  World w("n: 3xT4");
  w.Run(w.NewJob(1).Mem(GiB(8)), "n", {1});   // GPU 1 has 7 GiB free
  w.Run(w.NewJob(2).Mem(GiB(4)), "n", {2});   // GPU 2 has 11 GiB free
  w.Queue(w.NewJob(3).Mem(GiB(6)));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindBind(r, 3), nullptr);
  EXPECT_EQ(WhereBound(w, *FindBind(r, 3)), "n GPU 1");
}

TEST(Placement, CacheLocalityBreaksTiesBetweenEqualCards) {
  World w("cold: 1xT4; warm: 1xT4 [image:yolo, dataset:scratches]");
  w.Queue(w.NewJob(1).Mem(GiB(4)).Image("yolo").Dataset("scratches"));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindBind(r, 1), nullptr);
  EXPECT_EQ(WhereBound(w, *FindBind(r, 1)), "warm GPU 0");
}

TEST(Placement, OnlyAcceptableGpuTypes) {
  World w("a: 1xT4; b: 1xL4");
  w.Queue(w.NewJob(1).Mem(GiB(4)).Types({"L4"}));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindBind(r, 1), nullptr);
  EXPECT_EQ(WhereBound(w, *FindBind(r, 1)), "b GPU 0");
}

TEST(Placement, DrainedAndUnhealthyNodesGetNoNewWork) {
  World w("drained: 1xT4; sick: 1xT4; ok: 1xA100-80");
  ASSERT_TRUE(w.ledger.SetDrained("drained", true));
  ASSERT_TRUE(w.ledger.SetNodeHealthy("sick", false));
  w.Queue(w.NewJob(1).Mem(GiB(4)));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindBind(r, 1), nullptr);
  EXPECT_EQ(WhereBound(w, *FindBind(r, 1)), "ok GPU 0");
}

TEST(Placement, UnhealthyGpuGetsNoNewWork) {
  World w("n: 2xT4");
  ASSERT_TRUE(w.ledger.SetGpuHealthy(w.Gpu("n", 0), false));
  w.Queue(w.NewJob(1).Mem(GiB(4)));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindBind(r, 1), nullptr);
  EXPECT_EQ(WhereBound(w, *FindBind(r, 1)), "n GPU 1");
}

TEST(Placement, GangGetsAllItsGpusOnOneNodeAtOnce) {
  World w("two: 2xA10; four: 4xA10");
  w.Queue(w.NewJob(1).Gpus(4).Mem(GiB(10)));
  CycleResult r = w.Cycle();
  const Bind* b = FindBind(r, 1);
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->placement.slices.size(), 4u);
  for (const Slice& s : b->placement.slices) EXPECT_EQ(w.ledger.node(w.ledger.gpu(s.gpu).node).name, "four");
}

TEST(Placement, GangThatFitsOnNoSingleNodeWaitsUnlessAllowedToSpanNodes) {
  World w("a: 2xA10; b: 2xA10");
  w.Queue(w.NewJob(1).Gpus(3).Mem(GiB(10)));
  w.Queue(w.NewJob(2).Gpus(3).Mem(GiB(10)).MultiNode());
  CycleResult r = w.Cycle();
  EXPECT_EQ(FindBind(r, 1), nullptr);
  ASSERT_NE(FindWait(r, 1), nullptr);
  EXPECT_EQ(FindWait(r, 1)->code, WaitCode::kInfeasible);
  EXPECT_EQ(FindWait(r, 1)->reason, "needs 3 GPUs with 10 GiB each on one node; no node has more than 2");
  ASSERT_NE(FindBind(r, 2), nullptr);
  EXPECT_EQ(FindBind(r, 2)->placement.slices.size(), 3u);
}

TEST(Placement, ExclusiveJobNeedsAnEmptyGpuAndTakesAllOfIt) {
  World w("n: 2xT4");
  w.Run(w.NewJob(1).Mem(GiB(1)), "n", {0});
  w.Queue(w.NewJob(2).Exclusive());
  CycleResult r = w.Cycle();
  const Bind* b = FindBind(r, 2);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(WhereBound(w, *b), "n GPU 1");
  EXPECT_EQ(b->placement.slices[0].memory_mib, w.ledger.gpu(w.Gpu("n", 1)).total_mib);
}

TEST(Placement, FractionalJobReservesThatShareOfTheCardItLandsOn) {
  World w("n: 1xA100-80");
  w.Queue(w.NewJob(1).Fraction(600));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindBind(r, 1), nullptr);
  EXPECT_EQ(FindBind(r, 1)->placement.slices[0].memory_mib, (GiB(80) * 600 + 999) / 1000);
}

TEST(Placement, JobsShareAGpuByMemoryWithoutOvercommitting) {
  World w("n: 1xA100-80");
  for (JobId id = 1; id <= 5; ++id) w.Queue(w.NewJob(id).Mem(GiB(18)));
  CycleResult r = w.Cycle();
  EXPECT_EQ(r.binds.size(), 4u);  // 4 x 18 = 72 GiB of 80
  ASSERT_NE(FindWait(r, 5), nullptr);
  EXPECT_EQ(FindWait(r, 5)->reason.rfind("needs 18 GiB on one GPU; largest free slice is 8 GiB on n GPU 0", 0), 0u)
      << FindWait(r, 5)->reason;
}

TEST(Placement, ReasonNamesTheBindingConstraint) {
  World w("node-1: 1xT4; node-3: 2xRTX3060");
  w.Run(w.NewJob(1).Mem(GiB(12)), "node-1", {0});
  w.Run(w.NewJob(2).Mem(GiB(12)), "node-3", {0});
  w.Run(w.NewJob(3).Mem(GiB(6)), "node-3", {1});
  w.policy.enable_preemption = false;
  w.policy.enable_reservations = false;
  w.Queue(w.NewJob(4).Mem(GiB(12)));
  CycleResult r = w.Cycle();
  const Wait* wait = FindWait(r, 4);
  ASSERT_NE(wait, nullptr);
  EXPECT_EQ(wait->code, WaitCode::kNoCapacity);
  EXPECT_EQ(wait->reason.rfind("needs 12 GiB on one GPU; largest free slice is 6 GiB on node-3 GPU 1", 0), 0u)
      << wait->reason;
}

TEST(Placement, MemoryLargerThanAnyCardIsInfeasible) {
  World w("n: 2xA100-40");
  w.Queue(w.NewJob(1).Mem(GiB(60)));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindWait(r, 1), nullptr);
  EXPECT_EQ(FindWait(r, 1)->code, WaitCode::kInfeasible);
  EXPECT_EQ(FindWait(r, 1)->reason, "needs 60 GiB per GPU; the largest acceptable GPU (A100-40) has 40 GiB");
}

TEST(Placement, AllCandidateGpusDrainedIsNotInfeasibleButSaysWhy) {
  World w("n: 1xT4");
  ASSERT_TRUE(w.ledger.SetDrained("n", true));
  w.Queue(w.NewJob(1).Mem(GiB(4)));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindWait(r, 1), nullptr);
  EXPECT_EQ(FindWait(r, 1)->code, WaitCode::kNoCapacity);
  EXPECT_NE(FindWait(r, 1)->reason.find("drained or unhealthy"), std::string::npos);
}

}  // namespace
}  // namespace gpusched::testing
