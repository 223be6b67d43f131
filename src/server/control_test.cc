// The control plane's state machine: submissions, runs, reports, preemption,
// lost leases and cancellation, driven by hand with an injected clock.
#include "server/control.h"
#include "server/control_testing.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace gpusched::server {
namespace {

using testing::Catalog;
using testing::Defaults;
using testing::Node;
using testing::Request;

struct ControlTest : ::testing::Test {
  Control control{&Catalog(), Defaults()};
  Instant now{std::chrono::seconds(1'000'000)};
  std::uint64_t gen = 0;

  void Advance(int s) { now += Duration(s); }
  ChangeSet Tick() {
    ChangeSet cs;
    control.Tick(now, cs);
    return cs;
  }
  JobId Submit(JobRequest r) {
    ChangeSet cs;
    auto id = control.Submit(std::move(r), now, cs);
    EXPECT_TRUE(id.has_value()) << id.error().message;
    return id ? *id : 0;
  }
  void Register(const std::string& node, int t4s) {
    ChangeSet cs;
    auto g = control.Register(Node(node, t4s), now, cs);
    ASSERT_TRUE(g.has_value()) << g.error().message;
    gen = *g;
  }
  void Send(const std::string& node, JobId job, Report::Kind kind, int epoch = 0, int code = 0) {
    const JobRecord* r = control.Find(job);
    ASSERT_NE(r, nullptr);
    ASSERT_TRUE(r->assignment.has_value());
    ChangeSet cs;
    server::Report rep;
    rep.assignment = r->assignment->id;
    rep.kind = kind;
    rep.epoch = epoch;
    rep.exit_code = code;
    ASSERT_TRUE(control.ApplyReports(node, gen, {rep}, now, cs).has_value());
  }
  JobState State(JobId id) { return control.Find(id)->state; }
  void Beat(const std::string& node) {
    ChangeSet cs;
    ASSERT_TRUE(control.Heartbeat(node, gen, {}, now, cs).has_value());
  }
};

TEST_F(ControlTest, BadSubmissionsNameTheFieldAndChangeNothing) {
  ChangeSet cs;
  auto r = control.Submit(Request("nobody", "", 1000), now, cs);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "tenant: unknown tenant \"nobody\"");
  r = control.Submit(Request("quality", "urgentest", 1000), now, cs);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("class: "), std::string::npos) << r.error().message;
  Register("n1", 2);
  r = control.Submit(Request("quality", "", 20000), now, cs);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            "memory_mib: 20000 MiB per GPU is more than any acceptable GPU in the fleet has "
            "(15360 MiB)");
  JobRequest big = Request("quality", "", 1000);
  big.gpus = 3;
  r = control.Submit(big, now, cs);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "gpus: 3 asked, the fleet has 2 acceptable GPUs");
  EXPECT_TRUE(control.jobs().empty());
  EXPECT_TRUE(cs.empty());
}

TEST_F(ControlTest, AJobWaitsWithAReasonUntilANodeRegistersThenRuns) {
  const JobId id = Submit(Request("quality", "high", 8000));
  Tick();
  ASSERT_TRUE(control.Find(id)->wait.has_value());
  EXPECT_FALSE(control.Find(id)->wait->reason.empty());
  Register("n1", 1);
  const ChangeSet cs = Tick();
  EXPECT_EQ(State(id), JobState::kRunning);
  const Assignment& a = *control.Find(id)->assignment;
  EXPECT_EQ(a.gpus.size(), 1u);
  EXPECT_EQ(a.gpus[0].node, "n1");
  EXPECT_EQ(a.visible_after, cs.seq);
  EXPECT_TRUE(control.AssignmentsFor("n1", cs.seq - 1).empty()) << "not before it is durable";
  EXPECT_EQ(control.AssignmentsFor("n1", cs.seq).size(), 1u);
}

