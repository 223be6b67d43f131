// Queue order (rules 3 and 4): effective priority, boosts, SLA pressure,
// age, submit time; and FIFO for the baseline.
#include <gtest/gtest.h>

#include "world.h"

namespace gpusched::testing {
namespace {

constexpr Duration kMinute{60};

// One T4 that fits one 12 GiB job: whoever is first in line gets it.
World OneSlot() {
  World w("n: 1xT4");
  w.policy.enable_preemption = false;
  w.policy.enable_reservations = false;
  return w;
}

JobId Winner(const World& w) {
  CycleResult r = w.Cycle();
  EXPECT_EQ(r.binds.size(), 1u) << ToText(r);
  return r.binds.empty() ? 0 : r.binds[0].job;
}

int Position(const CycleResult& r, JobId id) {
  const Wait* wait = FindWait(r, id);
  return wait ? wait->position : 0;
}

TEST(QueueOrder, HigherClassGoesFirstWhateverTheArrivalOrder) {
  World w = OneSlot();
  w.Queue(w.NewJob(1).Class("batch").Mem(GiB(12)).Submitted(w.now - 10 * kMinute));
  w.Queue(w.NewJob(2).Class("critical").Mem(GiB(12)));
  EXPECT_EQ(Winner(w), 2u);
}

TEST(QueueOrder, WithinAClassTheOldestGoesFirst) {
  World w = OneSlot();
  w.Queue(w.NewJob(1).Class("medium").Mem(GiB(12)).Submitted(w.now - kMinute));
  w.Queue(w.NewJob(2).Class("medium").Mem(GiB(12)).Submitted(w.now - 5 * kMinute));
  EXPECT_EQ(Winner(w), 2u);
}

TEST(QueueOrder, RequeuedJobKeepsItsPlaceByEligibility) {
  World w = OneSlot();
  // Job 1 was submitted later but has been eligible longer (it was preempted
  // and requeued with its original eligibility).
  w.Queue(w.NewJob(1).Class("medium").Mem(GiB(12)).Submitted(w.now - kMinute));
  w.job(1).eligible_since = w.now - 30 * kMinute;
  w.Queue(w.NewJob(2).Class("medium").Mem(GiB(12)).Submitted(w.now - 5 * kMinute));
  EXPECT_EQ(Winner(w), 1u);
}

TEST(QueueOrder, SubmitTimeThenIdBreakTies) {
  World w = OneSlot();
  w.Queue(w.NewJob(7).Class("medium").Mem(GiB(12)));
  w.Queue(w.NewJob(3).Class("medium").Mem(GiB(12)));
  EXPECT_EQ(Winner(w), 3u);
}

TEST(QueueOrder, BoostRaisesAJobToItsBoostClassUntilItExpires) {
  World w = OneSlot();
  w.Queue(w.NewJob(1).Class("high").Mem(GiB(12)).Submitted(w.now - 10 * kMinute));
  w.Queue(w.NewJob(2).Class("low").Mem(GiB(12)).BoostTo("critical", w.now + 30 * kMinute));
  EXPECT_EQ(Winner(w), 2u);
  w.Advance(31 * kMinute);
  EXPECT_EQ(Winner(w), 1u);
}

TEST(QueueOrder, BoostToAnUnknownClassIsIgnored) {
  World w = OneSlot();
  w.Queue(w.NewJob(1).Class("high").Mem(GiB(12)).Submitted(w.now - 10 * kMinute));
  w.Queue(w.NewJob(2).Class("low").Mem(GiB(12)).BoostTo("urgent", w.now + 30 * kMinute));
  EXPECT_EQ(Winner(w), 1u);
}

TEST(QueueOrder, SlaPressureLetsAJobNearItsDeadlinePassYoungerPeers) {
  World w = OneSlot();
  // high: 95 % start within 30 min. Pressure starts at half the bound. Job 1
  // waited 25 min; job 2 (same class, higher id, older eligibility by a
  // hair would win on age) has no pressure yet.
  w.Queue(w.NewJob(1).Class("high").Mem(GiB(12)).Submitted(w.now - 25 * kMinute));
  w.Queue(w.NewJob(2).Class("high").Mem(GiB(12)).Submitted(w.now - 2 * kMinute));
  CycleResult r = w.Cycle();
  EXPECT_EQ(r.binds.at(0).job, 1u);
}

TEST(QueueOrder, SlaPressureNeverLiftsAJobAboveAHigherClass) {
  World w = OneSlot();
  // A low job far past its 8 h target still ranks below a fresh medium job.
  w.Queue(w.NewJob(1).Class("low").Mem(GiB(12)).Submitted(w.now - 20 * 60 * kMinute));
  w.Queue(w.NewJob(2).Class("medium").Mem(GiB(12)));
  EXPECT_EQ(Winner(w), 2u);
}

TEST(QueueOrder, WaitsCarryTheirQueuePosition) {
  World w = OneSlot();
  w.Run(w.NewJob(9).Class("critical").Mem(GiB(12)), "n", {0});
  w.Queue(w.NewJob(1).Class("low").Mem(GiB(12)));
  w.Queue(w.NewJob(2).Class("high").Mem(GiB(12)));
  w.Queue(w.NewJob(3).Class("medium").Mem(GiB(12)));
  CycleResult r = w.Cycle();
  EXPECT_EQ(Position(r, 2), 1);
  EXPECT_EQ(Position(r, 3), 2);
  EXPECT_EQ(Position(r, 1), 3);
}

TEST(QueueOrder, FifoIgnoresClassesAndStopsAtTheFirstBlockedJob) {
  World w("n: 1xT4");
  w.policy.queue_order = QueueOrderKind::kFifo;
  w.policy.enable_preemption = false;
  w.policy.enable_backfill = false;
  w.Run(w.NewJob(9).Class("batch").Mem(GiB(8)), "n", {0});
  w.Queue(w.NewJob(1).Class("batch").Mem(GiB(12)).Submitted(w.now - 2 * kMinute));  // does not fit
  w.Queue(w.NewJob(2).Class("critical").Mem(GiB(4)).Submitted(w.now - kMinute));  // would fit
  CycleResult r = w.Cycle();
  EXPECT_TRUE(r.binds.empty());
  ASSERT_NE(FindWait(r, 2), nullptr);
  EXPECT_EQ(FindWait(r, 2)->reason, "waits behind job 1 (strict order, no backfill)");
}

TEST(QueueOrder, UnknownClassWaitsAsInfeasibleAndSaysSo) {
  World w = OneSlot();
  w.Queue(w.NewJob(1).Class("urgent").Mem(GiB(4)));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindWait(r, 1), nullptr);
  EXPECT_EQ(FindWait(r, 1)->code, WaitCode::kInfeasible);
  EXPECT_EQ(FindWait(r, 1)->reason, "unknown class \"urgent\"");
}

}  // namespace
}  // namespace gpusched::testing

