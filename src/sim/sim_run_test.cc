// What `gpusched sim` does as a library call: inputs by format, the load and
// cluster-fraction knobs, per-VC mode on the real files, and the errors.
#include "sim/sim_run.h"

#include <gtest/gtest.h>

#include "real_traces_testing.h"

namespace gpusched::sim {
namespace {

using testing::TracePath;

SimRequest Factory(std::vector<std::string> policies) {
  SimRequest req;
  req.scenario = "factory";
  req.policies = std::move(policies);
  return req;
}

const JobOutcome& Find(const SimResult& r, std::string_view id) {
  for (const JobOutcome& o : r.jobs) {
    if (o.id == id) return o;
  }
  static const JobOutcome kNone;
  ADD_FAILURE() << "no job " << id;
  return kNone;
}

std::string ErrorOf(const SimRequest& req) {
  Result<SimRun> run = RunSimulation(req);
  EXPECT_FALSE(run.has_value());
  return run ? "" : run.error().message;
}

TEST(SimRun, ComparesThePoliciesInTheOrderAsked) {
  Result<SimRun> run = RunSimulation(Factory({"gpusched", "fifo"}));
  ASSERT_TRUE(run.has_value()) << run.error().message;
  ASSERT_EQ(run->results.size(), 2u);
  EXPECT_EQ(run->results[0].policy, "gpusched");
  EXPECT_EQ(run->results[1].policy, "fifo");
  EXPECT_EQ(run->results[0].jobs.size(), 46u);
  EXPECT_EQ(run->context.trace, "scenario factory");
  EXPECT_TRUE(run->per_vc.empty());
}

TEST(SimRun, LoadDividesEverySubmitTime) {
  SimRequest req = Factory({"fifo"});
  req.load = 2;
  Result<SimRun> run = RunSimulation(req);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  EXPECT_EQ(Find(run->results[0], "scratch-defect-v3").submit_s, 1800);
  EXPECT_EQ(Find(run->results[0], "dent-defect-v1").submit_s, 2700);
}

TEST(SimRun, ClusterFractionKeepsAnEvenlySpreadShareOfTheNodes) {
  SimRequest req;
  req.format = TraceFormat::kPai;
  req.trace_path = TracePath("alibaba-pai-2023/openb_pod_list_default.csv");
  req.policies = {"fifo"};
  req.cluster_fraction = 0.03;
  req.horizon_s = 1;  // the cluster is what is checked here, not the replay
  Result<SimRun> run = RunSimulation(req);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  // 36 of the 1,213 GPU nodes; every node type keeps its share (to rounding).
  EXPECT_EQ(run->context.cluster.substr(0, 23), "36 nodes, 189 GPUs: 0.0");
}

TEST(SimRun, PerVcModeReplaysEachVirtualClusterOnItsOwn) {
  SimRequest req;
  req.format = TraceFormat::kPhilly;
  req.trace_path = TracePath("philly-pollux/philly.csv");
  req.per_vc = true;
  req.policies = {"fifo"};
  req.horizon_s = 7 * 86400;  // the first week is enough to check the split
  Result<SimRun> run = RunSimulation(req);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  ASSERT_EQ(run->per_vc.size(), 11u);
  int gpus = 0;
  for (const VcRuns& vc : run->per_vc) {
    gpus += vc.gpus;
    ASSERT_EQ(vc.reports.size(), 1u);
  }
  EXPECT_EQ(gpus, 2816);
  EXPECT_EQ(run->results[0].total_gpus, 2816);
  EXPECT_EQ(run->results[0].jobs.size(), 68503u) << "jobs of Oct-Nov 2017 in the 11 VCs";
  EXPECT_EQ(run->per_vc.front().vc, "6214e9");
  EXPECT_EQ(run->per_vc.front().reports[0].jobs, 33950);
}

TEST(SimRun, InputErrorsNameWhatIsWrong) {
  SimRequest req = Factory({"fifo"});
  req.scenario = "warehouse";
  EXPECT_EQ(ErrorOf(req), "unknown scenario \"warehouse\" (known: factory)");

  req = SimRequest{};
  EXPECT_EQ(ErrorOf(req), "--trace FILE or --scenario factory is required");

  req.trace_path = TracePath("tiresias/60_job.csv");
  EXPECT_EQ(ErrorOf(req),
            "--cluster is required for a jsonl trace (only philly, pai and tiresias traces have "
            "a built-in cluster)");

  req.format = TraceFormat::kTiresias;
  req.per_vc = true;
  EXPECT_EQ(ErrorOf(req), "--per-vc needs --format philly");

  req.format = TraceFormat::kPhilly;
  req.cluster_path = "cluster.yaml";
  EXPECT_EQ(ErrorOf(req),
            "--per-vc sizes each virtual cluster from --vc-file; --cluster does not apply");

  req = Factory({"fifo"});
  req.load = 0;
  EXPECT_EQ(ErrorOf(req), "--load must be > 0, got 0");
  req.load = 1;
  req.cluster_fraction = 1.5;
  EXPECT_EQ(ErrorOf(req), "--cluster-fraction must be in (0, 1], got 1.5");
  req.cluster_fraction = 1;
  req.policies = {"slurm"};
  EXPECT_NE(ErrorOf(req).find("slurm"), std::string::npos);
}

TEST(SimRun, AMissingTraceFileIsNamed) {
  SimRequest req;
  req.format = TraceFormat::kTiresias;
  req.trace_path = "/nonexistent/60_job.csv";
  EXPECT_NE(ErrorOf(req).find("/nonexistent/60_job.csv"), std::string::npos);
}

TEST(SimRun, TraceFormatsHaveNames) {
  for (const char* name : {"jsonl", "philly", "pai", "tiresias"}) {
    Result<TraceFormat> f = ParseTraceFormat(name);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(TraceFormatName(*f), name);
  }
  EXPECT_EQ(ParseTraceFormat("csv").error().message,
            "unknown trace format \"csv\" (known: jsonl, philly, pai, tiresias)");
}

}  // namespace
}  // namespace gpusched::sim
