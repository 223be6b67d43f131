// `gpusched agent`: one per GPU machine. Registers the machine's GPUs with
// the server, renews its lease, pulls its assignments, starts and stops the
// runs, and reports their progress, checkpoints, memory, logs and exits.
//
// One thread owns all run state (the loop in Agent::Run); a second thread
// only long-polls the assignments and hands each new list to the loop.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "agent/gpu_info.h"
#include "gpusched/status.h"

namespace gpusched::agent {

struct AgentOptions {
  std::string server = "http://127.0.0.1:8080";
  std::string token;
  std::string node;            // REQUIRES: non-empty
  std::string work_dir;        // REQUIRES: non-empty; runs/, lease, logs live here
  std::string checkpoint_dir;  // job folders; empty: <work_dir>/jobs. Shared storage
                               // lets a job resume on another node.
  std::vector<std::string> yolo{"yolo"};  // program prefix for `train ...`
  bool docker = false;         // jobs with an image run in `docker run`
  std::vector<std::string> labels;
  std::string shim;            // the gpusched binary (run-shim); empty: /proc/self/exe
  std::chrono::milliseconds tick{200};
  int long_poll_s = 20;
  // On exit, stop the runs (SIGTERM, then SIGKILL after this long) instead
  // of leaving them to a restarted agent. Zero: leave them.
  std::chrono::seconds stop_runs_on_exit{0};
};

class Agent {
 public:
  // Checks the options and prepares the folders. Errors name the option.
  static Result<std::unique_ptr<Agent>> Create(AgentOptions options,
                                               std::unique_ptr<GpuSource> gpus);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Runs until `stop` is true, or until the server refuses this agent (bad
  // token): returns 0, or 1 with the reason logged.
  int Run(const std::atomic<bool>& stop);

  struct State;  // internal (agent_state.h)

 private:
  explicit Agent(std::unique_ptr<State> state);
  bool Register();
  void Heartbeat();
  void Flush();
  void TakeMail();
  std::unique_ptr<State> s_;
};

// `docker version` succeeds: a Docker engine answers. Else the reason.
Status CheckDockerEngine();

}  // namespace gpusched::agent
