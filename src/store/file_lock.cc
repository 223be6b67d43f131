#include "store/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

namespace gpusched::store {
namespace {

// The pid recorded in the lock file, or "unknown" when it cannot be read.
std::string HolderPid(int fd) {
  char buffer[32] = {};
  ssize_t n = pread(fd, buffer, sizeof buffer - 1, 0);
  if (n <= 0) return "unknown";
  std::string_view text(buffer, static_cast<std::size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  return text.empty() ? "unknown" : std::string(text);
}

void RecordPid(int fd) {
  std::string pid = fmt::format("{}\n", getpid());
  // The pid only improves a later error message: failures are harmless.
  if (ftruncate(fd, 0) == 0) {
    [[maybe_unused]] ssize_t n = pwrite(fd, pid.data(), pid.size(), 0);
  }
}

}  // namespace

Result<std::unique_ptr<FileLock>> FileLock::Acquire(const std::string& lock_path,
                                                    const std::string& what_path) {
  int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("sqlite store {}: cannot create lock file {}: {}", what_path,
                                 lock_path, std::strerror(errno)));
  }
  int rc;
  do {
    rc = flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int error = errno;
    std::string message =
        error == EWOULDBLOCK
            ? fmt::format("sqlite store {}: in use by another gpusched server (pid {} holds {})",
                          what_path, HolderPid(fd), lock_path)
            : fmt::format("sqlite store {}: cannot lock {}: {}", what_path, lock_path,
                          std::strerror(error));
    close(fd);
    return MakeError(ErrorCode::kFailedPrecondition, message);
  }
  RecordPid(fd);
  return std::unique_ptr<FileLock>(new FileLock(fd));
}

FileLock::~FileLock() { close(fd_); }  // closing the last descriptor releases the flock

}  // namespace gpusched::store
