#include "store/schema.h"

#include <fmt/format.h>

namespace gpusched::store::sqlite {
namespace {

constexpr char kCreateVersionTable[] =
    "CREATE TABLE IF NOT EXISTS schema_version("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  version INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO schema_version(id, version) VALUES (1, 0);";
constexpr char kReadVersion[] = "SELECT version FROM schema_version WHERE id = 1";
constexpr char kHasVersionTable[] =
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'";
constexpr char kSetVersion[] = "UPDATE schema_version SET version = ?1 WHERE id = 1";

constexpr char kV1[] =
    "CREATE TABLE jobs("
    "  id INTEGER PRIMARY KEY,"
    "  tenant TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  json TEXT NOT NULL);"
    "CREATE TABLE nodes(name TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE settings(key TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE events("
    "  seq INTEGER PRIMARY KEY,"
    "  job_id INTEGER NOT NULL,"
    "  time_s INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  json TEXT NOT NULL);"
    "CREATE INDEX events_by_job ON events(job_id, seq);";

constexpr Migration kMigrations[] = {
    {1, kV1},
};

// Runs one migration and records its version, in one transaction.
Status ApplyMigration(Connection& db, const Migration& m) {
  std::string what = fmt::format("migrating the schema to version {}", m.version);
  if (Status s = db.Exec("BEGIN IMMEDIATE", what); !s) return s;
  Status s = db.Exec(m.sql, what);
  if (s) {
    Result<sqlite3_stmt*> stmt = db.Prepare(kSetVersion);
    if (!stmt) {
      s = tl::unexpected(stmt.error());
    } else {
      Use use(*stmt);
      use.Bind(1, std::int64_t{m.version});
      s = db.Run(use, what);
    }
  }
  if (s) s = db.Exec("COMMIT", what);
  if (!s) db.RollbackQuietly();
  return s;
}

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }

int CurrentSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

Result<int> ReadSchemaVersion(Connection& db) {
  Result<std::string> has_table = db.QueryText(kHasVersionTable, "reading the schema version");
  if (!has_table) return tl::unexpected(has_table.error());
  if (*has_table == "0") return 0;
  Result<sqlite3_stmt*> stmt = db.Prepare(kReadVersion);
  if (!stmt) return tl::unexpected(stmt.error());
  Use use(*stmt);
  int rc = use.Step();
  if (rc == SQLITE_DONE) return 0;
  if (rc != SQLITE_ROW) return tl::unexpected(db.Fail("reading the schema version", rc));
  return static_cast<int>(use.Int(0));
}

Status Migrate(Connection& db, std::span<const Migration> migrations) {
  if (Status s = db.Exec(kCreateVersionTable, "creating the schema_version table"); !s) return s;
  Result<int> found = ReadSchemaVersion(db);
  if (!found) return tl::unexpected(found.error());
  int known = migrations.empty() ? 0 : migrations.back().version;
  if (*found > known) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("sqlite store {}: the database has schema version {}, newer than "
                                 "the {} this gpusched knows; run a newer gpusched",
                                 db.path(), *found, known));
  }
  for (const Migration& m : migrations) {
    if (m.version <= *found) continue;
    if (Status s = ApplyMigration(db, m); !s) return s;
  }
  return OkStatus();
}

}  // namespace gpusched::store::sqlite
