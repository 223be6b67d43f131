// Thin RAII wrappers over SQLite's C API, for the SQLite store's own files
// and their tests. Internal: nothing outside src/store/ includes this (the
// public headers carry no SQLite types).
//
// Thread safety: none. A Connection and its statements are used by one
// thread at a time; the SQLite store serializes with a mutex per connection
// (connections are opened with SQLITE_OPEN_NOMUTEX).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "gpusched/status.h"

namespace gpusched::store::sqlite {

// The ErrorCode for an SQLite (extended) result code: constraint violations
// on a key are kAlreadyExists, oversized or mistyped values
// kInvalidArgument, a full disk kResourceExhausted, anything else (I/O,
// corruption, locking) kFailedPrecondition.
ErrorCode CodeFor(int sqlite_code);

// One use of a prepared statement: bind, step, read columns. The destructor
// resets the statement and clears its bindings, so a statement never keeps a
// read transaction open nor a pointer to the caller's text.
class Use {
 public:
  explicit Use(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Use();
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;

  // Parameters are numbered from 1. REQUIRES: `text` outlives this Use
  // (bound without copying).
  void Bind(int index, std::int64_t value);
  void Bind(int index, std::string_view text);

  // SQLITE_ROW, SQLITE_DONE, or the error code (of a failed bind first).
  int Step();

  std::int64_t Int(int column) const;
  std::string Text(int column) const;

 private:
  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
};

// An open database handle with a cache of prepared statements.
class Connection {
 public:
  // Opens `path` with `flags` (SQLITE_OPEN_*). The error names the path.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, int flags);
  ~Connection();  // finalizes the cached statements, then closes
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements that return no rows we need. `what` names
  // the step in the error.
  Status Exec(const char* sql, std::string_view what);

  // The prepared statement for `sql`, prepared on first use and kept until
  // the connection closes. REQUIRES: `sql` has static storage duration (the
  // cache is keyed by its address); one Use of a statement at a time.
  Result<sqlite3_stmt*> Prepare(const char* sql);

  // Runs `use` to completion, expecting no rows.
  Status Run(Use& use, std::string_view what);

  // Reads the single text value of a query (e.g. a PRAGMA), or "" when it
  // returns no row.
  Result<std::string> QueryText(const char* sql, std::string_view what);

  // The error for the last failed call, or for `code` when given:
  // "sqlite store PATH: WHAT: MESSAGE".
  Error Fail(std::string_view what) const;
  Error Fail(std::string_view what, int code) const;

  // True while a transaction is open.
  bool InTransaction() const;
  // Rolls back an open transaction, if any; errors are ignored (the
  // connection reverts to autocommit in every case SQLite allows).
  void RollbackQuietly();

  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  std::unordered_map<const char*, sqlite3_stmt*> statements_;  // keyed by the SQL constant
};

}  // namespace gpusched::store::sqlite
