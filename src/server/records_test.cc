// The control plane survives a restart: its rows rebuild the same state.
#include "server/records.h"

#include <gtest/gtest.h>

namespace gpusched::server {
namespace {

const GpuCatalog& Catalog() {
  static const GpuCatalog catalog = GpuCatalog::BuiltIn();
  return catalog;
}

Control::Settings Defaults() {
  Control::Settings s;
  Tenant t;
  t.name = "quality";
  s.tenants.push_back(t);
  return s;
}

JobRequest Request(MiB mib) {
  JobRequest r;
  r.tenant = "quality";
  r.memory_per_gpu_mib = mib;
  r.epochs = 10;
  r.epoch_t4 = Duration(60);
  r.gpu_types = {*Catalog().Find("T4")};
  r.spec_json = R"({"name":"x"})";
  return r;
}

Report ReportOf(std::uint64_t run, Report::Kind kind, int epoch = 0) {
  Report r;
  r.assignment = run;
  r.kind = kind;
  r.epoch = epoch;
  return r;
}

TEST(Records, AControlRebuiltFromItsRowsHasTheSameJobsRunsAndLedger) {
  Instant now{std::chrono::seconds(5'000'000)};
  Control before(&Catalog(), Defaults());
  ChangeSet cs;
  Registration reg{"n1", "a", {AgentGpu{0, "GPU-a", "Tesla T4", 0, true}}, {"image:yolo"}};
  const std::uint64_t gen = *before.Register(reg, now, cs);
  const JobId running = *before.Submit(Request(8000), now, cs);
  const JobId waiting = *before.Submit(Request(12000), now, cs);
  before.Tick(now, cs);
  const std::uint64_t run = before.Find(running)->assignment->id;
  ASSERT_TRUE(before.ApplyReports("n1", gen, {ReportOf(run, Report::Kind::kCheckpoint, 3)},
                                  now, cs)
                  .has_value());

  std::vector<NodeState> nodes;
  for (const auto& [name, n] : before.fleet().nodes()) {
    auto back = NodeFromJson(NodeToJson(n));
    ASSERT_TRUE(back.has_value()) << back.error().message;
    nodes.push_back(*back);
  }
  std::vector<StoredJob> jobs;
  for (const auto& [id, r] : before.jobs()) {
    auto back = JobFromJson(JobToJson(r, before.ledger()), Catalog());
    ASSERT_TRUE(back.has_value()) << back.error().message;
    jobs.push_back(std::move(*back));
  }
  auto counters = CountersFromJson(CountersToJson(before.counters()));
  ASSERT_TRUE(counters.has_value());

  Control after(&Catalog(), Defaults());
  const Instant later = now + Duration(5);
  ASSERT_TRUE(after.Restore(nodes, std::move(jobs), *counters, {}, later).has_value());
  EXPECT_EQ(after.Find(running)->state, JobState::kRunning);
  EXPECT_EQ(after.Find(running)->assignment->id, run);
  EXPECT_EQ(after.Find(running)->job.progress.checkpoint_epoch, 3);
  EXPECT_EQ(after.Find(running)->spec_json, R"({"name":"x"})");
  EXPECT_EQ(after.Find(running)->job.gpu_types, before.Find(running)->job.gpu_types);
  EXPECT_EQ(after.Find(waiting)->state, JobState::kPending);
  EXPECT_EQ(after.ledger().allocation_count(), 1u);
  EXPECT_EQ(after.fleet().Find("n1")->generation, gen);
  EXPECT_EQ(after.fleet().Find("n1")->labels, std::vector<std::string>{"image:yolo"});
  EXPECT_EQ(after.counters().next_job, before.counters().next_job);

  // Life goes on: the running job finishes, the waiting one starts, with a
  // run id never used before.
  ChangeSet next;
  ASSERT_TRUE(after.ApplyReports("n1", gen, {ReportOf(run, Report::Kind::kExited)},
                                 later, next)
                  .has_value());
  EXPECT_EQ(after.Find(running)->state, JobState::kSucceeded);
  after.Tick(later, next);
  ASSERT_EQ(after.Find(waiting)->state, JobState::kRunning);
  EXPECT_GT(after.Find(waiting)->assignment->id, run);
}

TEST(Records, LearnedFiguresRoundTrip) {
  MemoryEstimator estimator;
  estimator.ObservePeak("yolov8s/detect/b32/i640/amp", 5000);
  RuntimeModel runtime(&Catalog());
  runtime.ObserveEpoch("yolov8s/detect/b32/i640/amp", *Catalog().Find("A10"), Duration(42));
  Result<LearnedFigures> back = LearnedFromJson(LearnedToJson(estimator, runtime), Catalog());
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->peaks, estimator.observed_peaks());
  ASSERT_EQ(back->epochs.size(), 1u);
  EXPECT_EQ(back->epochs[0].type, *Catalog().Find("A10"));
  EXPECT_EQ(back->epochs[0].epoch_ms, 42'000);
  EXPECT_FALSE(LearnedFromJson(R"({"peaks_mib": {}, "epochs": [{"model_key": "k",
      "gpu_type": "Z9", "epoch_ms": 1}]})", Catalog()).has_value());
}

TEST(Records, ARowThatIsNotARecordIsRefusedNamingTheField) {
  auto job = JobFromJson(R"({"job": {}})", Catalog());
  ASSERT_FALSE(job.has_value());
  EXPECT_NE(job.error().message.find("not a job record"), std::string::npos);
  EXPECT_FALSE(NodeFromJson("[1,2]").has_value());
  EXPECT_FALSE(CountersFromJson("{").has_value());
}

}  // namespace
}  // namespace gpusched::server
