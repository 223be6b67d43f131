#include "store/sqlite_store.h"

#include <algorithm>
#include <limits>
#include <mutex>

#include <fmt/format.h>

#include "store/file_lock.h"
#include "store/schema.h"
#include "store/sqlite_db.h"
#include "store/sqlite_rows.h"

namespace gpusched::store {

using sqlite::Connection;
using sqlite::Use;

// Members are destroyed in reverse order: both connections close before the
// lock is released, so a successor never sees a half-closed database.
struct SqliteStore::Impl {
  std::string path;
  std::unique_ptr<FileLock> lock;
  std::mutex write_mu;  // guards `writer` and its cached statements
  std::unique_ptr<Connection> writer;
  std::mutex read_mu;  // guards `reader` and its cached statements
  std::unique_ptr<Connection> reader;
  int schema_version = 0;
};

namespace {

constexpr int kOpenFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
constexpr int kJournalSizeLimitBytes = 64 << 20;  // WAL truncated to this after a checkpoint

Status Configure(Connection& db, const SqliteOptions& o, bool is_writer) {
  sqlite3_busy_timeout(db.handle(), o.busy_timeout_ms);
  if (is_writer) {
    Result<std::string> mode = db.QueryText("PRAGMA journal_mode=WAL", "switching to WAL mode");
    if (!mode) return tl::unexpected(mode.error());
    if (*mode != "wal") {
      return MakeError(ErrorCode::kFailedPrecondition,
                       fmt::format("sqlite store {}: cannot switch to WAL mode (journal mode is "
                                   "\"{}\"); is the file on a local file system?",
                                   db.path(), *mode));
    }
  }
  const char* sync = o.durability == Durability::kFull ? "FULL" : "NORMAL";
  std::string pragmas = fmt::format(
      "PRAGMA synchronous={}; PRAGMA foreign_keys=OFF; PRAGMA cache_size=-{}; "
      "PRAGMA wal_autocheckpoint={}; PRAGMA journal_size_limit={}; PRAGMA query_only={}",
      sync, o.cache_size_kib, o.wal_autocheckpoint_pages, kJournalSizeLimitBytes,
      is_writer ? "OFF" : "ON");
  return db.Exec(pragmas.c_str(), "setting pragmas");
}

// Opens one connection and configures it.
Result<std::unique_ptr<Connection>> OpenConnection(const std::string& path, const SqliteOptions& o,
                                                   bool is_writer) {
  Result<std::unique_ptr<Connection>> db = Connection::Open(path, kOpenFlags);
  if (!db) return db;
  if (Status s = Configure(**db, o, is_writer); !s) return tl::unexpected(s.error());
  return db;
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       const SqliteOptions& options) {
  if (path.empty() || path == ":memory:" || path.starts_with("file:")) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("sqlite store \"{}\": the path must name a file", path));
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  Result<std::unique_ptr<FileLock>> lock = FileLock::Acquire(path + "-lock", path);
  if (!lock) return tl::unexpected(lock.error());
  impl->lock = std::move(*lock);

  Result<std::unique_ptr<Connection>> writer = OpenConnection(path, options, true);
  if (!writer) return tl::unexpected(writer.error());
  impl->writer = std::move(*writer);
  if (Status s = sqlite::Migrate(*impl->writer, sqlite::Migrations()); !s) {
    return tl::unexpected(s.error());
  }
  impl->schema_version = sqlite::CurrentSchemaVersion();

  Result<std::unique_ptr<Connection>> reader = OpenConnection(path, options, false);
  if (!reader) return tl::unexpected(reader.error());
  impl->reader = std::move(*reader);
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteOptions& options) {
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path, options);
  if (!store) return tl::unexpected(store.error());
  return std::unique_ptr<Store>(std::move(*store));
}

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

int SqliteStore::schema_version() const { return impl_->schema_version; }
const std::string& SqliteStore::path() const { return impl_->path; }

Result<Loaded> SqliteStore::LoadAll() {
  std::lock_guard<std::mutex> guard(impl_->write_mu);
  Connection& db = *impl_->writer;
  // One read transaction: the four reads see the same commit.
  if (Status s = db.Exec("BEGIN", "loading"); !s) return tl::unexpected(s.error());
  Result<Loaded> loaded = sqlite::ReadAll(db);
  if (Status s = db.Exec("COMMIT", "loading"); !s && loaded) loaded = tl::unexpected(s.error());
  db.RollbackQuietly();
  return loaded;
}

Status SqliteStore::Apply(std::span<const Mutation> batch) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (Status s = ValidateMutation(batch[i]); !s) {
      return MakeError(s.error().code, fmt::format("sqlite store {}: batch[{}]: {}", impl_->path, i,
                                                   s.error().message));
    }
  }
  if (std::all_of(batch.begin(), batch.end(), [](const Mutation& m) { return m.empty(); })) {
    return OkStatus();
  }
  std::lock_guard<std::mutex> guard(impl_->write_mu);
  Connection& db = *impl_->writer;
  if (Status s = db.Exec("BEGIN IMMEDIATE", "beginning a transaction"); !s) return s;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (Status s = sqlite::WriteMutation(db, batch[i], i); !s) {
      db.RollbackQuietly();
      return s;
    }
  }
  Status committed = db.Exec("COMMIT", "committing");
  db.RollbackQuietly();  // only if COMMIT failed and left the transaction open
  return committed;
}

Result<std::vector<EventRow>> SqliteStore::Events(const EventQuery& query) {
  if (query.limit < 1 || query.limit > kMaxEventLimit) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("limit must be between 1 and {}, got {}", kMaxEventLimit, query.limit));
  }
  std::lock_guard<std::mutex> guard(impl_->read_mu);
  return sqlite::ReadEvents(*impl_->reader, query);
}

Status SqliteStore::CheckIntegrity() {
  std::lock_guard<std::mutex> guard(impl_->read_mu);
  return sqlite::CheckIntegrity(*impl_->reader);
}

}  // namespace gpusched::store