TEST_F(ControlTest, ReportsCarryAJobToSuccessAndFreeItsGpu) {
  Register("n1", 1);
  const JobId id = Submit(Request("quality", "high", 8000));
  Tick();
  Send("n1", id, Report::Kind::kStarted);
  Send("n1", id, Report::Kind::kEpoch, 3);
  Send("n1", id, Report::Kind::kCheckpoint, 3);
  EXPECT_EQ(control.Find(id)->job.progress.checkpoint_epoch, 3);
  Send("n1", id, Report::Kind::kExited, 10, 0);
  EXPECT_EQ(State(id), JobState::kSucceeded);
  EXPECT_EQ(control.ledger().allocation_count(), 0u);
}

TEST_F(ControlTest, AGpuTheAgentReportsUnhealthyIsLoggedWithItsReasonAndNotScheduled) {
  Register("n1", 1);
  AgentGpu hot(0, "GPU-0", "T4", 0, false);
  hot.health_reason = "too hot: 97 C (limit 90 C)";
  hot.temperature_c = 97;
  ChangeSet cs;
  ASSERT_TRUE(control.Heartbeat("n1", gen, {hot}, now, cs).has_value());
  ASSERT_EQ(cs.events.size(), 1u);
  EXPECT_EQ(cs.events[0].text, "node n1 GPU 0 is unhealthy: too hot: 97 C (limit 90 C)");
  EXPECT_EQ(control.fleet().Find("n1")->gpus[0].temperature_c, 97);
  const JobId id = Submit(Request("quality", "high", 1000));
  Tick();
  EXPECT_EQ(State(id), JobState::kPending) << "nothing runs on an unhealthy GPU";
}

TEST_F(ControlTest, AgentsSeeAStoppingRunAsRunningUntilTheStopIsDurable) {
  Register("n1", 1);
  const JobId low = Submit(Request("research", "low", 12000));
  const ChangeSet bound = Tick();
  Advance(3600);
  Beat("n1");
  Submit(Request("quality", "critical", 12000));
  const ChangeSet stopped = Tick();
  ASSERT_EQ(State(low), JobState::kStopping);
  // Only the bind is durable: the run is listed, not yet told to stop.
  auto before = control.AssignmentsFor("n1", stopped.seq - 1);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].first, low);
  EXPECT_FALSE(before[0].second.stop);
  // Once the stop is durable, the agent sees it.
  auto after = control.AssignmentsFor("n1", stopped.seq);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_TRUE(after[0].second.stop);
  EXPECT_GE(stopped.seq, bound.seq);
}

TEST_F(ControlTest, APreemptedJobStopsWithinItsGraceAndResumesFromItsCheckpoint) {
  Register("n1", 1);
  const JobId low = Submit(Request("research", "low", 12000));
  Tick();
  Send("n1", low, Report::Kind::kCheckpoint, 4);
  Advance(3600);
  Beat("n1");  // the agent kept its lease
  const JobId urgent = Submit(Request("quality", "critical", 12000));
  Tick();
  EXPECT_EQ(State(low), JobState::kStopping);
  ASSERT_TRUE(control.Find(low)->assignment->stop);
  EXPECT_EQ(control.Find(low)->assignment->stop_deadline, now + Duration(30));
  EXPECT_EQ(State(urgent), JobState::kPending);
  Advance(10);
  Send("n1", low, Report::Kind::kEpoch, 5);
  Send("n1", low, Report::Kind::kExited, 0, 143);
  EXPECT_EQ(State(low), JobState::kPending);
  EXPECT_EQ(control.Find(low)->job.progress.epochs_done, 4) << "back to its checkpoint";
  Tick();
  EXPECT_EQ(State(urgent), JobState::kRunning);
  EXPECT_EQ(State(low), JobState::kPending);
}

