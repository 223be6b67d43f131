// The SLA report: waits from submission to first start, per class, against
// the class's target, over a window; never-started jobs counted apart.
#include "server/sla.h"

#include <numeric>

#include <gtest/gtest.h>

#include "server/control.h"

namespace gpusched::server {
namespace {

const Instant kNow{std::chrono::seconds(1'000'000)};

struct Jobs {
  std::map<JobId, JobRecord> map;
  // A job of `cls` submitted `ago` seconds before kNow that first started
  // `waited` seconds after its submission (never, when negative).
  void Add(const std::string& cls, int ago, int waited, JobState state = JobState::kRunning) {
    JobRecord r;
    r.job.id = static_cast<JobId>(map.size() + 1);
    r.job.class_name = cls;
    r.job.submit_time = kNow - Duration(ago);
    r.state = waited < 0 ? state : JobState::kRunning;
    if (waited >= 0) r.first_started_at = r.job.submit_time + Duration(waited);
    map.emplace(r.job.id, r);
  }
};

const ClassSla& Of(const std::vector<ClassSla>& report, const std::string& cls) {
  for (const ClassSla& c : report) {
    if (c.class_name == cls) return c;
  }
  throw std::runtime_error("no class " + cls);
}

TEST(SlaReport, ListsEveryClassHighestFirstEvenWithoutJobs) {
  const auto report = SlaReport({}, ClassTable::Defaults(), kNow, Duration(3600));
  ASSERT_EQ(report.size(), 5u);
  EXPECT_EQ(report[0].class_name, "critical");
  EXPECT_EQ(report[4].class_name, "batch");
  EXPECT_FALSE(report[0].attainment.has_value());
  EXPECT_EQ(report[0].started, 0);
}

TEST(SlaReport, AttainmentIsTheShareOfFirstStartsWithinTheTarget) {
  ClassTable classes;
  ASSERT_TRUE(classes.Add(PriorityClass{"critical", 1000, PreemptionPolicy::kPreemptLowerPriority,
                                        SlaTarget{95, Duration(300)}}));
  Jobs jobs;
  for (int waited : {10, 20, 30, 299, 300, 301, 1000}) jobs.Add("critical", 2000, waited);
  const auto report = SlaReport(jobs.map, classes, kNow, Duration(3600));
  const ClassSla& c = Of(report, "critical");
  EXPECT_EQ(c.started, 7);
  EXPECT_EQ(c.met, 5) << "a wait equal to the target meets it";
  EXPECT_DOUBLE_EQ(*c.attainment, 5.0 / 7.0);
  EXPECT_EQ(c.wait_p50, Duration(299));
  EXPECT_EQ(c.wait_p95, Duration(1000));
  EXPECT_EQ(c.wait_max, Duration(1000));
}

TEST(SlaReport, OnlyFirstStartsInsideTheWindowCount) {
  Jobs jobs;
  jobs.Add("medium", 7200, 60);   // started 7140 s ago: outside a 1 h window
  jobs.Add("medium", 600, 60);    // started 540 s ago
  const auto report = SlaReport(jobs.map, ClassTable::Defaults(), kNow, Duration(3600));
  const ClassSla& c = Of(report, "medium");
  EXPECT_EQ(c.started, 1);
  EXPECT_EQ(c.wait_max, Duration(60));
}

TEST(SlaReport, NeverStartedPendingJobsAreCountedWithTheirWaitSoFar) {
  ClassTable classes;
  ASSERT_TRUE(classes.Add(PriorityClass{"high", 800, PreemptionPolicy::kPreemptLowerPriority,
                                        SlaTarget{95, Duration(900)}}));
  Jobs jobs;
  jobs.Add("high", 100, -1, JobState::kPending);
  jobs.Add("high", 1000, -1, JobState::kPending);
  jobs.Add("high", 5000, -1, JobState::kCancelled);  // never ran: not waiting
  const auto report = SlaReport(jobs.map, classes, kNow, Duration(3600));
  const ClassSla& c = Of(report, "high");
  EXPECT_EQ(c.pending, 2);
  EXPECT_EQ(c.pending_over_target, 1);
  EXPECT_EQ(c.oldest_pending, Duration(1000));
  EXPECT_EQ(c.started, 0);
}

// A job of `cls` that first started `ago` seconds before kNow after waiting
// `waited` seconds.
void AddStart(Jobs& jobs, const std::string& cls, int ago, int waited) {
  jobs.Add(cls, ago + waited, waited);
}

ClassTable CriticalWithin(int max_wait_s) {
  ClassTable classes;
  EXPECT_TRUE(classes.Add(PriorityClass{"critical", 1000, PreemptionPolicy::kPreemptLowerPriority,
                                        SlaTarget{95, Duration(max_wait_s)}}));
  return classes;
}

TEST(SlaReport, TheWaitHistogramHasInclusiveUpperBoundsAndAnOpenLastBucket) {
  Jobs jobs;
  for (int waited : {0, 30, 31, 60, 86400, 86401, 200000}) AddStart(jobs, "medium", 10, waited);
  const auto report = SlaReport(jobs.map, ClassTable::Defaults(), kNow, Duration(3600));
  const std::vector<int>& h = Of(report, "medium").wait_histogram;
  ASSERT_EQ(h.size(), kWaitBuckets.size() + 1);
  EXPECT_EQ(h[0], 2) << "0 s and 30 s: a wait equal to a bound is in its bucket";
  EXPECT_EQ(h[1], 2) << "31 s and 60 s";
  EXPECT_EQ(h[kWaitBuckets.size() - 1], 1) << "86400 s";
  EXPECT_EQ(h[kWaitBuckets.size()], 2) << "above 86400 s";
  EXPECT_EQ(std::accumulate(h.begin(), h.end(), 0), 7);
}

TEST(SlaReport, SlicesSplitTheWindowOldestFirstEachEndingOnItsBoundary) {
  Jobs jobs;
  AddStart(jobs, "critical", 0, 10);     // at now: the last slice
  AddStart(jobs, "critical", 299, 10);   // still the last slice (300 s each)
  AddStart(jobs, "critical", 300, 400);  // on the boundary: the slice ending there
  AddStart(jobs, "critical", 3599, 10);  // the oldest slice
  AddStart(jobs, "critical", 3600, 10);  // on the window's start: outside
  const auto report = SlaReport(jobs.map, CriticalWithin(300), kNow, Duration(3600), 12);
  const std::vector<SlaSlice>& s = Of(report, "critical").slices;
  ASSERT_EQ(s.size(), 12u);
  EXPECT_EQ(s[11].started, 2);
  EXPECT_EQ(s[11].met, 2);
  EXPECT_EQ(s[10].started, 1);
  EXPECT_EQ(s[10].met, 0) << "waited 400 s against a 300 s target";
  EXPECT_EQ(s[0].started, 1);
  for (int i = 1; i < 10; ++i) EXPECT_EQ(s[i].started, 0) << "slice " << i;
  EXPECT_EQ(Of(report, "critical").started, 4);
}

TEST(SlaReport, TheOldestSliceTakesTheRemainderOfAnUnevenWindow) {
  EXPECT_EQ(SliceLength(Duration(100), 3), Duration(33));
  Jobs jobs;
  AddStart(jobs, "medium", 66, 1);  // 66 to 99 s ago: the first slice (34 s long)
  AddStart(jobs, "medium", 99, 1);
  AddStart(jobs, "medium", 65, 1);  // 33 to 65 s ago: the middle slice
  const auto report = SlaReport(jobs.map, ClassTable::Defaults(), kNow, Duration(100), 3);
  const std::vector<SlaSlice>& s = Of(report, "medium").slices;
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].started, 2);
  EXPECT_EQ(s[1].started, 1);
  EXPECT_EQ(s[2].started, 0);
}

