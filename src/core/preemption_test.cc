// Preemption (rule 6): who may be stopped for whom, which victims are
// chosen, and when the scheduler waits instead.
#include <gtest/gtest.h>

#include "world.h"

namespace gpusched::testing {
namespace {

constexpr Duration kHour{3600};

// A T4 full with one job; a critical job that needs the card arrives.
World FullT4() { return World("node-1: 1xT4"); }

TEST(Preemption, CriticalJobPreemptsLowerPriorityWorkWhenNothingFits) {
  World w = FullT4();
  w.Run(w.NewJob(1).Class("batch").Mem(GiB(12)).Started(w.now - kHour), "node-1", {0});
  w.Queue(w.NewJob(2).Class("critical").Mem(GiB(8)));
  CycleResult r = w.Cycle();
  const Preemption* p = FindPreemption(r, 2);
  ASSERT_NE(p, nullptr) << ToText(r);
  EXPECT_EQ(VictimIds(*p), std::vector<JobId>{1});
  ASSERT_EQ(p->nominated.slices.size(), 1u);
  EXPECT_EQ(p->nominated.slices[0].gpu, w.Gpu("node-1", 0));
  EXPECT_EQ(p->nominated.slices[0].memory_mib, GiB(8));
  EXPECT_EQ(p->grace, Duration(30));  // batch's grace
  EXPECT_EQ(FindBind(r, 2), nullptr);
}

TEST(Preemption, OnlyStrictlyLowerPriorityIsPreempted) {
  World w = FullT4();
  w.Run(w.NewJob(1).Class("high").Mem(GiB(12)).Started(w.now - kHour), "node-1", {0});
  w.Queue(w.NewJob(2).Class("high").Mem(GiB(8)));
  CycleResult r = w.Cycle();
  EXPECT_TRUE(r.preemptions.empty());
  ASSERT_NE(FindWait(r, 2), nullptr);
  EXPECT_NE(FindWait(r, 2)->reason.find("no preemption"), std::string::npos) << FindWait(r, 2)->reason;
}

TEST(Preemption, BoostedVictimIsJudgedByItsBoostedClass) {
  World w = FullT4();
  w.Run(w.NewJob(1).Class("low").BoostTo("critical", w.now + kHour).Mem(GiB(12)).Started(w.now - kHour),
        "node-1", {0});
  w.Queue(w.NewJob(2).Class("high").Mem(GiB(8)));
  EXPECT_TRUE(w.Cycle().preemptions.empty());
}

TEST(Preemption, ClassWithPolicyNeverDoesNotPreempt) {
  World w = FullT4();
  w.Run(w.NewJob(1).Class("batch").Mem(GiB(12)).Started(w.now - kHour), "node-1", {0});
  PriorityClass research{"research", 900, PreemptionPolicy::kNever, std::nullopt, Duration(0), Duration(30)};
  ASSERT_TRUE(w.classes.Add(research));
  w.Queue(w.NewJob(2).Class("research").Mem(GiB(8)));
  CycleResult r = w.Cycle();
  EXPECT_TRUE(r.preemptions.empty());
  EXPECT_NE(FindWait(r, 2)->reason.find("class research never preempts"), std::string::npos);
}

TEST(Preemption, NonPreemptibleJobIsNeverAVictim) {
  World w = FullT4();
  w.Run(w.NewJob(1).Class("batch").Mem(GiB(12)).NotPreemptible().Started(w.now - kHour), "node-1", {0});
  w.Queue(w.NewJob(2).Class("critical").Mem(GiB(8)));
  CycleResult r = w.Cycle();
  EXPECT_TRUE(r.preemptions.empty());
  EXPECT_NE(FindWait(r, 2)->reason.find("1 not preemptible"), std::string::npos) << FindWait(r, 2)->reason;
}

TEST(Preemption, VictimMustHaveRunItsMinimumRuntime) {
  World w = FullT4();
  // medium's minimum runtime is 5 min; it started 2 min ago.
  w.Run(w.NewJob(1).Class("medium").Mem(GiB(12)).Started(w.now - Duration(120)), "node-1", {0});
  w.Queue(w.NewJob(2).Class("critical").Mem(GiB(8)));
  CycleResult r = w.Cycle();
  EXPECT_TRUE(r.preemptions.empty());
  EXPECT_NE(FindWait(r, 2)->reason.find("1 within their minimum runtime"), std::string::npos);
  w.Advance(Duration(181));
  EXPECT_FALSE(w.Cycle().preemptions.empty());
}

TEST(Preemption, JobIsPreemptedAtMostOncePer24Hours) {
  World w = FullT4();
  w.Run(w.NewJob(1).Class("batch").Mem(GiB(12)).Started(w.now - kHour).PreemptedAt(w.now - 23 * kHour),
        "node-1", {0});
  w.Queue(w.NewJob(2).Class("critical").Mem(GiB(8)));
  CycleResult r = w.Cycle();
  EXPECT_TRUE(r.preemptions.empty());
  EXPECT_NE(FindWait(r, 2)->reason.find("1 at their preemption limit"), std::string::npos);
  w.Advance(kHour + Duration(1));
  EXPECT_FALSE(w.Cycle().preemptions.empty());
}

TEST(Preemption, LimitIsConfigurable) {
  World w = FullT4();
  w.policy.max_preemptions_per_window = 2;
  w.Run(w.NewJob(1).Class("batch").Mem(GiB(12)).Started(w.now - kHour).PreemptedAt(w.now - kHour), "node-1",
        {0});
  w.Queue(w.NewJob(2).Class("critical").Mem(GiB(8)));
  EXPECT_FALSE(w.Cycle().preemptions.empty());
}

TEST(Preemption, FrozenScopesAreNeverPreempted) {
  for (FreezeScope scope : {FreezeScope::kCluster, FreezeScope::kTenant, FreezeScope::kJob}) {
    World w = FullT4();
    w.Run(w.NewJob(1).Class("batch").Mem(GiB(12)).Started(w.now - kHour), "node-1", {0});
    w.Queue(w.NewJob(2).Class("critical").Mem(GiB(8)));
    const std::string target = scope == FreezeScope::kTenant ? "default" : scope == FreezeScope::kJob ? "1" : "";
    w.freezes.push_back(Freeze{scope, target, w.now + kHour});
    EXPECT_TRUE(w.Cycle().preemptions.empty()) << "scope " << static_cast<int>(scope);
    w.Advance(kHour);  // the freeze expires
    EXPECT_FALSE(w.Cycle().preemptions.empty()) << "scope " << static_cast<int>(scope);
  }
}

TEST(Preemption, FreezeOfAnotherJobDoesNotProtectThisOne) {
  World w = FullT4();
  w.Run(w.NewJob(1).Class("batch").Mem(GiB(12)).Started(w.now - kHour), "node-1", {0});
  w.Queue(w.NewJob(2).Class("critical").Mem(GiB(8)));
  w.freezes.push_back(Freeze{FreezeScope::kJob, "17", w.now + kHour});
  EXPECT_FALSE(w.Cycle().preemptions.empty());
}

TEST(Preemption, VictimsAreChosenByWorkLostSinceTheirCheckpoint) {
  World w("node-1: 1xT4; node-2: 1xT4");
  // Same class and size; job 1 checkpointed 50 min ago, job 2 one minute ago.
  w.Run(w.NewJob(1).Class("low").Mem(GiB(12)).Started(w.now - 2 * kHour).CheckpointAt(w.now - Duration(3000)),
        "node-1", {0});
  w.Run(w.NewJob(2).Class("low").Mem(GiB(12)).Started(w.now - 2 * kHour).CheckpointAt(w.now - Duration(60)),
        "node-2", {0});
  w.Queue(w.NewJob(3).Class("critical").Mem(GiB(8)));
  CycleResult r = w.Cycle();
  const Preemption* p = FindPreemption(r, 3);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(VictimIds(*p), std::vector<JobId>{2});
  EXPECT_EQ(p->victims[0].lost_gpu_s, 60);
}

TEST(Preemption, KubernetesBaselineIgnoresCheckpointsAndTakesTheNewest) {
  World w("node-1: 1xT4; node-2: 1xT4");
  w.policy.victim_order = VictimOrderKind::kLowestPriorityNewest;
  w.Run(w.NewJob(1).Class("low").Mem(GiB(12)).Started(w.now - kHour).CheckpointAt(w.now - Duration(3000)),
        "node-1", {0});
  w.Run(w.NewJob(2).Class("low").Mem(GiB(12)).Started(w.now - 2 * kHour).CheckpointAt(w.now - Duration(60)),
        "node-2", {0});
  w.Queue(w.NewJob(3).Class("critical").Mem(GiB(8)));
  CycleResult r = w.Cycle();
  const Preemption* p = FindPreemption(r, 3);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(VictimIds(*p), std::vector<JobId>{1});  // most recently started
}

TEST(Preemption, LargerPriorityGapMakesAVictimCheaper) {
  World w("node-1: 1xT4; node-2: 1xT4");
  // Equal lost work; the batch job is further below critical than the high one.
  w.Run(w.NewJob(1).Class("high").Mem(GiB(12)).Started(w.now - 2 * kHour).CheckpointAt(w.now - Duration(600)),
        "node-1", {0});
  w.Run(w.NewJob(2).Class("batch").Mem(GiB(12)).Started(w.now - 2 * kHour).CheckpointAt(w.now - Duration(600)),
        "node-2", {0});
  w.Queue(w.NewJob(3).Class("critical").Mem(GiB(8)));
  CycleResult r = w.Cycle();
  const Preemption* p = FindPreemption(r, 3);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(VictimIds(*p), std::vector<JobId>{2});
}

TEST(Preemption, FewerVictimsWinWhenCostsTie) {
  World w("node-1: 1xT4; node-2: 1xT4");
  // node-1: one 12 GiB job; node-2: two 6 GiB jobs; all checkpointed now.
  w.Run(w.NewJob(1).Class("batch").Mem(GiB(12)).Started(w.now - kHour).CheckpointAt(w.now), "node-1", {0});
  w.Run(w.NewJob(2).Class("batch").Mem(GiB(6)).Started(w.now - kHour).CheckpointAt(w.now), "node-2", {0});
  w.Run(w.NewJob(3).Class("batch").Mem(GiB(6)).Started(w.now - kHour).CheckpointAt(w.now), "node-2", {0});
  w.Queue(w.NewJob(4).Class("critical").Mem(GiB(12)));
  CycleResult r = w.Cycle();
  const Preemption* p = FindPreemption(r, 4);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(VictimIds(*p), std::vector<JobId>{1});
}

TEST(Preemption, CachedNodeMakesARestartCheaper) {
  World w("cold: 1xT4; warm: 1xT4 [image:yolo, dataset:coco]");
  w.Run(w.NewJob(1).Class("low").Mem(GiB(12)).Image("yolo").Dataset("coco").Started(w.now - kHour)
            .CheckpointAt(w.now),
        "cold", {0});
  w.Run(w.NewJob(2).Class("low").Mem(GiB(12)).Image("yolo").Dataset("coco").Started(w.now - kHour)
            .CheckpointAt(w.now),
        "warm", {0});
  w.Queue(w.NewJob(3).Class("critical").Mem(GiB(12)));
  CycleResult r = w.Cycle();
  const Preemption* p = FindPreemption(r, 3);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(VictimIds(*p), std::vector<JobId>{2});
  EXPECT_EQ(p->victims[0].restart_gpu_s, 60);
}

TEST(Preemption, GangIsPreemptedForOnlyIfTheWholeGangThenFits) {
  World w("node-1: 2xA10; node-2: 2xA10");
  // node-1: both GPUs held by preemptible batch jobs; node-2: one GPU held
  // by a non-preemptible job. A 2-GPU gang may only preempt on node-1.
  w.Run(w.NewJob(1).Class("batch").Exclusive().Started(w.now - kHour), "node-1", {0});
  w.Run(w.NewJob(2).Class("batch").Exclusive().Started(w.now - kHour), "node-1", {1});
  w.Run(w.NewJob(3).Class("batch").Exclusive().Started(w.now - kHour), "node-2", {0});
  w.Run(w.NewJob(4).Class("batch").Exclusive().NotPreemptible().Started(w.now - kHour), "node-2", {1});
  w.Queue(w.NewJob(5).Class("critical").Gpus(2).Mem(GiB(20)));
  CycleResult r = w.Cycle();
  const Preemption* p = FindPreemption(r, 5);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(VictimIds(*p), (std::vector<JobId>{1, 2}));
  EXPECT_EQ(p->nominated.slices.size(), 2u);
}

TEST(Preemption, GangWithNoNodeToFreeDoesNotPreemptAtAll) {
  World w("node-1: 2xA10");
  w.Run(w.NewJob(1).Class("batch").Exclusive().Started(w.now - kHour), "node-1", {0});
  w.Run(w.NewJob(2).Class("batch").Exclusive().NotPreemptible().Started(w.now - kHour), "node-1", {1});
  w.Queue(w.NewJob(3).Class("critical").Gpus(2).Mem(GiB(20)));
  EXPECT_TRUE(w.Cycle().preemptions.empty());
}

TEST(Preemption, PreemptorIsNominatedSoNoOtherJobTakesTheFreedGpu) {
  World w = FullT4();
  w.Run(w.NewJob(1).Class("batch").Mem(GiB(12)).Started(w.now - kHour), "node-1", {0});
  w.Queue(w.NewJob(2).Class("critical").Mem(GiB(12)));
  w.Apply(w.Cycle());  // job 1 leaves; job 2 holds a nomination
  ASSERT_TRUE(w.job(2).nomination.has_value());
  // A medium job that would fit on the freed card arrives first in line? No:
  // it is queued behind; even so it must not take the nominated capacity.
  w.Queue(w.NewJob(3).Class("medium").Mem(GiB(4)).Submitted(w.now - kHour));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindBind(r, 2), nullptr) << ToText(r);
  EXPECT_EQ(FindBind(r, 2)->placement, w.job(2).nomination->placement);
  EXPECT_EQ(FindBind(r, 3), nullptr) << "only 3 GiB remain after the critical job";
}

TEST(Preemption, NominatedCapacityIsHeldWhileVictimsExit) {
  World w = FullT4();
  w.Run(w.NewJob(1).Class("batch").Mem(GiB(12)).Started(w.now - kHour), "node-1", {0});
  w.Queue(w.NewJob(2).Class("critical").Mem(GiB(12)));
  CycleResult first = w.Cycle();
  const Preemption* p = FindPreemption(first, 2);
  ASSERT_NE(p, nullptr);
  // The driver signals job 1 (now Preempting) and records the nomination.
  w.job(1).phase = JobPhase::kPreempting;
  w.job(2).nomination = Nomination{p->nominated, p->nomination_expires_at};
  w.Queue(w.NewJob(3).Class("high").Mem(GiB(3)));
  CycleResult r = w.Cycle();
  EXPECT_TRUE(r.preemptions.empty()) << "no second preemption while victims exit";
  ASSERT_NE(FindWait(r, 2), nullptr);
  EXPECT_EQ(FindWait(r, 2)->code, WaitCode::kAwaitingVictims);
  EXPECT_NE(FindWait(r, 2)->reason.find("job(s) 1"), std::string::npos) << FindWait(r, 2)->reason;
  EXPECT_EQ(FindBind(r, 3), nullptr) << "the 3 GiB still free belong to the nominee";
}

TEST(Preemption, WaitsInsteadWhenARunningJobFinishesWithinTheGrace) {
  World w("node-1: 1xT4; node-2: 1xT4");
  w.Run(w.NewJob(1).Class("batch").Mem(GiB(12)).Started(w.now - kHour), "node-1", {0});
  // Job 2 is on its last epoch of 100 s, 90 s of it done: it ends in ~10 s,
  // sooner than the 30 s a preemption would take.
  w.Run(w.NewJob(2).Class("high").Mem(GiB(12)).Epochs(10, Duration(100), 9).Started(w.now - Duration(90)),
        "node-2", {0});
  w.Queue(w.NewJob(3).Class("critical").Mem(GiB(12)));
  CycleResult r = w.Cycle();
  EXPECT_TRUE(r.preemptions.empty());
  ASSERT_NE(FindWait(r, 3), nullptr);
  EXPECT_EQ(FindWait(r, 3)->code, WaitCode::kWaitInstead);
  EXPECT_NE(FindWait(r, 3)->reason.find("job 2 on node-2 finishes in ~10 s"), std::string::npos)
      << FindWait(r, 3)->reason;
}

TEST(Preemption, OverdueJobIsNotReliedUponToFinish) {
  World w("node-1: 1xT4; node-2: 1xT4");
  w.Run(w.NewJob(1).Class("batch").Mem(GiB(12)).Started(w.now - kHour), "node-1", {0});
  // Predicted to have finished 50 minutes ago, still running.
  w.Run(w.NewJob(2).Class("high").Mem(GiB(12)).Epochs(10, Duration(100), 9).Started(w.now - kHour),
        "node-2", {0});
  w.Queue(w.NewJob(3).Class("critical").Mem(GiB(12)));
  EXPECT_FALSE(w.Cycle().preemptions.empty());
}

TEST(Preemption, VictimRecordsSayWhyAndWhatIsLost) {
  World w = FullT4();
  w.Run(w.NewJob(1).Class("batch").Mem(GiB(12)).Started(w.now - kHour).CheckpointAt(w.now - Duration(240)),
        "node-1", {0});
  w.Queue(w.NewJob(2).Class("critical").Mem(GiB(8)));
  CycleResult r = w.Cycle();
  const Preemption* p = FindPreemption(r, 2);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->victims[0].reason,
            "preempted for job 2 (critical > batch); loses 240 GPU-s since its last checkpoint, restart 60 GPU-s");
  EXPECT_EQ(p->reason.rfind("needs 8 GiB on one GPU; largest free slice is 3 GiB on node-1 GPU 0", 0), 0u) << p->reason;
}

