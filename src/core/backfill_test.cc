// No head-of-line blocking (rule 4): smaller jobs use GPUs a big waiting job
// cannot use, while the big job's reservation keeps it from starving.
#include <gtest/gtest.h>

#include "world.h"

namespace gpusched::testing {
namespace {

constexpr Duration kHour{3600};

// node-a: two A10s, one busy with a job predicted to end in one hour.
World HalfBusy() {
  World w("node-a: 2xA10");
  w.policy.enable_preemption = false;
  w.Run(w.NewJob(1).Class("medium").Exclusive().Epochs(10, Duration(360)).Started(w.now), "node-a", {0});
  return w;
}

TEST(Backfill, SmallJobsRunWhileABigGangWaits) {
  World w = HalfBusy();
  w.Queue(w.NewJob(2).Class("high").Gpus(2).Mem(GiB(20)));  // needs both GPUs
  w.Queue(w.NewJob(3).Class("low").Mem(GiB(4)).Epochs(1, Duration(600)));  // 10 min on a T4
  CycleResult r = w.Cycle();
  ASSERT_NE(FindWait(r, 2), nullptr);
  EXPECT_EQ(FindWait(r, 2)->code, WaitCode::kReserved) << FindWait(r, 2)->reason;
  ASSERT_NE(FindBind(r, 3), nullptr) << ToText(r);
  EXPECT_NE(FindBind(r, 3)->reason.find("backfills"), std::string::npos) << FindBind(r, 3)->reason;
}

TEST(Backfill, BigJobGetsAReservationWithAPredictedStart) {
  World w = HalfBusy();
  w.Queue(w.NewJob(2).Class("high").Gpus(2).Mem(GiB(20)));
  CycleResult r = w.Cycle();
  const Wait* wait = FindWait(r, 2);
  ASSERT_NE(wait, nullptr);
  ASSERT_TRUE(wait->predicted_start.has_value());
  // Job 1: 10 epochs of 360 s on a T4, on an A10 at 2x speed: 30 min.
  EXPECT_EQ(*wait->predicted_start, w.now + Duration(1800));
}

TEST(Backfill, LearnedEpochTimesMoveThePredictedStart) {
  World w("node-a: 2xA10");
  w.policy.enable_preemption = false;
  w.Run(w.NewJob(1).Class("medium").Exclusive().ModelKey("yolov8x/detect").Epochs(10, Duration(360)), "node-a",
        {0});
  // Agents reported 60 s epochs for this model on A10s, not the 180 s the
  // user's T4 estimate scales to.
  w.runtime.ObserveEpoch("yolov8x/detect", *w.catalog.Find("A10"), Duration(60));
  w.Queue(w.NewJob(2).Class("high").Gpus(2).Mem(GiB(20)));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindWait(r, 2), nullptr);
  ASSERT_TRUE(FindWait(r, 2)->predicted_start.has_value());
  EXPECT_EQ(*FindWait(r, 2)->predicted_start, w.now + Duration(600));
}

TEST(Backfill, LongSmallJobMayNotTakeReservedCapacity) {
  World w = HalfBusy();
  w.Queue(w.NewJob(2).Class("high").Gpus(2).Mem(GiB(20)));
  w.Queue(w.NewJob(3).Class("low").Mem(GiB(4)).Epochs(100, Duration(600)));  // many hours
  CycleResult r = w.Cycle();
  EXPECT_EQ(FindBind(r, 3), nullptr);
  ASSERT_NE(FindWait(r, 3), nullptr);
  EXPECT_EQ(FindWait(r, 3)->code, WaitCode::kBehindReservation) << FindWait(r, 3)->reason;
  EXPECT_NE(FindWait(r, 3)->reason.find("reserved for job 2"), std::string::npos) << FindWait(r, 3)->reason;
}

TEST(Backfill, JobWithUnknownRuntimeMayNotTakeReservedCapacity) {
  World w = HalfBusy();
  w.Queue(w.NewJob(2).Class("high").Gpus(2).Mem(GiB(20)));
  w.Queue(w.NewJob(3).Class("low").Mem(GiB(4)));
  CycleResult r = w.Cycle();
  EXPECT_EQ(FindBind(r, 3), nullptr);
}

TEST(Backfill, JobsFitAroundAReservationOnOtherGpus) {
  World w("node-a: 2xA10; node-b: 1xT4");
  w.policy.enable_preemption = false;
  w.Run(w.NewJob(1).Class("medium").Exclusive().Epochs(10, Duration(360)), "node-a", {0});
  w.Queue(w.NewJob(2).Class("high").Gpus(2).Mem(GiB(20)));
  w.Queue(w.NewJob(3).Class("low").Mem(GiB(4)));  // unknown runtime, but node-b is free
  CycleResult r = w.Cycle();
  ASSERT_NE(FindBind(r, 3), nullptr);
  EXPECT_EQ(WhereBound(w, *FindBind(r, 3)), "node-b GPU 0");
}

TEST(Backfill, BigJobEventuallyStarts) {
  World w = HalfBusy();
  w.Queue(w.NewJob(2).Class("high").Gpus(2).Mem(GiB(20)));
  for (JobId id = 3; id < 10; ++id) w.Queue(w.NewJob(id).Class("low").Mem(GiB(4)).Epochs(100, Duration(600)));
  // Job 1 ends; the ledger frees its GPU.
  w.Apply(w.Cycle());
  ASSERT_TRUE(w.ledger.Release(1));
  w.jobs.erase(w.jobs.begin());
  w.Advance(Duration(1800));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindBind(r, 2), nullptr) << ToText(r);
}

TEST(Backfill, BigJobHoldsCapacityEvenWhenNoRuntimeIsKnown) {
  World w("n: 1xT4");
  w.policy.enable_preemption = false;
  w.Run(w.NewJob(1).Class("medium").Mem(GiB(8)), "n", {0});  // no runtime estimate
  w.Queue(w.NewJob(2).Class("medium").Mem(GiB(12)));
  w.Queue(w.NewJob(3).Class("low").Mem(GiB(4)).Epochs(1, Duration(60)));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindWait(r, 2), nullptr);
  EXPECT_EQ(FindWait(r, 2)->code, WaitCode::kReserved);
  EXPECT_FALSE(FindWait(r, 2)->predicted_start.has_value());
  EXPECT_NE(FindWait(r, 2)->reason.find("start unknown"), std::string::npos) << FindWait(r, 2)->reason;
  EXPECT_EQ(FindBind(r, 3), nullptr) << "even a short job may not take memory held for an unknown start";
}

TEST(Backfill, ReservationsAreBoundedPerCycle) {
  World w("node-a: 1xA10");
  w.policy.enable_preemption = false;
  w.policy.max_reservations = 1;
  w.Run(w.NewJob(1).Class("medium").Exclusive().Epochs(10, Duration(360)), "node-a", {0});
  w.Queue(w.NewJob(2).Class("high").Mem(GiB(20)));
  w.Queue(w.NewJob(3).Class("high").Mem(GiB(20)));
  CycleResult r = w.Cycle();
  EXPECT_EQ(FindWait(r, 2)->code, WaitCode::kReserved);
  EXPECT_NE(FindWait(r, 3)->code, WaitCode::kReserved);
}

}  // namespace
}  // namespace gpusched::testing
