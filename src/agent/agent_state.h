// Internal to the agent: the state the loop thread owns, shared by
// agent.cc (registration, heartbeats, the loop) and agent_runs.cc (starting,
// watching, stopping and reporting runs).
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "agent/agent.h"
#include "agent/launch.h"
#include "agent/process.h"
#include "agent/run_progress.h"
#include "agent/server_link.h"

namespace gpusched::agent {

using Clock = std::chrono::steady_clock;

// One run this agent started (or found after a restart).
struct LocalRun {
  std::uint64_t id = 0;
  JobId job = 0;
  pid_t pgid = 0;          // the shim's pid and the group's id
  bool child = false;      // started by this process (waitpid works)
  std::string dir;         // <work>/runs/<id>: log, exit file, record
  std::string run_folder;  // results.csv, weights/last.pt
  int resume_epoch = 0;
  ProgressTracker tracker{0};
  int checkpoint_epoch = 0;      // newest checkpoint seen
  bool stopping = false;         // SIGTERM sent
  bool report = true;            // false: the server forgot it; stop quietly
  Clock::time_point kill_at{};   // SIGKILL then, when stopping
  bool killed = false;
  std::optional<ExitStatus> exit;
  bool finished = false;         // its exit report is in the outbox
  bool exit_reported = false;    // the server accepted the exit report
  MiB peak_reported = 0;
  std::int64_t log_sent = 0;     // bytes of the log sent to the server
  Clock::time_point last_epoch_at{};
  int last_epoch = 0;
};

// The latest list from the poller, for the loop.
struct Mailbox {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<AssignmentList> list;
  std::uint64_t list_generation = 0;
  bool lost = false;  // the server answered 409: register again
};

struct Agent::State {
  AgentOptions options;
  std::unique_ptr<GpuSource> gpu_source;
  std::unique_ptr<ServerLink> link;  // the loop's connection
  std::string agent_id;
  std::string lease_path;
  LaunchConfig launch;

  std::vector<GpuInfo> gpus;
  Clock::time_point next_discovery{};

  std::atomic<std::uint64_t> generation{0};  // 0: not registered
  int lease_s = 30;
  Clock::time_point next_heartbeat{};
  Clock::time_point next_register{};
  std::chrono::milliseconds backoff{500};

  std::map<std::uint64_t, LocalRun> runs;
  std::vector<RunReport> outbox;  // reports not yet accepted
  Clock::time_point next_send{};

  Mailbox mailbox;
  std::unique_ptr<ServerLink> poll_link;  // the poller's connection
  std::atomic<bool> poller_stop{false};
  std::atomic<bool> poller_done{false};
  std::thread poller;
  void StopPoller();

  // agent_runs.cc
  void Recover();
  void ApplyAssignments(const AssignmentList& list);
  void Start(const Assignment& a);
  void BeginStop(LocalRun& run, std::chrono::seconds grace, bool report);
  void Reap();
  void Observe(LocalRun& run);
  void ObserveMemory();
  void FinishRun(LocalRun& run);
  void ForgetReported();
  std::vector<std::uint64_t> LiveRunIds() const;
  void StopAll(std::chrono::seconds grace);
};

}  // namespace gpusched::agent
