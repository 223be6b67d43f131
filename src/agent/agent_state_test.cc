// The agent's loop state, driven directly: peak memory from NVML's process
// list, matched to runs by process group; the Docker engine check.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "agent/agent.h"
#include "agent/agent_state.h"

namespace gpusched::agent {
namespace {

GpuInfo Gpu(int index, std::vector<GpuProcess> processes) {
  GpuInfo g;
  g.index = index;
  g.name = "T4";
  g.processes = std::move(processes);
  return g;
}

std::vector<RunReport> MemoryReports(const Agent::State& s) {
  std::vector<RunReport> out;
  for (const RunReport& r : s.outbox) {
    if (r.kind == "memory") out.push_back(r);
  }
  return out;
}

TEST(AgentMemory, ARunsPeakIsItsProcessesMemoryOnOneGpuReportedOnlyWhenItRises) {
  Agent::State s;
  LocalRun run;
  run.id = 7;
  run.pgid = getpgrp();  // this test's process group stands in for the run's
  s.runs.emplace(run.id, run);
  // Two processes of the run on GPU 0, one on GPU 1, and a stranger.
  s.gpus = {Gpu(0, {{getpid(), 3000}, {getpid(), 500}}), Gpu(1, {{getpid(), 1200}}),
            Gpu(2, {{999'999, 8000}})};
  s.ObserveMemory();
  std::vector<RunReport> reports = MemoryReports(s);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].assignment, 7u);
  EXPECT_EQ(reports[0].peak_mib, 3500) << "per GPU: the largest sum, not the total";

  s.outbox.clear();
  s.gpus = {Gpu(0, {{getpid(), 2000}})};
  s.ObserveMemory();
  EXPECT_TRUE(MemoryReports(s).empty()) << "lower than the peak: nothing new";

  s.gpus = {Gpu(0, {{getpid(), 4096}})};
  s.ObserveMemory();
  reports = MemoryReports(s);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].peak_mib, 4096);
}

TEST(AgentMemory, AnEndedRunReportsNoMemory) {
  Agent::State s;
  LocalRun run;
  run.id = 3;
  run.pgid = getpgrp();
  run.exit = ExitStatus{0, "exited 0"};
  s.runs.emplace(run.id, run);
  s.gpus = {Gpu(0, {{getpid(), 3000}})};
  s.ObserveMemory();
  EXPECT_TRUE(MemoryReports(s).empty());
}

TEST(AgentDocker, WithoutTheDockerCommandTheAgentSaysNoEngineIsThere) {
  const char* old = std::getenv("PATH");
  const std::string saved = old ? old : "";
  const auto empty = std::filesystem::temp_directory_path() / ("no-docker-" + std::to_string(getpid()));
  std::filesystem::create_directories(empty);
  setenv("PATH", empty.c_str(), 1);
  const Status s = CheckDockerEngine();
  setenv("PATH", saved.c_str(), 1);
  std::filesystem::remove_all(empty);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("not installed (no Docker engine on this machine)"),
            std::string::npos)
      << s.error().message;
}

}  // namespace
}  // namespace gpusched::agent