TEST_F(ControlTest, CyclesAreSkippedUntilSomethingChangesOrATimedRuleComesDue) {
  PriorityClass low_class = *control.settings().classes.Find("low");
  low_class.min_runtime = Duration(50);  // due before the idle cycle
  ChangeSet admin;
  ASSERT_TRUE(control.PutClass(low_class, "test", admin).has_value());
  Register("n1", 1);
  const JobId low = Submit(Request("research", "low", 12000));
  Tick();
  ASSERT_EQ(State(low), JobState::kRunning);
  Tick();  // the bind may have enabled more: one more cycle checks
  EXPECT_TRUE(control.last_tick_ran());
  Tick();
  EXPECT_FALSE(control.last_tick_ran()) << "nothing changed, nothing due";

  const JobId urgent = Submit(Request("quality", "critical", 12000));
  Tick();
  EXPECT_TRUE(control.last_tick_ran());
  EXPECT_EQ(State(urgent), JobState::kPending) << "low has not run its 50 s minimum";
  Advance(49);
  Beat("n1");
  Tick();
  EXPECT_FALSE(control.last_tick_ran());
  Advance(1);  // low's minimum runtime ends: the rule comes due
  Tick();
  EXPECT_TRUE(control.last_tick_ran());
  EXPECT_EQ(State(low), JobState::kStopping);
}

TEST_F(ControlTest, AnIdleClusterStillRunsACycleEveryIdlePeriod) {
  Register("n1", 1);
  Submit(Request("research", "low", 12000));
  Submit(Request("research", "low", 12000));  // waits for the first
  Tick();
  Tick();
  Tick();
  EXPECT_FALSE(control.last_tick_ran());
  Advance(static_cast<int>(Control::kIdleCycle.count()));
  Beat("n1");
  Tick();
  EXPECT_TRUE(control.last_tick_ran()) << "waits are refreshed now and then";
}

TEST_F(ControlTest, ACheckpointSavedWhileStoppingIsWhereTheJobResumes) {
  Register("n1", 1);
  const JobId low = Submit(Request("research", "low", 12000));
  Tick();
  Send("n1", low, Report::Kind::kCheckpoint, 4);
  Advance(3600);
  Beat("n1");
  Submit(Request("quality", "critical", 12000));
  Tick();
  ASSERT_EQ(State(low), JobState::kStopping);
  Send("n1", low, Report::Kind::kPreempted, 6);  // saved epoch 6 on SIGTERM
  EXPECT_EQ(State(low), JobState::kPending);
  EXPECT_EQ(control.Find(low)->job.progress.checkpoint_epoch, 6);
  EXPECT_EQ(control.Find(low)->job.progress.epochs_done, 6);
}

TEST_F(ControlTest, EpochReportsTeachTheRuntimeModelExceptARunsFirstEpoch) {
  Register("n1", 1);
  JobRequest req = Request("quality", "high", 4000);
  req.model_key = "yolov8s/detect/b32/i640/amp";
  const JobId id = Submit(req);
  Tick();
  Send("n1", id, Report::Kind::kStarted);
  Advance(100);
  Send("n1", id, Report::Kind::kEpoch, 1);  // start-up included: not learned
  const GpuTypeId t4 = *Catalog().Find("T4");
  EXPECT_EQ(control.runtime().EpochTime(req.model_key, t4), std::nullopt);
  Advance(60);
  Send("n1", id, Report::Kind::kEpoch, 2);
  EXPECT_EQ(control.runtime().EpochTime(req.model_key, t4), Duration(60));
  Report measured;
  measured.assignment = control.Find(id)->assignment->id;
  measured.kind = Report::Kind::kEpoch;
  measured.epoch = 3;
  measured.epoch_time = Duration(20);  // the agent's own measure wins
  ChangeSet cs;
  ASSERT_TRUE(control.ApplyReports("n1", gen, {measured}, now, cs).has_value());
  EXPECT_TRUE(cs.learned);
  EXPECT_EQ(control.runtime().EpochTime(req.model_key, t4), Duration(50));  // 3/4*60 + 1/4*20
}

