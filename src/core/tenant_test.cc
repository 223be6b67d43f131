// Tenants (rule 7): borrowing limits, guaranteed floors, reclaiming borrowed
// capacity, approval for classes above the allowance or beyond the critical
// budget.
#include <gtest/gtest.h>

#include "gpusched/admission.h"
#include "world.h"

namespace gpusched::testing {
namespace {

constexpr Duration kHour{3600};

TEST(Tenants, BorrowingStopsAtTheLimit) {
  World w("n: 4xT4");
  w.AddTenant("vision", 1, 1);  // may hold 2 GPUs
  w.Run(w.NewJob(1).Tenant("vision").Mem(GiB(4)), "n", {0});
  w.Run(w.NewJob(2).Tenant("vision").Mem(GiB(4)), "n", {1});
  w.Queue(w.NewJob(3).Tenant("vision").Mem(GiB(4)));
  CycleResult r = w.Cycle();
  EXPECT_EQ(FindBind(r, 3), nullptr);
  ASSERT_NE(FindWait(r, 3), nullptr);
  EXPECT_EQ(FindWait(r, 3)->code, WaitCode::kTenantLimit);
  EXPECT_EQ(FindWait(r, 3)->reason,
            "tenant \"vision\" uses 2 GPUs; 1 more would pass its limit of 2 (guarantee 1 + borrowing 1)");
}

TEST(Tenants, WithoutALimitATenantBorrowsIdleCapacity) {
  World w("n: 4xT4");
  w.AddTenant("vision", 1);
  for (JobId id = 1; id <= 4; ++id) w.Queue(w.NewJob(id).Tenant("vision").Mem(GiB(12)));
  EXPECT_EQ(w.Cycle().binds.size(), 4u);
}

TEST(Tenants, TenantWithinItsGuaranteeIsNotPreemptedByAnotherTenant) {
  World w("n: 2xT4");
  w.AddTenant("research", 2);
  w.AddTenant("quality", 0);
  w.Run(w.NewJob(1).Tenant("research").Class("batch").Mem(GiB(12)).Started(w.now - kHour), "n", {0});
  w.Run(w.NewJob(2).Tenant("research").Class("batch").Mem(GiB(12)).Started(w.now - kHour), "n", {1});
  w.Queue(w.NewJob(3).Tenant("quality").Class("critical").Mem(GiB(12)));
  CycleResult r = w.Cycle();
  EXPECT_TRUE(r.preemptions.empty());
  EXPECT_NE(FindWait(r, 3)->reason.find("protected by their tenant's guarantee"), std::string::npos)
      << FindWait(r, 3)->reason;
}

TEST(Tenants, BorrowedCapacityAboveTheGuaranteeIsPreemptible) {
  World w("n: 2xT4");
  w.AddTenant("research", 1);
  w.AddTenant("quality", 0);
  w.Run(w.NewJob(1).Tenant("research").Class("batch").Mem(GiB(12)).Started(w.now - kHour), "n", {0});
  w.Run(w.NewJob(2).Tenant("research").Class("batch").Mem(GiB(12)).Started(w.now - kHour), "n", {1});
  w.Queue(w.NewJob(3).Tenant("quality").Class("critical").Mem(GiB(12)));
  CycleResult r = w.Cycle();
  ASSERT_EQ(r.preemptions.size(), 1u);
  EXPECT_EQ(r.preemptions[0].victims.size(), 1u) << "one job down to the guarantee, not both";
}

TEST(Tenants, GuaranteeIsCheckedOnTheWholeVictimSet) {
  World w("n: 1xA100-80");
  w.AddTenant("research", 1);
  w.AddTenant("quality", 0);
  // research holds 2 GPUs' worth (two jobs) with a guarantee of 1: only one
  // of them may go; the critical job needs both slices freed.
  w.Run(w.NewJob(1).Tenant("research").Class("batch").Mem(GiB(40)).Started(w.now - kHour), "n", {0});
  w.Run(w.NewJob(2).Tenant("research").Class("batch").Mem(GiB(40)).Started(w.now - kHour), "n", {0});
  w.Queue(w.NewJob(3).Tenant("quality").Class("critical").Mem(GiB(70)));
  EXPECT_TRUE(w.Cycle().preemptions.empty());
}

TEST(Tenants, SameTenantMayPreemptItsOwnLowerPriorityWork) {
  World w("n: 1xT4");
  w.AddTenant("research", 4);
  w.Run(w.NewJob(1).Tenant("research").Class("batch").Mem(GiB(12)).Started(w.now - kHour), "n", {0});
  w.Queue(w.NewJob(2).Tenant("research").Class("critical").Mem(GiB(12)));
  EXPECT_EQ(w.Cycle().preemptions.size(), 1u);
}

TEST(Tenants, EqualPriorityWorkIsNotPreemptedByDefaultEvenToRestoreAGuarantee) {
  World w("n: 2xT4");
  w.AddTenant("research", 0);
  w.AddTenant("quality", 1);
  w.Run(w.NewJob(1).Tenant("research").Class("medium").Mem(GiB(12)).Started(w.now - kHour), "n", {0});
  w.Run(w.NewJob(2).Tenant("research").Class("medium").Mem(GiB(12)).Started(w.now - kHour), "n", {1});
  w.Queue(w.NewJob(3).Tenant("quality").Class("medium").Mem(GiB(12)));
  EXPECT_TRUE(w.Cycle().preemptions.empty());
}

TEST(Tenants, WithReclaimOnATenantBelowItsGuaranteeTakesBackBorrowedCapacity) {
  World w("n: 2xT4");
  w.policy.reclaim_equal_priority = true;
  w.AddTenant("research", 0);
  w.AddTenant("quality", 1);
  w.Run(w.NewJob(1).Tenant("research").Class("medium").Mem(GiB(12)).Started(w.now - kHour), "n", {0});
  w.Run(w.NewJob(2).Tenant("research").Class("medium").Mem(GiB(12)).Started(w.now - kHour), "n", {1});
  w.Queue(w.NewJob(3).Tenant("quality").Class("medium").Mem(GiB(12)));
  CycleResult r = w.Cycle();
  ASSERT_EQ(r.preemptions.size(), 1u) << ToText(r);
  EXPECT_EQ(r.preemptions[0].preemptor, 3u);
}

TEST(Tenants, NoReclaimBeyondTheGuarantee) {
  World w("n: 2xT4");
  w.AddTenant("research", 0);
  w.AddTenant("quality", 0);  // nothing guaranteed: nothing to reclaim
  w.Run(w.NewJob(1).Tenant("research").Class("medium").Mem(GiB(12)).Started(w.now - kHour), "n", {0});
  w.Run(w.NewJob(2).Tenant("research").Class("medium").Mem(GiB(12)).Started(w.now - kHour), "n", {1});
  w.Queue(w.NewJob(3).Tenant("quality").Class("medium").Mem(GiB(12)));
  EXPECT_TRUE(w.Cycle().preemptions.empty());
}

TEST(Tenants, ClassAboveTheAllowanceAwaitsApproval) {
  World w("n: 1xT4");
  w.AddTenant("vision", 0).max_class_without_approval = "high";
  w.Queue(w.NewJob(1).Tenant("vision").Class("critical").Mem(GiB(4)));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindWait(r, 1), nullptr);
  EXPECT_EQ(FindWait(r, 1)->code, WaitCode::kAwaitingApproval);
  w.job(1).approved = true;
  r = w.Cycle();
  EXPECT_NE(FindBind(r, 1), nullptr);
}

TEST(Tenants, CriticalJobsBeyondTheBudgetAwaitApproval) {
  World w("n: 1xT4");
  Tenant& t = w.AddTenant("vision", 0);
  t.critical_budget_gpu_s = 10 * 3600;
  t.critical_used_gpu_s = 9 * 3600;
  // Two hours on a T4: over the one hour left.
  w.Queue(w.NewJob(1).Tenant("vision").Class("critical").Mem(GiB(4)).DurationT4(2 * kHour));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindWait(r, 1), nullptr);
  EXPECT_EQ(FindWait(r, 1)->code, WaitCode::kAwaitingApproval);
  EXPECT_NE(FindWait(r, 1)->reason.find("budget"), std::string::npos) << FindWait(r, 1)->reason;
}

