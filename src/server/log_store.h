// The logs of job runs (their combined stdout and stderr) as agents send
// them, kept in memory only: a server restart forgets them, and nothing here
// is ever written to the store (docs/control-plane.md, Logs). The exit
// report's message keeps the tail of a failed run durably, in the job's
// history.
//
// Design: a run's log is a byte stream addressed by offset (the agent's
// count of bytes the run wrote). The store keeps, per run, the newest bytes
// it received as chunks of consecutive bytes; between two chunks lies a gap
// (bytes never received), rendered as a marker when read. Appends only ever
// extend a run's log at its end: bytes below the end already received (a
// range resent after an agent restart, or a late part of a gap) are ignored.
//
// Bounds, all in bytes of log text (markers and bookkeeping not counted):
//   - per run the newest `run_bytes` (older bytes are dropped; the offset
//     where the kept text starts is remembered), and at most
//     `chunks_per_run` chunks (a run whose output is mostly gaps);
//   - per job its newest `runs_per_job` runs (by run id);
//   - overall `total_bytes`: beyond it, whole jobs are forgotten, the least
//     recently written first.
//
// Thread safety: every method may be called from any thread (one mutex).
// No I/O, no clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gpusched/types.h"

namespace gpusched::server {

// The bounds (see above); the defaults are the server's.
struct LogLimits {
  std::size_t run_bytes = std::size_t{1} << 20;  // 1 MiB
  std::size_t chunks_per_run = 1024;
  std::size_t runs_per_job = 5;
  std::size_t total_bytes = std::size_t{256} << 20;  // 256 MiB
};

// What a read asks for.
struct LogQuery {
  std::optional<std::uint64_t> run;    // nullopt: the job's newest run with logs
  std::optional<std::uint64_t> after;  // nullopt: the tail of the run's log
  std::size_t max_bytes = 65536;       // of log text; REQUIRES: > 0
};

// A read's answer.
struct LogSlice {
  // The run read: the query's, else the job's newest with logs; nullopt when
  // the job has no logs. Without logs for the run, the text is empty and
  // start = end = the query's `after` (or 0).
  std::optional<std::uint64_t> run;
  std::string node;                 // the node that sent it; empty: no logs for `run`
  std::vector<std::uint64_t> runs;  // the job's runs with logs, oldest first
  std::uint64_t start = 0;          // offset of the first byte of `text`
  std::uint64_t end = 0;            // offset after its last byte
  // The bytes [start, end) that are held, at most `max_bytes`, with a marker
  // for each gap. A read with `after` below `start` opens with a marker for
  // [after, start): "not kept" (dropped, or never received) when `after` is
  // below the kept text, else "not received". May cut a UTF-8 sequence.
  std::string text;
  bool more = false;  // bytes past `end` are held (read on with after = end)
};

// The marker for `bytes` missing bytes: "\n[... N bytes not received ...]\n".
std::string GapMarker(std::uint64_t bytes, std::string_view why = "not received");

class LogStore {
 public:
  // REQUIRES: every limit > 0, and total_bytes >= run_bytes * runs_per_job
  // (a job that is written to is never itself evicted).
  explicit LogStore(LogLimits limits = {});

  // Adds `text`, the bytes of run `run` of job `job` from byte `offset` on,
  // as sent by the agent of `node` (kept with the run the first time it is
  // seen). Bytes below the run's end are ignored; bytes beyond it leave a
  // gap. A run older than the job's kept runs, when it already keeps
  // `runs_per_job`, is ignored. Empty text changes nothing.
  void Append(JobId job, std::uint64_t run, std::string_view node, std::uint64_t offset,
              std::string_view text);

  // A slice of one run's log (see LogSlice): without `after`, its last
  // `max_bytes` held bytes (more is false); with it, the first `max_bytes`
  // held bytes from offset `after` on. A run the job has no logs for gives
  // that run with empty text and start = end = after (or 0).
  LogSlice Read(JobId job, const LogQuery& query) const;

  // Bytes of log text held, all jobs together.
  std::size_t total_bytes() const;

 private:
  struct Chunk {
    std::uint64_t offset = 0;
    std::string text;
    std::uint64_t end() const { return offset + text.size(); }
  };
  struct Run {
    std::string node;
    std::deque<Chunk> chunks;  // increasing offsets, never empty once stored
    std::size_t bytes = 0;     // sum of the chunks' sizes
    std::uint64_t end = 0;     // offset after the last byte received
  };
  struct Job {
    std::map<std::uint64_t, Run> runs;
    std::list<JobId>::iterator lru;  // its place in lru_
  };

  void TrimRun(Run& run);        // mu_ held
  void TrimJob(Job& job);        // mu_ held
  void EvictUntilWithinTotal();  // mu_ held
  static LogSlice ReadTail(const Run& run, std::size_t max_bytes);
  static LogSlice ReadAfter(const Run& run, std::uint64_t after, std::size_t max_bytes);

  const LogLimits limits_;
  mutable std::mutex mu_;
  std::map<JobId, Job> jobs_;
  std::list<JobId> lru_;  // least recently written first
  std::size_t total_ = 0;
};

}  // namespace gpusched::server
