// The quality the full policy must show on the factory scenario, and how the
// baselines compare on it.
#include "sim/scenario_factory.h"

#include <gtest/gtest.h>

#include "sim/engine.h"
#include "sim/policies.h"

namespace gpusched::sim {
namespace {

const GpuCatalog& Catalog() {
  static const GpuCatalog catalog = GpuCatalog::BuiltIn();
  return catalog;
}

struct Outcome {
  Scenario scenario;
  SimResult result;
};

Outcome Replay(std::string_view policy, std::uint64_t seed = 1) {
  Outcome run{FactoryScenario(Catalog(), seed), {}};
  SimOptions o;
  o.policy_name = std::string(policy);
  o.policy = *PolicyNamed(policy, run.scenario.config.policy);
  Result<SimResult> r = Simulate(Catalog(), run.scenario.config, run.scenario.trace, o);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  if (r) run.result = std::move(*r);
  return run;
}

const JobOutcome& Find(const SimResult& r, std::string_view id) {
  for (const JobOutcome& o : r.jobs) {
    if (o.id == id) return o;
  }
  static const JobOutcome kNone;
  ADD_FAILURE() << "no job " << id;
  return kNone;
}

const TraceJob& Spec(const Scenario& s, std::string_view id) {
  for (const TraceJob& t : s.trace) {
    if (t.id == id) return t;
  }
  static const TraceJob kNone;
  ADD_FAILURE() << "no job " << id;
  return kNone;
}

std::int64_t Wait(const JobOutcome& o) { return o.first_start_s - o.submit_s; }

class FactoryUnderGpusched : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(FactoryUnderGpusched, TheUrgentJobsStartWithinAMinute) {
  const Outcome run = Replay("gpusched", GetParam());
  for (const char* id : {"scratch-defect-v3", "dent-defect-v1"}) {
    const JobOutcome& o = Find(run.result, id);
    ASSERT_GE(o.first_start_s, 0) << id;
    EXPECT_LE(Wait(o), 60) << id;
  }
}

TEST_P(FactoryUnderGpusched, EveryDisplacedJobResumesFromItsCheckpointAndCompletes) {
  const Outcome run = Replay("gpusched", GetParam());
  int displaced = 0;
  for (const JobOutcome& o : run.result.jobs) {
    if (o.preemptions + o.migrations == 0) continue;
    ++displaced;
    const TraceJob& spec = Spec(run.scenario, o.id);
    EXPECT_GE(o.end_s, 0) << o.id << " did not complete";
    ASSERT_EQ(o.resumed_from_epoch.size(), static_cast<size_t>(o.preemptions + o.migrations));
    for (int epoch : o.resumed_from_epoch) {
      EXPECT_EQ(epoch % spec.save_period, 0) << o.id << " resumed from a non-checkpoint";
    }
  }
  EXPECT_GE(displaced, 1) << "the urgent jobs found a full cluster";
}

TEST_P(FactoryUnderGpusched, NoJobIsPreemptedMoreThanTheLimit) {
  const Outcome run = Replay("gpusched", GetParam());
  for (const JobOutcome& o : run.result.jobs) {
    EXPECT_LE(o.max_preemptions_24h, run.scenario.config.policy.max_preemptions_per_window)
        << o.id;
  }
}

TEST_P(FactoryUnderGpusched, NoClassStarvesEvenBatchCompletes) {
  const Outcome run = Replay("gpusched", GetParam());
  for (const JobOutcome& o : run.result.jobs) EXPECT_GE(o.end_s, 0) << o.id << " starved";
}

INSTANTIATE_TEST_SUITE_P(Seeds, FactoryUnderGpusched, ::testing::Values(1u, 2u, 3u, 4u, 5u));

TEST(FactoryBaselines, FifoMakesTheUrgentJobWaitForTheQueue) {
  const Outcome run = Replay("fifo");
  EXPECT_GT(Wait(Find(run.result, "scratch-defect-v3")), 3600);
}

TEST(FactoryBaselines, K8sStartsTheUrgentJobButLosesMoreWorkThanGpusched) {
  const Outcome k8s = Replay("k8s");
  const Outcome ours = Replay("gpusched");
  EXPECT_LE(Wait(Find(k8s.result, "scratch-defect-v3")), 60);
  double lost_k8s = 0, lost_ours = 0;
  for (const JobOutcome& o : k8s.result.jobs) lost_k8s += o.lost_gpu_s;
  for (const JobOutcome& o : ours.result.jobs) lost_ours += o.lost_gpu_s;
  EXPECT_LT(lost_ours, lost_k8s);
}

}  // namespace
}  // namespace gpusched::sim
