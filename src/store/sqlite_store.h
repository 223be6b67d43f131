// The embedded default store: one SQLite file in WAL mode.
//
// On open the file is created if missing, locked against a second server
// (file_lock.h: flock on "PATH-lock"), switched to WAL, and migrated to the
// current schema (schema.h). Each Apply is one `BEGIN IMMEDIATE ... COMMIT`
// transaction on the writer connection; Events reads through a second,
// query-only connection, so a page of the log never waits for a commit's
// fsync (WAL readers do not block the writer, nor the writer them).
//
// Durability (SqliteOptions::durability):
//   kFull   `PRAGMA synchronous=FULL`: the WAL is fsynced at every commit.
//           An acknowledged Apply survives a process crash, a kernel crash
//           and a power loss. The default; one fsync per Apply, which the
//           group committer shares among every mutation of a batch.
//   kNormal `synchronous=NORMAL`: the WAL is fsynced only at checkpoints. An
//           acknowledged Apply survives a process crash (kill -9), but the
//           last commits before a power loss or kernel crash may be lost
//           (the database stays consistent, it just ends earlier). Faster on
//           disks with slow fsync.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/store.h"

namespace gpusched::store {

enum class Durability { kFull, kNormal };

struct SqliteOptions {
  Durability durability = Durability::kFull;
  // How long a statement waits for SQLite's own locks (between this store's
  // two connections, or an operator's `sqlite3` shell) before failing.
  int busy_timeout_ms = 5000;
  // WAL pages after which a commit also checkpoints into the main file.
  int wal_autocheckpoint_pages = 1000;
  // Page cache per connection, in KiB.
  int cache_size_kib = 64 * 1024;
};

class SqliteStore final : public Store {
 public:
  // Opens (creating and migrating if needed) the database at `path`.
  // REQUIRES: `path` names a file (not ":memory:") in a directory that
  // exists. Errors name the path: another server holds it
  // (kFailedPrecondition, with the holder's pid), the schema is newer than
  // this binary (kFailedPrecondition, both versions), or SQLite's message.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                   const SqliteOptions& options);
  ~SqliteStore() override;  // closes both connections, then releases the lock

  Result<Loaded> LoadAll() override;
  Status Apply(std::span<const Mutation> batch) override;
  Result<std::vector<EventRow>> Events(const EventQuery& query) override;

  // Runs `PRAGMA integrity_check`; the error lists the first problems.
  Status CheckIntegrity();
  int schema_version() const;
  const std::string& path() const;

 private:
  struct Impl;
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The same as SqliteStore::Open, as the role interface the server holds.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteOptions& options = {});

}  // namespace gpusched::store