TEST(SlaReport, InAClassWithoutTargetEveryStartMeetsIt) {
  ClassTable classes;
  ASSERT_TRUE(classes.Add(PriorityClass{"batch", 100, PreemptionPolicy::kNever, std::nullopt}));
  Jobs jobs;
  AddStart(jobs, "batch", 10, 100000);
  AddStart(jobs, "batch", 10, 5);
  const auto report = SlaReport(jobs.map, classes, kNow, Duration(3600), 4);
  const ClassSla& c = Of(report, "batch");
  EXPECT_EQ(c.slices[3].started, 2);
  EXPECT_EQ(c.slices[3].met, 2);
}

TEST(SlaReport, JobsOutsideTheWindowOrNeverStartedAreInNoBucketAndNoSlice) {
  Jobs jobs;
  AddStart(jobs, "medium", 7200, 60);               // started before the window
  jobs.Add("medium", 100, -1, JobState::kPending);  // never started
  const auto report = SlaReport(jobs.map, ClassTable::Defaults(), kNow, Duration(3600), 6);
  const ClassSla& c = Of(report, "medium");
  EXPECT_EQ(std::accumulate(c.wait_histogram.begin(), c.wait_histogram.end(), 0), 0);
  for (const SlaSlice& s : c.slices) EXPECT_EQ(s.started, 0);
  EXPECT_EQ(c.slices.size(), 6u);
}

}  // namespace
}  // namespace gpusched::server
