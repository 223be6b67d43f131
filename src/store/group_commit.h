// The group committer: many producers, one writer thread, one durable
// transaction (one fsync) for every mutation waiting at that moment.
//
// Producers call Submit from any thread. The writer thread takes everything
// queued (up to the batch bounds), hands it to Store::Apply as one batch,
// then completes each submission's ticket in submission order. While one
// batch commits the next one gathers, so with N concurrent producers a
// commit costs each of them about 1/N of an fsync; nothing ever waits on a
// timer.
//
// Fail-stop: when an Apply fails, every ticket of that batch fails with its
// error, and so does every submission after it (queued or new), without
// touching the store again: the server's memory now holds state the disk
// lacks, and the server is expected to stop. The store holds every batch
// before the failed one and nothing of it.
//
// Threads:
//   Submit       any thread, concurrently (including from a `Done`).
//   Flush, Close any thread except the writer (never from a `Done`: it
//                would wait for itself).
//   Done         runs on the writer thread, after the commit, in
//                submission order; keep it short (hand the reply to another
//                thread): the next batch waits for it. After Close, a
//                Submit's Done runs at once on the caller's thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "store/store.h"

namespace gpusched::store {

struct GroupCommitOptions {
  // Bounds on one batch. A single mutation larger than max_batch_bytes
  // still goes, alone.
  std::size_t max_batch_mutations = 1000;
  std::size_t max_batch_bytes = std::size_t{4} << 20;  // Mutation::ByteSize
};

// Counters, updated before the batch's Done callbacks run: a producer whose
// ticket has completed sees it counted.
struct GroupCommitStats {
  std::int64_t batches = 0;         // Store::Apply calls made
  std::int64_t mutations = 0;       // submissions committed or failed
  std::int64_t failed_batches = 0;  // Apply calls that failed
  std::int64_t largest_batch = 0;   // most mutations in one Apply
};

class GroupCommitter {
 public:
  using Done = std::function<void(const Status&)>;

  // Starts the writer thread. REQUIRES: `store` outlives this object.
  explicit GroupCommitter(Store& store, GroupCommitOptions options = {});
  // Close(): drains every queued submission, then stops the writer.
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues `m`; `done` is called exactly once: with ok after the batch
  // holding `m` is durable, or with the error that failed it (or an earlier
  // batch, or "closed" after Close). An empty mutation is a barrier: its ok
  // means every earlier submission is durable.
  void Submit(Mutation m, Done done);
  std::future<Status> Submit(Mutation m);

  // Waits until every submission made before the call is completed.
  // Returns the fail-stop error if any batch has failed, else ok.
  Status Flush();

  // Stops accepting work, commits everything already queued, joins the
  // writer. Idempotent.
  void Close();

  GroupCommitStats stats() const;

 private:
  struct Ticket {
    Mutation mutation;
    Done done;
  };

  void WriterLoop();
  // Moves the next batch out of the queue; false when closed and drained.
  bool TakeBatch(std::vector<Mutation>& batch, std::vector<Done>& dones);
  // Applies the batch, or fails it at once after an earlier failure.
  Status Commit(std::span<const Mutation> batch);
  // Counts `count` submissions completed (Done called) and wakes Flush.
  void Finish(std::size_t count);

  Store& store_;
  const GroupCommitOptions options_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // the writer waits for work or closing
  std::condition_variable done_cv_;  // Flush waits for completions
  std::deque<Ticket> queue_;
  bool closing_ = false;
  std::optional<Error> failed_;  // set by the first failed Apply, never cleared
  std::int64_t submitted_ = 0;
  std::int64_t completed_ = 0;
  GroupCommitStats stats_;

  std::mutex close_mu_;  // serializes Close callers
  std::thread writer_;   // last: started once everything above exists
};

}  // namespace gpusched::store
