// The SLA report: waits from submission to first start, per class, against
// the class's target, over a window; never-started jobs counted apart.
#include "server/sla.h"

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

}  // namespace
}  // namespace gpusched::server
