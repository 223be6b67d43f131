#include "store/sqlite_rows.h"

#include <limits>
#include <string>

#include <fmt/format.h>

namespace gpusched::store::sqlite {
namespace {

constexpr char kPutJob[] =
    "INSERT INTO jobs(id, tenant, state, json) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE "
    "SET tenant = excluded.tenant, state = excluded.state, json = excluded.json";
constexpr char kDeleteJob[] = "DELETE FROM jobs WHERE id = ?1";
constexpr char kPutNode[] =
    "INSERT INTO nodes(name, json) VALUES (?1, ?2) "
    "ON CONFLICT(name) DO UPDATE SET json = excluded.json";
constexpr char kDeleteNode[] = "DELETE FROM nodes WHERE name = ?1";
constexpr char kPutSetting[] =
    "INSERT INTO settings(key, json) VALUES (?1, ?2) "
    "ON CONFLICT(key) DO UPDATE SET json = excluded.json";
constexpr char kAppendEvent[] =
    "INSERT INTO events(seq, job_id, time_s, kind, json) VALUES (?1, ?2, ?3, ?4, ?5)";

constexpr char kAllJobs[] = "SELECT id, tenant, state, json FROM jobs ORDER BY id";
constexpr char kAllNodes[] = "SELECT name, json FROM nodes ORDER BY name";
constexpr char kAllSettings[] = "SELECT key, json FROM settings ORDER BY key";
constexpr char kLastSeq[] = "SELECT coalesce(max(seq), 0) FROM events";

// The event page queries: ?1 job id (unused without a job), ?2 after,
// ?3 before, ?4 kind prefix, ?5 limit. The job variants use events_by_job;
// the others do not mention ?1 (binding it anyway is allowed).
#define GPUSCHED_EVENTS_SELECT                                \
  "SELECT seq, job_id, time_s, kind, json FROM events WHERE " \
  "seq > ?2 AND seq < ?3 AND (?4 = '' OR substr(kind, 1, length(?4)) = ?4) "
constexpr char kEventsAsc[] = GPUSCHED_EVENTS_SELECT "ORDER BY seq LIMIT ?5";
constexpr char kEventsDesc[] = GPUSCHED_EVENTS_SELECT "ORDER BY seq DESC LIMIT ?5";
constexpr char kJobEventsAsc[] = GPUSCHED_EVENTS_SELECT "AND job_id = ?1 ORDER BY seq LIMIT ?5";
constexpr char kJobEventsDesc[] =
    GPUSCHED_EVENTS_SELECT "AND job_id = ?1 ORDER BY seq DESC LIMIT ?5";
#undef GPUSCHED_EVENTS_SELECT

// Runs one write statement: `bind` binds its parameters, `what` (called only
// on failure) names the row.
template <typename Bind, typename What>
Status Write(Connection& db, const char* sql, const Bind& bind, const What& what) {
  Result<sqlite3_stmt*> stmt = db.Prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  Use use(*stmt);
  bind(use);
  int rc = use.Step();
  if (rc == SQLITE_DONE) return OkStatus();
  return tl::unexpected(db.Fail(what(), rc));
}

// Steps `use` to the end, calling `row(use)` for each row.
template <typename Row>
Status ReadRows(Connection& db, Use& use, std::string_view what, const Row& row) {
  for (;;) {
    int rc = use.Step();
    if (rc == SQLITE_DONE) return OkStatus();
    if (rc != SQLITE_ROW) return tl::unexpected(db.Fail(what, rc));
    row(use);
  }
}

// Runs one query and calls `row(use)` for each row it returns.
template <typename Row>
Status Read(Connection& db, const char* sql, std::string_view what, const Row& row) {
  Result<sqlite3_stmt*> stmt = db.Prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  Use use(*stmt);
  return ReadRows(db, use, what, row);
}

Status WriteJobs(Connection& db, const Mutation& m, std::size_t index) {
  for (std::size_t i = 0; i < m.put_jobs.size(); ++i) {
    const JobRow& j = m.put_jobs[i];
    Status s = Write(
        db, kPutJob,
        [&](Use& u) {
          u.Bind(1, j.id);
          u.Bind(2, j.tenant);
          u.Bind(3, j.state);
          u.Bind(4, j.json);
        },
        [&] { return fmt::format("batch[{}].put_jobs[{}] (id {})", index, i, j.id); });
    if (!s) return s;
  }
  for (std::size_t i = 0; i < m.delete_jobs.size(); ++i) {
    std::int64_t id = m.delete_jobs[i];
    Status s = Write(
        db, kDeleteJob, [&](Use& u) { u.Bind(1, id); },
        [&] { return fmt::format("batch[{}].delete_jobs[{}] (id {})", index, i, id); });
    if (!s) return s;
  }
  return OkStatus();
}

Status WriteNodesAndSettings(Connection& db, const Mutation& m, std::size_t index) {
  for (std::size_t i = 0; i < m.put_nodes.size(); ++i) {
    const NodeRow& n = m.put_nodes[i];
    Status s = Write(
        db, kPutNode,
        [&](Use& u) {
          u.Bind(1, n.name);
          u.Bind(2, n.json);
        },
        [&] { return fmt::format("batch[{}].put_nodes[{}] ({})", index, i, n.name); });
    if (!s) return s;
  }
  for (std::size_t i = 0; i < m.delete_nodes.size(); ++i) {
    const std::string& name = m.delete_nodes[i];
    Status s = Write(
        db, kDeleteNode, [&](Use& u) { u.Bind(1, name); },
        [&] { return fmt::format("batch[{}].delete_nodes[{}] ({})", index, i, name); });
    if (!s) return s;
  }
  for (std::size_t i = 0; i < m.put_settings.size(); ++i) {
    const SettingRow& r = m.put_settings[i];
    Status s = Write(
        db, kPutSetting,
        [&](Use& u) {
          u.Bind(1, r.key);
          u.Bind(2, r.json);
        },
        [&] { return fmt::format("batch[{}].put_settings[{}] ({})", index, i, r.key); });
    if (!s) return s;
  }
  return OkStatus();
}

Status WriteEvents(Connection& db, const Mutation& m, std::size_t index) {
  for (std::size_t i = 0; i < m.events.size(); ++i) {
    const EventRow& e = m.events[i];
    Status s = Write(
        db, kAppendEvent,
        [&](Use& u) {
          u.Bind(1, e.seq);
          u.Bind(2, e.job_id);
          u.Bind(3, e.time_s);
          u.Bind(4, e.kind);
          u.Bind(5, e.json);
        },
        [&] { return fmt::format("batch[{}].events[{}] (seq {})", index, i, e.seq); });
    if (!s) return s;
  }
  return OkStatus();
}

EventRow EventAt(const Use& u) {
  return EventRow{u.Int(0), u.Int(1), u.Int(2), u.Text(3), u.Text(4)};
}

}  // namespace

Status WriteMutation(Connection& db, const Mutation& m, std::size_t index) {
  if (Status s = WriteJobs(db, m, index); !s) return s;
  if (Status s = WriteNodesAndSettings(db, m, index); !s) return s;
  return WriteEvents(db, m, index);
}

Result<Loaded> ReadAll(Connection& db) {
  Loaded out;
  Status s = Read(db, kAllJobs, "loading jobs", [&](const Use& u) {
    out.jobs.push_back(JobRow{u.Int(0), u.Text(1), u.Text(2), u.Text(3)});
  });
  if (s) {
    s = Read(db, kAllNodes, "loading nodes", [&](const Use& u) {
      out.nodes.push_back(NodeRow{u.Text(0), u.Text(1)});
    });
  }
  if (s) {
    s = Read(db, kAllSettings, "loading settings", [&](const Use& u) {
      out.settings.push_back(SettingRow{u.Text(0), u.Text(1)});
    });
  }
  if (s) {
    s = Read(db, kLastSeq, "loading the last event seq",
             [&](const Use& u) { out.last_event_seq = u.Int(0); });
  }
  if (!s) return tl::unexpected(s.error());
  return out;
}

Result<std::vector<EventRow>> ReadEvents(Connection& db, const EventQuery& q) {
  const char* sql = q.job_id ? (q.newest_first ? kJobEventsDesc : kJobEventsAsc)
                             : (q.newest_first ? kEventsDesc : kEventsAsc);
  Result<sqlite3_stmt*> stmt = db.Prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  Use use(*stmt);
  use.Bind(1, q.job_id.value_or(0));
  use.Bind(2, q.after_seq);
  use.Bind(3, q.before_seq.value_or(std::numeric_limits<std::int64_t>::max()));
  use.Bind(4, std::string_view(q.kind_prefix));
  use.Bind(5, std::int64_t{q.limit});
  std::vector<EventRow> out;
  Status s = ReadRows(db, use, "reading events", [&](const Use& u) { out.push_back(EventAt(u)); });
  if (!s) return tl::unexpected(s.error());
  return out;
}

Status CheckIntegrity(Connection& db) {
  std::vector<std::string> problems;
  Status s = Read(db, "PRAGMA integrity_check(10)", "checking integrity",
                  [&](const Use& u) { problems.push_back(u.Text(0)); });
  if (!s) return s;
  if (problems.size() == 1 && problems[0] == "ok") return OkStatus();
  return MakeError(ErrorCode::kFailedPrecondition,
                   fmt::format("sqlite store {}: integrity check failed: {}", db.path(),
                               fmt::join(problems, "; ")));
}

}  // namespace gpusched::store::sqlite