TEST(Tenants, LowCreditDemotesNewUrgentJobsOneClass) {
  Tenant t;
  t.name = "vision";
  t.credit = ApplyCreditEvent(ApplyCreditEvent(ApplyCreditEvent(
      ApplyCreditEvent(ApplyCreditEvent(100, CreditEvent::kCriticalCancelledQuickly),
                       CreditEvent::kCriticalCancelledQuickly),
      CreditEvent::kDemotedByOperator), CreditEvent::kDemotedByOperator), CreditEvent::kDemotedByOperator);
  ASSERT_LT(t.credit, 50);
  auto a = Admit("critical", t, ClassTable::Defaults(), PolicyConfig{});
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->class_name, "high");
  ASSERT_TRUE(a->demotion.has_value());
  EXPECT_NE(a->demotion->find("credit"), std::string::npos);
}

}  // namespace
}  // namespace gpusched::testing

namespace gpusched::testing {
namespace {

TEST(Tenants, GangVictimMayNotTakeATenantBelowItsGuarantee) {
  World w("n: 8xA10");
  w.AddTenant("a", 4);
  w.AddTenant("b", 0);
  // a holds 5 GPUs (guarantee 4): 3 single jobs and one 2-GPU job.
  for (int g = 0; g < 3; ++g) {
    w.Run(w.NewJob(JobId(1 + g)).Tenant("a").Class("low").Exclusive().Started(w.now - kHour), "n", {g});
  }
  w.Run(w.NewJob(4).Tenant("a").Class("low").Gpus(2).Exclusive().Started(w.now - kHour), "n", {3, 4});
  w.Run(w.NewJob(5).Tenant("b").Class("high").Gpus(3).Exclusive().Started(w.now - kHour), "n", {5, 6, 7});
  w.Queue(w.NewJob(6).Tenant("b").Class("high").Gpus(2).Exclusive());
  CycleResult r = w.Cycle();
  for (const Preemption& p : r.preemptions) {
    const std::vector<JobId> victims = VictimIds(p);
    EXPECT_EQ(std::count(victims.begin(), victims.end(), 4u), 0) << ToText(r);
  }
}

TEST(Tenants, GuaranteeHoldsAcrossSeveralPreemptionsInOneCycle) {
  World w("n: 4xT4");
  w.AddTenant("a", 0);
  w.AddTenant("b", 3);
  for (int g = 0; g < 4; ++g) {
    w.Run(w.NewJob(JobId(1 + g)).Tenant("b").Class("low").Exclusive().Started(w.now - kHour), "n", {g});
  }
  w.Queue(w.NewJob(5).Tenant("a").Class("high").Exclusive());
  w.Queue(w.NewJob(6).Tenant("a").Class("high").Exclusive());
  CycleResult r = w.Cycle();
  std::size_t victims = 0;
  for (const Preemption& p : r.preemptions) victims += p.victims.size();
  EXPECT_EQ(victims, 1u) << "b keeps 3 of its 4 GPUs";
}

TEST(Tenants, PreemptionsCountTowardTheBorrowingLimit) {
  World w("n: 3xT4");
  w.AddTenant("a", 0, 2);
  w.AddTenant("b", 0);
  w.Run(w.NewJob(1).Tenant("a").Class("high").Exclusive().Started(w.now - kHour), "n", {0});
  w.Run(w.NewJob(2).Tenant("b").Class("low").Exclusive().Started(w.now - kHour), "n", {1});
  w.Run(w.NewJob(3).Tenant("b").Class("low").Exclusive().Started(w.now - kHour), "n", {2});
  w.Queue(w.NewJob(4).Tenant("a").Class("high").Exclusive());
  w.Queue(w.NewJob(5).Tenant("a").Class("high").Exclusive());
  CycleResult r = w.Cycle();
  EXPECT_EQ(r.preemptions.size(), 1u) << ToText(r);
  ASSERT_NE(FindWait(r, 5), nullptr);
  EXPECT_EQ(FindWait(r, 5)->code, WaitCode::kTenantLimit);
}

TEST(Tenants, CriticalBudgetCountsJobsStartedInTheSameCycle) {
  World w("n: 2xT4");
  Tenant& t = w.AddTenant("vision", 0);
  t.critical_budget_gpu_s = 3 * 3600;
  w.Queue(w.NewJob(1).Tenant("vision").Class("critical").DurationT4(2 * kHour));
  w.Queue(w.NewJob(2).Tenant("vision").Class("critical").DurationT4(2 * kHour).Submitted(w.now + Duration(1)));
  CycleResult r = w.Cycle();
  EXPECT_NE(FindBind(r, 1), nullptr);
  ASSERT_NE(FindWait(r, 2), nullptr);
  EXPECT_EQ(FindWait(r, 2)->code, WaitCode::kAwaitingApproval);
}

TEST(Tenants, CriticalBudgetIsJudgedOnTheCardTheJobWouldGet) {
  World w("n: 1xA100-80");
  Tenant& t = w.AddTenant("vision", 0);
  t.critical_budget_gpu_s = 3 * 3600;
  // Ten one-hour T4 epochs: about 2.5 h on an A100, within the budget.
  w.Queue(w.NewJob(1).Tenant("vision").Class("critical").Types({"A100-80"}).Epochs(10, kHour));
  CycleResult r = w.Cycle();
  EXPECT_NE(FindBind(r, 1), nullptr) << ToText(r);
}

}  // namespace
}  // namespace gpusched::testing