namespace gpusched::testing {
namespace {

TEST(QueueOrder, SlaPressureStaysBelowTheNextClassEvenWhenClassesAreClose) {
  World w("n: 1xT4");
  w.policy.enable_preemption = false;
  w.policy.enable_reservations = false;
  ASSERT_TRUE(w.classes.Add(PriorityClass{"gold", 520, PreemptionPolicy::kPreemptLowerPriority, std::nullopt,
                                          Duration(300), Duration(30)}));
  ASSERT_TRUE(w.classes.Add(PriorityClass{"silver", 510, PreemptionPolicy::kPreemptLowerPriority,
                                          SlaTarget{95, Duration(600)}, Duration(300), Duration(30)}));
  w.Queue(w.NewJob(1).Class("silver").Mem(GiB(12)).Submitted(w.now - Duration(3600)));
  w.Queue(w.NewJob(2).Class("gold").Mem(GiB(12)));
  CycleResult r = w.Cycle();
  ASSERT_EQ(r.binds.size(), 1u);
  EXPECT_EQ(r.binds[0].job, 2u);
}

TEST(QueueOrder, SlaPressureDoesNotLetAJobPreemptItsOwnClass) {
  World w("n: 1xT4");
  w.Run(w.NewJob(1).Class("medium").Mem(GiB(12)).Started(w.now - Duration(3600)), "n", {0});
  w.Queue(w.NewJob(2).Class("medium").Mem(GiB(12)).Submitted(w.now - Duration(7000)));
  EXPECT_TRUE(w.Cycle().preemptions.empty());
}

}  // namespace
}  // namespace gpusched::testing
