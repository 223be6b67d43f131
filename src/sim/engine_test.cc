// The replay loop: virtual time, the job model, and the driver contract
// (binds, grace, loss since the newest checkpoint, restart overhead, resume).
#include "sim/engine.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "sim/policies.h"

namespace gpusched::sim {
namespace {

const GpuCatalog& Catalog() {
  static const GpuCatalog catalog = GpuCatalog::BuiltIn();
  return catalog;
}

ClusterConfig Cluster(std::string_view yaml) {
  Result<ClusterConfig> c = ParseClusterFile(yaml, Catalog());
  EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().message);
  return c ? *c : ClusterConfig{};
}

TraceJob Epochs(std::string id, std::int64_t submit, std::string cls, int epochs, double epoch_s,
                int save_period = 1) {
  TraceJob t;
  t.id = std::move(id);
  t.submit_s = submit;
  t.class_name = std::move(cls);
  t.memory_mib = 8192;
  t.epochs = epochs;
  t.epoch_s = epoch_s;
  t.save_period = save_period;
  return t;
}

SimResult Replay(const ClusterConfig& c, const std::vector<TraceJob>& trace,
              std::string_view policy = "gpusched") {
  SimOptions o;
  o.policy_name = std::string(policy);
  o.policy = *PolicyNamed(policy, c.policy);
  Result<SimResult> r = Simulate(Catalog(), c, trace, o, [] { return 0.0; });
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : SimResult{};
}

const JobOutcome& Job(const SimResult& r, std::string_view id) {
  for (const JobOutcome& o : r.jobs) {
    if (o.id == id) return o;
  }
  static const JobOutcome kNone;
  ADD_FAILURE() << "no job " << id;
  return kNone;
}

TEST(ReplayLoop, AJobTrainsItsEpochsAtTheSpeedOfItsGpuType) {
  // 3 epochs of 100 s on a T4 take 150 s on an A10 (speed 2.0).
  const SimResult r = Replay(Cluster("nodes: [{name: n, gpus: 1xA10}]"),
                          {Epochs("a", 10, "medium", 3, 100)});
  EXPECT_EQ(Job(r, "a").first_start_s, 10);
  EXPECT_EQ(Job(r, "a").end_s, 160);
  EXPECT_DOUBLE_EQ(Job(r, "a").work_gpu_s, 150);
  EXPECT_DOUBLE_EQ(Job(r, "a").held_gpu_s, 150);
  EXPECT_EQ(r.end_s, 160);
}

TEST(ReplayLoop, RecordedRunTimesReplayUnscaledWhateverTheGpu) {
  TraceJob t = Epochs("a", 0, "medium", 2, 500);
  t.speed_scaled = false;
  const SimResult r = Replay(Cluster("nodes: [{name: n, gpus: 1xH100}]"), {t});
  EXPECT_EQ(Job(r, "a").end_s, 1000);
}

TEST(ReplayLoop, FifoMakesTheSecondJobWaitForTheFirst) {
  const SimResult r = Replay(Cluster("nodes: [{name: n, gpus: 1xT4}]"),
                          {Epochs("a", 0, "low", 1, 300), Epochs("b", 5, "critical", 1, 100)},
                          "fifo");
  EXPECT_EQ(Job(r, "b").first_start_s, 300);
  EXPECT_EQ(Job(r, "b").end_s, 400);
  EXPECT_EQ(Job(r, "a").preemptions, 0);
}

TEST(ReplayLoop, AVictimLosesTheTrainingSinceItsNewestCheckpointAndResumesFromIt) {
  // The low job checkpoints every 2 epochs of 100 s: at 200 s and 400 s. The
  // critical job arrives at 350 s; the low job trains on through its 30 s
  // grace and exits at 380 s, losing 180 s since the checkpoint at 200 s.
  auto c = Cluster("nodes: [{name: n, gpus: 1xT4}]");
  TraceJob low = Epochs("low", 0, "low", 6, 100, 2);
  low.memory_mib = 12000;
  TraceJob urgent = Epochs("urgent", 350, "critical", 1, 100);
  urgent.memory_mib = 12000;
  const SimResult r = Replay(c, {low, urgent});
  const JobOutcome& v = Job(r, "low");
  EXPECT_EQ(v.preemptions, 1);
  EXPECT_DOUBLE_EQ(v.lost_gpu_s, 180);
  EXPECT_EQ(Job(r, "urgent").first_start_s, 380);
  EXPECT_EQ(Job(r, "urgent").end_s, 480);
  ASSERT_EQ(v.resumed_from_epoch, std::vector<int>{2});
  // Back on the node it ran on (warm): 60 s restart, then epochs 3..6.
  EXPECT_DOUBLE_EQ(v.restart_gpu_s, 60);
  EXPECT_EQ(v.end_s, 480 + 60 + 400);
  EXPECT_DOUBLE_EQ(v.held_gpu_s, v.work_gpu_s + v.lost_gpu_s + v.restart_gpu_s);
}

TEST(ReplayLoop, AVictimThatReachesItsEndWithinTheGraceSimplyFinishes) {
  auto c = Cluster("nodes: [{name: n, gpus: 1xT4}]");
  TraceJob low = Epochs("low", 0, "low", 1, 400);
  low.memory_mib = 12000;
  TraceJob urgent = Epochs("urgent", 380, "critical", 1, 100);
  urgent.memory_mib = 12000;
  const SimResult r = Replay(c, {low, urgent});
  EXPECT_EQ(Job(r, "low").end_s, 400);
  EXPECT_DOUBLE_EQ(Job(r, "low").lost_gpu_s, 0);
  EXPECT_EQ(Job(r, "urgent").first_start_s, 400);
}

TEST(ReplayLoop, ARestartOnANodeWithoutTheImageCachedPaysTheUncachedOverhead) {
  // The victim (image "yolo") starts on node a, which has it cached. After
  // the preemption, node c frees first (at 520 s) and nothing is cached
  // there: the restart costs the uncached 240 s.
  auto c = Cluster(R"(nodes:
  - {name: a, gpus: 1xT4, labels: ["image:yolo"]}
  - {name: b, gpus: 1xT4}
  - {name: c, gpus: 1xT4}
policy: {wait_instead: false}
)");
  TraceJob victim = Epochs("victim", 0, "low", 4, 200);
  victim.image = "yolo";
  victim.memory_mib = 12000;
  TraceJob filler = Epochs("filler", 0, "low", 1, 100000);
  filler.memory_mib = 12000;
  TraceJob short_one = Epochs("short", 0, "low", 1, 520);
  short_one.memory_mib = 12000;
  TraceJob urgent = Epochs("urgent", 450, "critical", 1, 100);
  urgent.memory_mib = 12000;
  const SimResult r = Replay(c, {victim, filler, short_one, urgent});
  const JobOutcome& v = Job(r, "victim");
  EXPECT_EQ(v.preemptions, 1);
  EXPECT_DOUBLE_EQ(v.lost_gpu_s, 80) << "trained 400..480 since the checkpoint at epoch 2";
  ASSERT_EQ(v.resumed_from_epoch, std::vector<int>{2});
  EXPECT_DOUBLE_EQ(v.restart_gpu_s, 240);
  EXPECT_EQ(v.end_s, 520 + 240 + 400);
}

TEST(ReplayLoop, AJobNoGpuCanHoldWaitsWithAReasonAndTheReplayStillEnds) {
  TraceJob huge = Epochs("huge", 0, "medium", 1, 100);
  huge.gpus = 4;
  const SimResult r = Replay(Cluster("nodes: [{name: n, gpus: 2xT4}]"),
                          {huge, Epochs("ok", 0, "medium", 1, 100)});
  EXPECT_EQ(Job(r, "ok").end_s, 100);
  EXPECT_EQ(Job(r, "huge").first_start_s, -1);
  EXPECT_EQ(Job(r, "huge").end_s, -1);
  EXPECT_FALSE(Job(r, "huge").wait_reason.empty());
}

TEST(ReplayLoop, AHorizonStopsTheReplayWithUnfinishedJobs) {
  auto c = Cluster("nodes: [{name: n, gpus: 1xT4}]");
  SimOptions o;
  o.policy = c.policy;
  o.horizon_s = 500;
  auto r = Simulate(Catalog(), c, {Epochs("a", 0, "medium", 1, 1000)}, o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->jobs[0].end_s, -1);
  EXPECT_EQ(r->end_s, 500);
}

TEST(ReplayLoop, ATenantTheClusterFileDoesNotNameIsAnError) {
  auto c = Cluster("nodes: [{name: n, gpus: 1xT4}]\ntenants: [{name: vision}]");
  TraceJob t = Epochs("a", 0, "medium", 1, 10);
  t.tenant = "robotics";
  auto r = Simulate(Catalog(), c, {t}, SimOptions{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            "job \"a\": unknown tenant \"robotics\" (the cluster file names its tenants; add it "
            "there)");
}

TEST(ReplayLoop, WithoutTenantsInTheFileEveryTraceTenantIsAdmitted) {
  TraceJob t = Epochs("a", 0, "", 1, 10);
  t.tenant = "robotics";
  const SimResult r = Replay(Cluster("nodes: [{name: n, gpus: 1xT4}]"), {t});
  EXPECT_EQ(Job(r, "a").tenant, "robotics");
  EXPECT_EQ(Job(r, "a").class_name, "medium") << "the tenant's default class";
}

TEST(ReplayLoop, AnUnknownClassOrGpuTypeIsAnErrorNamingTheJob) {
  auto c = Cluster("nodes: [{name: n, gpus: 1xT4}]");
  auto r = Simulate(Catalog(), c, {Epochs("a", 0, "urgentest", 1, 10)}, SimOptions{});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("job \"a\""), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("urgentest"), std::string::npos) << r.error().message;
  TraceJob t = Epochs("b", 0, "medium", 1, 10);
  t.gpu_types = {"Z9"};
  r = Simulate(Catalog(), c, {t}, SimOptions{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "job \"b\": unknown GPU type \"Z9\"");
}

TEST(ReplayLoop, TheTimelineStaysBoundedHoweverLongTheReplay) {
  std::vector<TraceJob> trace;
  for (int i = 0; i < 50; ++i) trace.push_back(Epochs(fmt::format("j{}", i), i * 10, "low", 1, 1e6));
  auto c = Cluster("nodes: [{name: n, gpus: 4xT4}]");
  SimOptions o;
  o.policy = c.policy;
  o.timeline_samples = 20;
  auto r = Simulate(Catalog(), c, trace, o);
  ASSERT_TRUE(r.has_value());
  EXPECT_LE(r->timeline.size(), 40u);
  EXPECT_GE(r->timeline.size(), 10u);
  EXPECT_EQ(r->timeline.back().pending_by_class.size(), r->class_names.size());
}

}  // namespace
}  // namespace gpusched::sim
