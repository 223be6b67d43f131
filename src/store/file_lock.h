// Keeps two servers off one database: an exclusive advisory lock (flock) on
// a lock file beside it, "PATH-lock", held for the life of the object.
//
// Why a lock file rather than SQLite's `PRAGMA locking_mode=EXCLUSIVE`: the
// second server fails at once with a message naming the path and the pid
// that holds it (instead of after the busy timeout with "database is
// locked"), the kernel releases the lock when the holder dies (even by
// SIGKILL), and the database stays readable by the `sqlite3` shell and
// backup tools while the server runs. An flock is per open file
// description, so a second open within the same process is refused too.
// The lock is advisory: it keeps gpusched processes apart, not other
// programs that write the file. The lock file is never deleted (deleting it
// would let two holders race); it is a few bytes.
#pragma once

#include <memory>
#include <string>

#include "gpusched/status.h"

namespace gpusched::store {

class FileLock {
 public:
  // Creates `lock_path` if missing and locks it without waiting; writes this
  // process's pid into it. Fails with kFailedPrecondition, naming
  // `what_path` (the database) and the holder's pid, when another holder
  // has it, or naming `lock_path` and the system's message when it cannot
  // be created.
  static Result<std::unique_ptr<FileLock>> Acquire(const std::string& lock_path,
                                                   const std::string& what_path);
  ~FileLock();  // releases the lock
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace gpusched::store
