// Starting and stopping a job's processes: each run is its own process group,
// started with posix_spawn, its stdout and stderr appended to one log file.
//
// Every run goes through a small supervisor, `gpusched run-shim`, which is the
// group's leader: it starts the trainer, waits for it and writes its exit
// status to a file. So an agent that restarts, and is no longer the parent of
// its runs, still learns how each of them ended.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gpusched/status.h"

namespace gpusched::agent {

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  // Added to (or replacing in) the agent's own environment.
  std::map<std::string, std::string> env;
  std::string cwd;       // empty: the agent's
  std::string log_path;  // stdout and stderr, appended; created if missing
  std::string exit_path; // where the shim writes the exit status
  std::string lease_path; // the agent's lease file (see RunShim); empty: none
  std::string shim;      // the gpusched binary that provides `run-shim`
};

// Starts `args` (args[0] a path) in a new process group whose id is the
// returned pid, with the agent's environment plus `env_overrides`, in `cwd`
// (empty: this process's), stdin from /dev/null, stdout and stderr appended
// to `log_path`, every signal at its default and none blocked. Errors name
// the log file or the program. REQUIRES: !args.empty().
Result<pid_t> SpawnInGroup(const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env_overrides,
                           const std::string& cwd, const std::string& log_path);

// Starts `request.argv` under the shim in a new process group whose id is
// the returned pid. Fails (naming the program or file) when the log cannot be
// opened or the shim cannot be started; a trainer that cannot be executed is
// an exit with status 127 and a line in the log, like a shell's.
Result<pid_t> SpawnRun(const SpawnRequest& request);

// How a run ended.
struct ExitStatus {
  int code = 0;        // the exit code; 128 + N for signal N
  std::string detail;  // "exited 1", "killed by signal 9 (SIGKILL)"
};
ExitStatus FromWaitStatus(int wait_status);

// The status the shim recorded, if it got to write one.
std::optional<ExitStatus> ReadExitFile(const std::string& path);

// Sends `signal` to the whole process group `pgid`. False when no process of
// the group is left.
bool SignalGroup(pid_t pgid, int signal);

// Whether any process of group `pgid` is still alive (for runs this process
// did not start: after an agent restart).
bool GroupAlive(pid_t pgid);

// The process group of `pid`, or -1 when it is gone.
pid_t GroupOf(pid_t pid);

// The agent's lease file: the wall-clock time (ms since the epoch) at which
// the runs must be dead unless the agent renewed its lease with the server.
// Written atomically after every successful heartbeat.
struct LeaseDeadline {
  std::int64_t term_ms = 0;  // SIGTERM to the trainer
  std::int64_t kill_ms = 0;  // SIGKILL to the group
};
void WriteLeaseFile(const std::string& path, const LeaseDeadline& deadline);
std::optional<LeaseDeadline> ReadLeaseFile(const std::string& path);

// `gpusched run-shim EXIT_FILE LEASE_FILE|- -- ARGV...`: runs ARGV as a child
// in the caller's process group, ignores SIGTERM and SIGINT itself (the
// trainer gets them from the group signal), waits, writes the status to
// EXIT_FILE atomically and exits with the child's code.
//
// Self-fencing: while the trainer runs, the shim reads LEASE_FILE every
// 250 ms. Past term_ms it sends SIGTERM to the group; past kill_ms it records
// "fenced" as the status and kills the group. So a run whose agent died or
// lost the server stops before the server's lease ends and the job is placed
// elsewhere: a job never runs on two nodes at once.
int RunShim(const std::vector<std::string>& args);

}  // namespace gpusched::agent
