// The agent's side of the agent protocol (docs/openapi.yaml, "agents"):
// register, heartbeat, fetch assignments (long poll), send reports. One
// connection per ServerLink; not thread-safe, so each thread has its own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/gpu_info.h"
#include "agent/launch.h"
#include "gpusched/status.h"

namespace gpusched::agent {

// One report about a run (kinds: started, epoch, checkpoint, memory, exited,
// preempted, log).
struct RunReport {
  std::uint64_t assignment = 0;
  std::string kind;
  int epoch = 0;            // epoch, checkpoint, exited (checkpoint saved while stopping)
  double epoch_s = 0;       // epoch: its measured length, 0 when unknown
  MiB peak_mib = 0;         // memory
  int exit_code = 0;        // exited
  std::string message;      // exited: the detail and the log's tail
  std::int64_t offset = 0;  // log: where `text` starts in the run's log
  std::string text;         // log

  bool operator==(const RunReport&) const = default;
};

// How a call went. kLost: the server no longer knows this registration
// (409): register again. kUnreachable: no answer or a 5xx: retry later.
// kRefused: 4xx: this agent's request or token is wrong; message says why.
enum class CallOutcome { kOk, kLost, kUnreachable, kRefused };

template <typename T>
struct Call {
  CallOutcome outcome = CallOutcome::kOk;
  std::string message;  // when not kOk
  T value{};
};

struct Registered {
  std::uint64_t generation = 0;
  int lease_s = 0;
  std::vector<std::uint64_t> stop;  // local runs the server does not know
};

class ServerLink {
 public:
  // `server`: "http://HOST:PORT". `token`: an agent (or admin) token.
  ServerLink(std::string server, std::string token, std::string node);
  ~ServerLink();
  ServerLink(const ServerLink&) = delete;
  ServerLink& operator=(const ServerLink&) = delete;

  Call<Registered> Register(const std::string& agent_id, const std::vector<GpuInfo>& gpus,
                            const std::vector<std::string>& labels,
                            const std::vector<std::uint64_t>& running);
  Call<bool> Heartbeat(std::uint64_t generation, const std::vector<GpuInfo>& gpus);
  // Waits up to wait_s (0..60) for a list whose version differs from `since`.
  Call<AssignmentList> Assignments(std::uint64_t generation, const std::string& since, int wait_s);
  Call<bool> Report(std::uint64_t generation, const std::vector<RunReport>& reports);

  // Ends a call in progress on another thread (it fails as unreachable).
  // The only method that may be called concurrently with the others.
  void Cancel();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The reports as the route's JSON body (exposed for tests).
std::string ReportsBody(std::uint64_t generation, const std::vector<RunReport>& reports);

}  // namespace gpusched::agent
