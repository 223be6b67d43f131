#include "agent/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

extern char** environ;

namespace gpusched::agent {
namespace {

// NUL-terminated pointers into `strings`, which must outlive the result.
std::vector<char*> CArray(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The agent's environment with `overrides` applied.
std::vector<std::string> Environment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry = *e;
    const std::string key = entry.substr(0, entry.find('='));
    if (!overrides.contains(key)) env.push_back(entry);
  }
  for (const auto& [key, value] : overrides) env.push_back(key + "=" + value);
  return env;
}

const char* SignalName(int sig) {
  switch (sig) {
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    default: return "signal";
  }
}

// posix_spawn attributes: a new process group, an empty signal mask, and
// the default action for the signals a supervisor may have changed.
struct SpawnAttr {
  posix_spawnattr_t attr;
  SpawnAttr() {
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int s : {SIGTERM, SIGINT, SIGPIPE, SIGCHLD, SIGHUP}) sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
  }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
};

struct FileActions {
  posix_spawn_file_actions_t actions;
  FileActions() { posix_spawn_file_actions_init(&actions); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
};

void WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  if (FILE* f = std::fopen(tmp.c_str(), "w")) {
    std::fputs(text.c_str(), f);
    std::fflush(f);
    fsync(fileno(f));
    std::fclose(f);
    std::rename(tmp.c_str(), path.c_str());
  }
}

void IgnoreSignal(int) {}

}  // namespace

Result<pid_t> SpawnInGroup(const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env_overrides,
                           const std::string& cwd, const std::string& log_path) {
  const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("cannot open the log file \"{}\": {}", log_path,
                                 std::strerror(errno)));
  }
  close(log);
  FileActions fa;
  posix_spawn_file_actions_addopen(&fa.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa.actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&fa.actions, 1, 2);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa.actions, cwd.c_str());
  SpawnAttr sa;
  std::vector<std::string> owned = args;
  std::vector<std::string> env = Environment(env_overrides);
  std::vector<char*> argv = CArray(owned);
  std::vector<char*> envp = CArray(env);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, owned[0].c_str(), &fa.actions, &sa.attr, argv.data(), envp.data());
  if (rc != 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("cannot start \"{}\": {}", owned[0], std::strerror(rc)));
  }
  return pid;
}

Result<pid_t> SpawnRun(const SpawnRequest& request) {
  if (request.argv.empty() || request.argv[0].empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "the job's command is empty");
  }
  std::vector<std::string> args{request.shim, "run-shim", request.exit_path,
                                request.lease_path.empty() ? "-" : request.lease_path, "--"};
  args.insert(args.end(), request.argv.begin(), request.argv.end());
  return SpawnInGroup(args, request.env, request.cwd, request.log_path);
}

ExitStatus FromWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) {
    const int code = WEXITSTATUS(wait_status);
    return ExitStatus{code, fmt::format("exited {}", code)};
  }
  if (WIFSIGNALED(wait_status)) {
    const int sig = WTERMSIG(wait_status);
    return ExitStatus{128 + sig, fmt::format("killed by signal {} ({})", sig, SignalName(sig))};
  }
  return ExitStatus{255, fmt::format("ended with wait status {}", wait_status)};
}

std::optional<ExitStatus> ReadExitFile(const std::string& path) {
  std::ifstream in(path);
  ExitStatus status;
  if (!(in >> status.code)) return std::nullopt;
  std::getline(in >> std::ws, status.detail);
  return status;
}

bool SignalGroup(pid_t pgid, int signal) {
  if (pgid <= 1) return false;
  return kill(-pgid, signal) == 0 || errno == EPERM;
}

bool GroupAlive(pid_t pgid) { return SignalGroup(pgid, 0); }

pid_t GroupOf(pid_t pid) { return getpgid(pid); }

void WriteLeaseFile(const std::string& path, const LeaseDeadline& deadline) {
  WriteFileAtomically(path, fmt::format("{} {}\n", deadline.term_ms, deadline.kill_ms));
}

std::optional<LeaseDeadline> ReadLeaseFile(const std::string& path) {
  std::ifstream in(path);
  LeaseDeadline d;
  if (!(in >> d.term_ms >> d.kill_ms)) return std::nullopt;
  return d;
}

namespace {

std::int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Waits for `pid`, enforcing the lease in `lease_path` ("-": none).
ExitStatus Supervise(pid_t pid, const std::string& lease_path, const std::string& exit_path) {
  bool termed = false;
  while (true) {
    int ws = 0;
    const pid_t done = waitpid(pid, &ws, WNOHANG);
    if (done == pid) return FromWaitStatus(ws);
    if (done < 0 && errno != EINTR) return ExitStatus{255, "lost track of the trainer"};
    std::optional<LeaseDeadline> lease;
    if (lease_path != "-") lease = ReadLeaseFile(lease_path);
    const std::int64_t now = WallMs();
    if (lease && now >= lease->kill_ms) {
      std::fprintf(stderr, "gpusched: the agent's lease ended: killing the run (fenced)\n");
      std::fflush(stderr);
      WriteFileAtomically(exit_path, "137 fenced: the agent's lease with the server ended\n");
      kill(-getpgrp(), SIGKILL);
    }
    if (lease && now >= lease->term_ms && !termed) {
      std::fprintf(stderr, "gpusched: the agent's lease is ending (fenced): SIGTERM to the run\n");
      std::fflush(stderr);
      kill(-getpgrp(), SIGTERM);
      termed = true;
    }
    usleep(250'000);
  }
}

}  // namespace

int RunShim(const std::vector<std::string>& args) {
  if (args.size() < 4 || args[2] != "--") {
    std::fprintf(stderr, "usage: gpusched run-shim EXIT_FILE LEASE_FILE|- -- PROGRAM [ARGS...]\n");
    return 2;
  }
  const std::string exit_path = args[0];
  const std::string lease_path = args[1];
  std::vector<std::string> child(args.begin() + 3, args.end());
  struct sigaction sa {};
  sa.sa_handler = IgnoreSignal;  // a handler, not SIG_IGN: the child gets the default
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::vector<char*> argv = CArray(child);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, child[0].c_str(), nullptr, nullptr, argv.data(), environ);
  ExitStatus status;
  if (rc != 0) {
    std::fprintf(stderr, "gpusched: cannot execute \"%s\": %s\n", child[0].c_str(),
                 std::strerror(rc));
    status = ExitStatus{127, fmt::format("cannot execute \"{}\": {}", child[0], std::strerror(rc))};
  } else {
    status = Supervise(pid, lease_path, exit_path);
  }
  std::fflush(stdout);
  WriteFileAtomically(exit_path, fmt::format("{} {}\n", status.code, status.detail));
  return status.code > 255 ? 255 : status.code;
}

}  // namespace gpusched::agent
