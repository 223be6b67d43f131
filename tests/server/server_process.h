// A `gpusched server` child process for process-level tests: spawned with
// posix_spawn, its stdout and stderr captured through one pipe, its port read
// from the line it prints once it listens. Every wait is bounded; the child is
// killed (SIGKILL) and reaped when the object is destroyed, on every path,
// including a failed assertion.
//
// Thread safety: `output()` may be called from any thread; the other
// methods from the thread that owns the object.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace gpusched::testing {

class ServerProcess {
 public:
  struct Options {
    std::string binary;       // the gpusched executable
    std::string db;           // --db
    std::string admin_token;  // --admin-token, if not empty
    std::string config_file;  // --config, if not empty
  };

  // Spawns `binary server --db ... --listen 127.0.0.1:PORT ...` (port 0: a
  // free one) and returns once
  // the child printed its address (port() is then set), or once it exited or
  // `timeout` passed (port() is 0; the child, if still alive, is killed).
  // Never returns null; `error` says what went wrong, if anything.
  static std::unique_ptr<ServerProcess> Start(const Options& options,
                                              std::chrono::milliseconds timeout,
                                              std::string* error, int port = 0);
  ~ServerProcess();  // Kill()
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !status_; }
  // The wait status once the child was reaped (see <sys/wait.h>).
  std::optional<int> exit_status() const { return status_; }

  // Sends `signal` and waits (bounded, 10 s) for the child to exit; a child
  // still alive then is killed with SIGKILL. Returns the wait status, or
  // nullopt when there was no child. Idempotent.
  std::optional<int> Stop(int signal);
  std::optional<int> Kill() { return Stop(SIGKILL); }

  // Waits up to `timeout` for the child to exit by itself; its wait status,
  // or nullopt when it is still running.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);

  // Everything the child wrote to stdout and stderr so far.
  std::string output() const;

 private:
  ServerProcess() = default;
  void ReadLoop();
  void JoinReader();

  pid_t pid_ = -1;
  int port_ = 0;
  int read_fd_ = -1;
  std::optional<int> status_;  // the wait status, once reaped
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string output_;        // guarded by mu_
  bool eof_ = false;          // guarded by mu_
  bool stop_reader_ = false;  // guarded by mu_
};

// Parses "... listening on HOST:PORT (...)" in `output`; 0 when absent.
int ParseListeningPort(const std::string& output);

}  // namespace gpusched::testing