TEST_F(ControlTest, AReportedPeakAboveTheRequestCorrectsLaterEstimatesOfTheSameModel) {
  Register("n1", 1);
  JobRequest req = Request("quality", "high", 4000);
  req.model_key = "yolov8s/detect/b32/i640/amp";
  req.memory_estimated = true;
  const JobId first = Submit(req);
  Tick();
  Report peak;
  peak.assignment = control.Find(first)->assignment->id;
  peak.kind = Report::Kind::kMemory;
  peak.peak_mib = 5000;
  ChangeSet cs;
  ASSERT_TRUE(control.ApplyReports("n1", gen, {peak}, now, cs).has_value());
  EXPECT_TRUE(cs.learned);
  ASSERT_EQ(cs.events.size(), 1u);
  EXPECT_EQ(cs.events[0].text,
            "peak 5000 MiB per GPU is above the 4000 MiB it asked for; later jobs like it ask for more");
  EXPECT_EQ(control.Find(first)->peak_mib, 5000);
  const JobId second = Submit(req);
  EXPECT_EQ(control.Find(second)->job.memory_per_gpu_mib, 5632) << "5000 + 10 %, rounded up to 256";
  req.memory_estimated = false;  // an explicit figure is the user's to keep
  EXPECT_EQ(control.Find(Submit(req))->job.memory_per_gpu_mib, 4000);
}

TEST_F(ControlTest, ALostLeaseRequeuesTheNodesJobsAndTheReturningAgentIsToldToStopThem) {
  Register("n1", 1);
  const JobId id = Submit(Request("quality", "high", 8000));
  Tick();
  const std::uint64_t old_run = control.Find(id)->assignment->id;
  Send("n1", id, Report::Kind::kCheckpoint, 2);
  Advance(31);
  Tick();
  EXPECT_EQ(State(id), JobState::kPending);
  EXPECT_EQ(control.ledger().allocation_count(), 0u);
  Register("n1", 1);
  EXPECT_EQ(control.Unknown("n1", {old_run}), std::vector<std::uint64_t>{old_run});
  Tick();
  ASSERT_EQ(State(id), JobState::kRunning);
  EXPECT_EQ(control.Find(id)->assignment->resume_epoch, 2);
  EXPECT_NE(control.Find(id)->assignment->id, old_run);
}

TEST_F(ControlTest, ReportsFromAStaleGenerationAreRefused) {
  Register("n1", 1);
  const std::uint64_t first = gen;
  Register("n1", 1);
  ChangeSet cs;
  const Status s = control.ApplyReports("n1", first, {}, now, cs);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(ControlTest, AFailedRunIsRetriedWhileRetriesLastThenTheJobFails) {
  Register("n1", 1);
  JobRequest r = Request("quality", "high", 8000);
  r.max_retries = 1;
  const JobId id = Submit(r);
  Tick();
  Send("n1", id, Report::Kind::kExited, 0, 1);
  EXPECT_EQ(State(id), JobState::kPending);
  Tick();
  Send("n1", id, Report::Kind::kExited, 0, 2);
  EXPECT_EQ(State(id), JobState::kFailed);
  EXPECT_EQ(control.Find(id)->exit_code, 2);
}

TEST_F(ControlTest, CancellingAPendingJobEndsItAndARunningOneStopsItFirst) {
  Register("n1", 1);
  const JobId running = Submit(Request("quality", "high", 12000));
  Tick();
  const JobId waiting = Submit(Request("quality", "high", 12000));
  ChangeSet cs;
  ASSERT_TRUE(control.Cancel(waiting, "tenant quality", now, cs).has_value());
  EXPECT_EQ(State(waiting), JobState::kCancelled);
  ASSERT_TRUE(control.Cancel(running, "tenant quality", now, cs).has_value());
  EXPECT_EQ(State(running), JobState::kStopping);
  Send("n1", running, Report::Kind::kExited, 0, 143);
  EXPECT_EQ(State(running), JobState::kCancelled);
  const Status again = control.Cancel(running, "x", now, cs);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().message, fmt::format("job {} already cancelled", running));
}

}  // namespace
}  // namespace gpusched::server
