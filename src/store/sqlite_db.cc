#include "store/sqlite_db.h"

#include <fmt/format.h>

namespace gpusched::store::sqlite {

ErrorCode CodeFor(int sqlite_code) {
  switch (sqlite_code) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE: return ErrorCode::kAlreadyExists;
    case SQLITE_FULL: return ErrorCode::kResourceExhausted;
    default: break;
  }
  switch (sqlite_code & 0xff) {
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_CONSTRAINT: return ErrorCode::kInvalidArgument;
    default: return ErrorCode::kFailedPrecondition;
  }
}

// --- Use ---------------------------------------------------------------

Use::~Use() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Use::Bind(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void Use::Bind(int index, std::string_view text) {
  int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

int Use::Step() {
  if (bind_rc_ != SQLITE_OK) return bind_rc_;
  return sqlite3_step(stmt_);
}

std::int64_t Use::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Use::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  int bytes = sqlite3_column_bytes(stmt_, column);
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(bytes));
}

// --- Connection --------------------------------------------------------

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);  // a handle is returned even on failure; closing nullptr is a no-op
    return MakeError(CodeFor(rc), fmt::format("sqlite store {}: cannot open: {}", path, message));
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Connection>(new Connection(db, path));
}

Connection::~Connection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Error Connection::Fail(std::string_view what) const {
  return Fail(what, sqlite3_extended_errcode(db_));
}

Error Connection::Fail(std::string_view what, int code) const {
  // sqlite3_errmsg describes the last failed call on this handle; a failed
  // bind leaves no message there, so fall back to the code's text.
  const char* message =
      sqlite3_extended_errcode(db_) == code ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
  return Error{CodeFor(code), fmt::format("sqlite store {}: {}: {}", path_, what, message)};
}

Status Connection::Exec(const char* sql, std::string_view what) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return tl::unexpected(Fail(what));
  }
  return OkStatus();
}

Result<sqlite3_stmt*> Connection::Prepare(const char* sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    return tl::unexpected(Fail(fmt::format("preparing \"{}\"", sql)));
  }
  statements_.emplace(sql, stmt);
  return stmt;
}

Status Connection::Run(Use& use, std::string_view what) {
  int rc = use.Step();
  if (rc == SQLITE_ROW || rc == SQLITE_DONE) return OkStatus();
  return tl::unexpected(Fail(what, rc));
}

Result<std::string> Connection::QueryText(const char* sql, std::string_view what) {
  Result<sqlite3_stmt*> stmt = Prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  Use use(*stmt);
  int rc = use.Step();
  if (rc == SQLITE_ROW) return use.Text(0);
  if (rc == SQLITE_DONE) return std::string();
  return tl::unexpected(Fail(what, rc));
}

bool Connection::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

void Connection::RollbackQuietly() {
  if (InTransaction()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace gpusched::store::sqlite
