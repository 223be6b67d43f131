// The SQLite store's schema and its ordered migrations.
//
// The version lives in a one-row table `schema_version`. Each migration runs
// in its own transaction together with the bump of that row, so a crash
// mid-migration leaves the previous version intact. A database newer than
// this binary is refused (never downgraded or written).
//
// Version 1:
//   jobs(id INTEGER PRIMARY KEY, tenant TEXT, state TEXT, json TEXT)
//   nodes(name TEXT PRIMARY KEY, json TEXT) WITHOUT ROWID
//   settings(key TEXT PRIMARY KEY, json TEXT) WITHOUT ROWID
//   events(seq INTEGER PRIMARY KEY, job_id INTEGER, time_s INTEGER,
//          kind TEXT, json TEXT), index events_by_job(job_id, seq)
#pragma once

#include <span>

#include "gpusched/status.h"
#include "store/sqlite_db.h"

namespace gpusched::store::sqlite {

struct Migration {
  int version;      // 1, 2, ... without gaps
  const char* sql;  // the statements that bring version-1 to version
};

// The migrations this binary knows, in order; the last one's version is the
// current schema version.
std::span<const Migration> Migrations();
int CurrentSchemaVersion();

// Reads the database's schema version (0 for a new file).
Result<int> ReadSchemaVersion(Connection& db);

// Brings `db` to the last version of `migrations`, applying each missing
// one in order. Fails with kFailedPrecondition, naming the path and both
// versions, when the database's version is newer than the last migration.
// REQUIRES: `migrations` are numbered 1..N in order; no other writer.
Status Migrate(Connection& db, std::span<const Migration> migrations);

}  // namespace gpusched::store::sqlite
