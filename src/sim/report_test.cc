// The report's figures, as a specification: what each metric means on small
// hand-made results.
#include "sim/report.h"

#include <gtest/gtest.h>

#include "sim/report_test_builders.h"

namespace gpusched::sim {
namespace {

using report_testing::Outcome;
using report_testing::ResultBuilder;

const ClassReport& ClassOf(const PolicyReport& report, const std::string& name) {
  for (const ClassReport& c : report.classes)
    if (c.name == name) return c;
  ADD_FAILURE() << "no class " << name;
  static const ClassReport kNone;
  return kNone;
}
// A reference into a temporary report would dangle.
const ClassReport& ClassOf(PolicyReport&& report, const std::string& name) = delete;

TEST(ReportPercentile, IsTheNearestRankOfTheSortedValues) {
  const std::vector<std::int64_t> four = {10, 20, 30, 40};
  EXPECT_EQ(NearestRank(four, 0), 10);
  EXPECT_EQ(NearestRank(four, 25), 10);
  EXPECT_EQ(NearestRank(four, 26), 20);
  EXPECT_EQ(NearestRank(four, 50), 20);
  EXPECT_EQ(NearestRank(four, 75), 30);
  EXPECT_EQ(NearestRank(four, 95), 40);
  EXPECT_EQ(NearestRank(four, 100), 40);
  EXPECT_EQ(NearestRank({7}, 99), 7);
}

TEST(ReportPercentile, P95OfTwentyValuesIsTheNineteenthWithoutFloatingPointDrift) {
  std::vector<std::int64_t> twenty;
  for (int i = 1; i <= 20; ++i) twenty.push_back(i);
  EXPECT_EQ(NearestRank(twenty, 95), 19);
  EXPECT_EQ(NearestRank(twenty, 99), 20);
  EXPECT_EQ(NearestRank(twenty, 50), 10);
}

TEST(ReportMetrics, ClassWaitPercentilesAreNearestRankOfStartMinusSubmit) {
  ResultBuilder b("fifo");
  b.Class("normal").EndAt(5000);
  // Waits 100, 10, 90, 20, ..., in a scrambled order: 10..100 in tens.
  const int waits[] = {100, 10, 90, 20, 80, 30, 70, 40, 60, 50};
  for (int i = 0; i < 10; ++i)
    b.Job(Outcome("j" + std::to_string(i)).Submit(i * 7).Ran(i * 7 + waits[i], 4000));
  const PolicyReport report = ComputeReport(b.Build());
  const ClassReport c = ClassOf(report, "normal");
  EXPECT_EQ(c.jobs, 10);
  EXPECT_EQ(c.completed, 10);
  EXPECT_EQ(c.wait_p50_s, 50);   // 5th of 10
  EXPECT_EQ(c.wait_p95_s, 100);  // ceil(9.5) = 10th
  EXPECT_EQ(c.wait_p99_s, 100);
  EXPECT_EQ(c.wait_max_s, 100);
  EXPECT_DOUBLE_EQ(c.wait_mean_s, 55);
}

TEST(ReportMetrics, NeverStartedJobWaitsUntilTheReplayEndsAndStillCounts) {
  const SimResult r = ResultBuilder("fifo")
                          .Job(Outcome("ran").Submit(0).Ran(10, 50))
                          .Job(Outcome("never").Submit(100).WaitReason("needs 16 GPUs"))
                          .EndAt(1000)
                          .Build();
  const PolicyReport report = ComputeReport(r);
  const ClassReport& c = ClassOf(report, "normal");
  EXPECT_EQ(c.jobs, 2);
  EXPECT_EQ(c.completed, 1);
  EXPECT_EQ(c.wait_max_s, 900);  // 1000 - 100, censored
  EXPECT_EQ(report.wait_p95_s, 900);
  EXPECT_DOUBLE_EQ(report.queue_delay_mean_s, (10 + 900) / 2.0);
}

TEST(ReportMetrics, SlaAttainmentIsTheShareWithinTargetAndMetUsesTheClassPercentile) {
  ResultBuilder b("gpusched");
  b.Class("critical", 300, 50).Class("high", 300, 95).EndAt(10000);
  const int waits[] = {0, 100, 300, 301, 1000};
  for (int i = 0; i < 5; ++i) {
    b.Job(Outcome("c" + std::to_string(i)).Class("critical").Ran(waits[i], 5000));
    b.Job(Outcome("h" + std::to_string(i)).Class("high").Ran(waits[i], 5000));
  }
  const PolicyReport report = ComputeReport(b.Build());
  const ClassReport& critical = ClassOf(report, "critical");
  ASSERT_TRUE(critical.sla_attainment.has_value());
  EXPECT_DOUBLE_EQ(*critical.sla_attainment, 0.6);  // 0, 100 and 300 are within 300
  ASSERT_TRUE(critical.sla_met.has_value());
  EXPECT_TRUE(*critical.sla_met);  // p50 = 300 <= 300
  EXPECT_EQ(critical.sla_target_s, 300);
  EXPECT_EQ(critical.sla_percentile, 50);
  const ClassReport& high = ClassOf(report, "high");
  EXPECT_DOUBLE_EQ(*high.sla_attainment, 0.6);
  EXPECT_FALSE(*high.sla_met);  // p95 = 1000 > 300
}

TEST(ReportMetrics, ClassWithoutTargetHasNoSlaFigures) {
  const SimResult r =
      ResultBuilder("fifo").Class("low").Job(Outcome("a").Class("low").Ran(5, 9)).Build();
  const PolicyReport report = ComputeReport(r);
  const ClassReport& c = ClassOf(report, "low");
  EXPECT_EQ(c.sla_target_s, -1);
  EXPECT_FALSE(c.sla_attainment.has_value());
  EXPECT_FALSE(c.sla_met.has_value());
}

TEST(ReportMetrics, ClassesKeepTheirOrderAndThoseWithoutJobsAreLeftOut) {
  const SimResult r = ResultBuilder("fifo")
                          .Class("critical")
                          .Class("high")
                          .Class("low")
                          .Job(Outcome("a").Class("low").Ran(0, 1))
                          .Job(Outcome("b").Class("critical").Ran(0, 1))
                          .Job(Outcome("c").Class("unlisted").Ran(0, 1))
                          .Build();
  const PolicyReport report = ComputeReport(r);
  ASSERT_EQ(report.classes.size(), 2u);
  EXPECT_EQ(report.classes[0].name, "critical");
  EXPECT_EQ(report.classes[1].name, "low");
  EXPECT_EQ(report.jobs, 3);  // the unlisted class counts overall
}

TEST(ReportMetrics, JctAndMakespanCoverCompletedJobsOnly) {
  const SimResult r = ResultBuilder("fifo")
                          .Job(Outcome("a").Submit(100).Ran(100, 1100))  // JCT 1000
                          .Job(Outcome("b").Submit(200).Ran(300, 2100))  // JCT 1900
                          .Job(Outcome("c").Submit(50).Ran(60, 400))     // JCT 350
                          .Job(Outcome("d").Submit(0).Start(10))         // never ends
                          .EndAt(9000)
                          .Build();
  const PolicyReport report = ComputeReport(r);
  EXPECT_EQ(report.completed, 3);
  EXPECT_DOUBLE_EQ(report.jct_mean_s, (1000 + 1900 + 350) / 3.0);
  EXPECT_EQ(report.jct_p50_s, 1000);
  EXPECT_EQ(report.jct_p95_s, 1900);
  EXPECT_EQ(report.makespan_s, 2100 - 0);  // last completion - first submission
}

TEST(ReportMetrics, UtilizationAndLossesAreGpuSecondsOverCapacity) {
  const SimResult r =
      ResultBuilder("gpusched")
          .Gpus(4)
          .Job(Outcome("a").Submit(100).Ran(100, 1100).Held(2000).Work(1800))
          .Job(Outcome("b").Submit(200).Ran(300, 2100).Held(3600).Work(3000).Lost(600).Restart(100))
          .Job(Outcome("c").Submit(150).Start(500).Held(400).Work(1000).Lost(200))
          .EndAt(2100)
          .Build();
  const PolicyReport report = ComputeReport(r);
  EXPECT_EQ(report.makespan_s, 2000);
  EXPECT_DOUBLE_EQ(report.gpu_utilization, 6000.0 / 8000.0);
  EXPECT_DOUBLE_EQ(report.useful_utilization, 4800.0 / 8000.0);  // completed jobs' work
  EXPECT_DOUBLE_EQ(report.lost_gpu_hours, 800.0 / 3600.0);
  EXPECT_DOUBLE_EQ(report.restart_gpu_hours, 100.0 / 3600.0);
  EXPECT_DOUBLE_EQ(report.lost_fraction, 800.0 / 5800.0);  // over all jobs' work
}

TEST(ReportMetrics, NothingCompletedMeansZeroMakespanAndUtilization) {
  const SimResult r =
      ResultBuilder("fifo").Job(Outcome("a").Submit(0).Held(50).Work(0)).EndAt(100).Build();
  const PolicyReport report = ComputeReport(r);
  EXPECT_EQ(report.makespan_s, 0);
  EXPECT_DOUBLE_EQ(report.gpu_utilization, 0);
  EXPECT_DOUBLE_EQ(report.lost_fraction, 0);  // no work at all
  EXPECT_DOUBLE_EQ(report.jct_mean_s, 0);
}

TEST(ReportMetrics, PreemptionFiguresSumOverJobs) {
  const SimResult r = ResultBuilder("k8s")
                          .Job(Outcome("a").Ran(0, 10).Preempted(3, 2).Migrated(1))
                          .Job(Outcome("b").Ran(0, 10).Preempted(1, 1))
                          .Job(Outcome("c").Ran(0, 10).Migrated(2))
                          .Build();
  const PolicyReport report = ComputeReport(r);
  EXPECT_EQ(report.preemptions, 4);
  EXPECT_EQ(report.migrations, 3);
  EXPECT_EQ(report.preempted_jobs, 2);
  EXPECT_EQ(report.max_preemptions_per_job_24h, 2);
  EXPECT_EQ(ClassOf(report, "normal").preemptions, 4);
}

TEST(ReportMetrics, StarvedJobsAreThoseNotCompletedAndTheFirstTenAreListed) {
  ResultBuilder b("fifo");
  b.Job(Outcome("done").Ran(0, 5)).Job(Outcome("running").Start(3));
  for (int i = 0; i < 12; ++i)
    b.Job(Outcome("w" + std::to_string(i)).Class("normal").WaitReason("needs 16 GPUs"));
  const PolicyReport report = ComputeReport(b.EndAt(100).Build());
  EXPECT_EQ(report.starved_jobs, 13);
  ASSERT_EQ(report.starved.size(), 10u);
  EXPECT_EQ(report.starved[0].id, "running");
  EXPECT_EQ(report.starved[0].wait_reason, "");
  EXPECT_EQ(report.starved[1].id, "w0");
  EXPECT_EQ(report.starved[1].class_name, "normal");
  EXPECT_EQ(report.starved[1].wait_reason, "needs 16 GPUs");
}

TEST(ReportMetrics, ReplayCostIsCopiedAndEventsPerSecondDerived) {
  const PolicyReport report =
      ComputeReport(ResultBuilder("fifo").Cost(5000, 40, 2.5).EndAt(777).Build());
  EXPECT_EQ(report.events, 5000);
  EXPECT_EQ(report.cycles, 40);
  EXPECT_DOUBLE_EQ(report.sim_wall_s, 2.5);
  EXPECT_DOUBLE_EQ(report.events_per_s, 2000);
  EXPECT_EQ(report.virtual_end_s, 777);
  EXPECT_DOUBLE_EQ(ComputeReport(ResultBuilder("fifo").Cost(10, 1, 0).Build()).events_per_s, 0);
}

TEST(ReportMetrics, EmptyResultIsAllZeros) {
  const PolicyReport report = ComputeReport(ResultBuilder("fifo").Gpus(16).Build());
  EXPECT_EQ(report.policy, "fifo");
  EXPECT_EQ(report.total_gpus, 16);
  EXPECT_EQ(report.jobs, 0);
  EXPECT_TRUE(report.classes.empty());
  EXPECT_EQ(report.wait_p95_s, 0);
  EXPECT_EQ(report.starved_jobs, 0);
}

}  // namespace
}  // namespace gpusched::sim