TEST(Preemption, DisabledPreemptionOnlyWaits) {
  World w = FullT4();
  w.policy.enable_preemption = false;
  w.Run(w.NewJob(1).Class("batch").Mem(GiB(12)).Started(w.now - kHour), "node-1", {0});
  w.Queue(w.NewJob(2).Class("critical").Mem(GiB(8)));
  EXPECT_TRUE(w.Cycle().preemptions.empty());
}

}  // namespace
}  // namespace gpusched::testing

namespace gpusched::testing {
namespace {

TEST(Preemption, AttemptsPerCycleAreBoundedAndTheRestAreDeferred) {
  World w("a: 1xT4; b: 1xT4");
  w.policy.max_preemption_attempts = 1;
  w.policy.enable_reservations = false;
  w.Run(w.NewJob(1).Class("batch").Mem(GiB(12)).Started(w.now - Duration(3600)), "a", {0});
  w.Run(w.NewJob(2).Class("batch").Mem(GiB(12)).Started(w.now - Duration(3600)), "b", {0});
  w.Queue(w.NewJob(3).Class("critical").Mem(GiB(12)));
  w.Queue(w.NewJob(4).Class("critical").Mem(GiB(12)).Submitted(w.now + Duration(1)));
  CycleResult r = w.Cycle();
  EXPECT_EQ(r.preemptions.size(), 1u);
  ASSERT_NE(FindWait(r, 4), nullptr);
  EXPECT_EQ(FindWait(r, 4)->code, WaitCode::kDeferred);
}

}  // namespace
}  // namespace gpusched::testing
