#include "server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace gpusched::testing {
namespace {

using Clock = std::chrono::steady_clock;

// The test's environment minus what would change the child's tokens.
std::vector<std::string> ChildEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "GPUSCHED_ADMIN_TOKEN=", 21) != 0) env.emplace_back(*e);
  }
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

int ParseListeningPort(const std::string& output) {
  constexpr std::string_view kMarker = "listening on ";
  const std::size_t at = output.find(kMarker);
  if (at == std::string::npos) return 0;
  const std::size_t end = output.find(" (", at);
  if (end == std::string::npos) return 0;
  const std::string address = output.substr(at + kMarker.size(), end - at - kMarker.size());
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) return 0;
  const std::string port = address.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoi(port);
}

std::unique_ptr<ServerProcess> ServerProcess::Start(const Options& o,
                                                    std::chrono::milliseconds timeout,
                                                    std::string* error, int port) {
  std::unique_ptr<ServerProcess> p(new ServerProcess());
  std::vector<std::string> args{o.binary, "server", "--db", o.db, "--listen",
                                "127.0.0.1:" + std::to_string(port)};
  if (!o.admin_token.empty()) args.insert(args.end(), {"--admin-token", o.admin_token});
  if (!o.config_file.empty()) args.insert(args.end(), {"--config", o.config_file});
  std::vector<std::string> env = ChildEnvironment();
  std::vector<char*> argv = Pointers(args);
  std::vector<char*> envp = Pointers(env);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    *error = std::string("pipe2: ") + std::strerror(errno);
    return p;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, o.binary.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    *error = "posix_spawn " + o.binary + ": " + std::strerror(rc);
    return p;
  }
  p->pid_ = pid;
  p->read_fd_ = fds[0];
  p->reader_ = std::thread([raw = p.get()] { raw->ReadLoop(); });

  bool exited = false;
  {
    std::unique_lock<std::mutex> lock(p->mu_);
    p->cv_.wait_for(lock, timeout, [&] { return ParseListeningPort(p->output_) > 0 || p->eof_; });
    p->port_ = ParseListeningPort(p->output_);
    exited = p->eof_;
  }
  if (p->port_ > 0) return p;
  if (exited && p->WaitExit(std::chrono::seconds(5))) {
    *error = "the server exited before it listened; it said: " + p->output();
  } else {
    p->Kill();
    *error = "the server printed no address within " + std::to_string(timeout.count()) +
             " ms; it said: " + p->output();
  }
  return p;
}

ServerProcess::~ServerProcess() {
  Kill();
  JoinReader();
}

void ServerProcess::ReadLoop() {
  char buf[4096];
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_reader_) return;
    }
    pollfd pfd{read_fd_, POLLIN, 0};
    const int ready = poll(&pfd, 1, 50);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    const ssize_t n = read(read_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::lock_guard<std::mutex> lock(mu_);
    output_.append(buf, static_cast<std::size_t>(n));
    cv_.notify_all();
  }
  std::lock_guard<std::mutex> lock(mu_);
  eof_ = true;
  cv_.notify_all();
}

void ServerProcess::JoinReader() {
  if (!reader_.joinable()) return;
  {
    // The child is gone: its output ends soon (bounded, in case a grandchild
    // kept the pipe open).
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(2), [&] { return eof_; });
    stop_reader_ = true;
  }
  reader_.join();
  close(read_fd_);
  read_fd_ = -1;
}

std::optional<int> ServerProcess::WaitExit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  if (status_) return status_;
  const auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      status_ = status;
      return status_;
    }
    if (r < 0 && errno != EINTR) {  // not our child any more: nothing to wait for
      status_ = -1;
      return status_;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::optional<int> ServerProcess::Stop(int signal) {
  if (pid_ <= 0) return std::nullopt;
  if (!status_) {
    kill(pid_, signal);
    if (!WaitExit(std::chrono::seconds(10))) {
      kill(pid_, SIGKILL);
      WaitExit(std::chrono::seconds(10));
    }
  }
  JoinReader();
  return status_;
}

std::string ServerProcess::output() const {
  std::lock_guard<std::mutex> lock(mu_);
  return output_;
}

}  // namespace gpusched::testing
