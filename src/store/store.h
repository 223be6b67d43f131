// The control plane's durable state, behind a role interface so that the
// embedded SQLite store (sqlite_store.h) and a later PostgreSQL store are
// interchangeable.
//
// The server owns all mutable state in memory, on one thread. It applies a
// command there, describes the rows that changed as a `Mutation`, and
// acknowledges the request only once the store has made that mutation
// durable (usually through the GroupCommitter, group_commit.h). On start it
// reads everything back with `LoadAll`. The store therefore knows nothing
// of jobs' meaning: rows are opaque JSON text keyed by id, plus an
// append-only event log.
//
// Identifiers: job ids and event sequence numbers are chosen by the server
// (positive, fitting in int64). Event sequence numbers are assigned by the
// server in increasing order, starting after `Loaded::last_event_seq`; the
// store refuses a sequence number it already holds, so a server that reuses
// one fails instead of silently losing an event.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gpusched/status.h"

namespace gpusched::store {

// One job. `tenant` and `state` are copies of fields inside `json`, kept as
// columns for operators' ad-hoc queries; the store never interprets them.
struct JobRow {
  std::int64_t id = 0;  // > 0
  std::string tenant;
  std::string state;
  std::string json;  // the server's full record
  friend bool operator==(const JobRow&, const JobRow&) = default;
};

struct NodeRow {
  std::string name;  // non-empty
  std::string json;
  friend bool operator==(const NodeRow&, const NodeRow&) = default;
};

// A named piece of cluster-wide state: classes, tenants, freezes, counters.
struct SettingRow {
  std::string key;  // non-empty
  std::string json;
  friend bool operator==(const SettingRow&, const SettingRow&) = default;
};

// One entry of the append-only decision/event log.
struct EventRow {
  std::int64_t seq = 0;     // > 0, unique, assigned by the server
  std::int64_t job_id = 0;  // 0: about no job in particular
  std::int64_t time_s = 0;  // seconds since the Unix epoch
  std::string kind;         // e.g. "job.submitted", "decision.preempt"
  std::string json;
  friend bool operator==(const EventRow&, const EventRow&) = default;
};

// The rows one command changed. Applied atomically, in the order of the
// fields: put jobs, delete jobs, put nodes, delete nodes, put settings,
// append events. A put inserts or replaces the whole row; deleting a row
// that does not exist is not an error.
struct Mutation {
  std::vector<JobRow> put_jobs;
  std::vector<std::int64_t> delete_jobs;
  std::vector<NodeRow> put_nodes;
  std::vector<std::string> delete_nodes;
  std::vector<SettingRow> put_settings;
  std::vector<EventRow> events;

  bool empty() const;
  // Approximate payload size in bytes (text plus a fixed cost per row), for
  // bounding batches.
  std::size_t ByteSize() const;
};

// Checks the identifiers of `m` (job ids > 0, names and keys non-empty,
// event seq > 0). The error names the field, e.g. "events[2].seq must be
// positive, got 0".
Status ValidateMutation(const Mutation& m);

// Everything but the event log, as of the last durable Apply.
struct Loaded {
  std::vector<JobRow> jobs;          // ascending id
  std::vector<NodeRow> nodes;        // ascending name
  std::vector<SettingRow> settings;  // ascending key
  std::int64_t last_event_seq = 0;   // 0 when the log is empty
};

// A page of the event log. Results are in ascending `seq`, or descending
// when `newest_first` (the newest `limit` events of the range first).
// Page forward with `after_seq` = the last seq returned, backward (when
// newest_first) with `before_seq` = the last seq returned.
struct EventQuery {
  std::optional<std::int64_t> job_id;      // only this job's events
  std::int64_t after_seq = 0;              // exclusive lower bound
  std::optional<std::int64_t> before_seq;  // exclusive upper bound
  std::string kind_prefix;                 // "" matches every kind
  int limit = 100;                         // 1..kMaxEventLimit
  bool newest_first = false;
};
inline constexpr int kMaxEventLimit = 10'000;

// Thread safety: every method may be called from any thread, concurrently.
// Errors are values; after an Apply fails, the store's content is exactly
// what it was before that call.
class Store {
 public:
  virtual ~Store() = default;

  // Reads every job, node and setting, and the last event seq, as one
  // consistent snapshot. Used once at start.
  virtual Result<Loaded> LoadAll() = 0;

  // Applies the whole batch as ONE durable transaction, mutations in order:
  // on success all of it is durable (to the store's durability setting);
  // on failure none of it is visible and the error names the cause
  // (kInvalidArgument for a malformed mutation, kAlreadyExists for a reused
  // event seq, kFailedPrecondition for an I/O or database failure). An
  // empty batch succeeds without touching storage.
  virtual Status Apply(std::span<const Mutation> batch) = 0;

  // One page of the event log (see EventQuery). A limit out of range is
  // kInvalidArgument.
  virtual Result<std::vector<EventRow>> Events(const EventQuery& query) = 0;
};

}  // namespace gpusched::store
