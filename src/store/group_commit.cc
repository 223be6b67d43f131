#include "store/group_commit.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace gpusched::store {

GroupCommitter::GroupCommitter(Store& store, GroupCommitOptions options)
    : store_(store), options_(options), writer_([this] { WriterLoop(); }) {}

GroupCommitter::~GroupCommitter() { Close(); }

void GroupCommitter::Submit(Mutation m, Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!closing_) {
      queue_.push_back(Ticket{std::move(m), std::move(done)});
      ++submitted_;
      work_cv_.notify_one();
      return;
    }
  }
  if (done) done(MakeError(ErrorCode::kFailedPrecondition, "group committer is closed"));
}

std::future<Status> GroupCommitter::Submit(Mutation m) {
  // std::function needs a copyable callable; the promise is shared.
  auto promise = std::make_shared<std::promise<Status>>();
  std::future<Status> future = promise->get_future();
  Submit(std::move(m), [promise](const Status& s) { promise->set_value(s); });
  return future;
}

Status GroupCommitter::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const std::int64_t target = submitted_;
  done_cv_.wait(lock, [&] { return completed_ >= target; });
  if (failed_) return tl::unexpected(*failed_);
  return OkStatus();
}

void GroupCommitter::Close() {
  std::lock_guard<std::mutex> close_lock(close_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  work_cv_.notify_one();
  if (writer_.joinable()) writer_.join();
}

GroupCommitStats GroupCommitter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void GroupCommitter::WriterLoop() {
  std::vector<Mutation> batch;
  std::vector<Done> dones;
  while (TakeBatch(batch, dones)) {
    Status status = Commit(batch);
    for (Done& done : dones) {
      if (done) done(status);
    }
    Finish(batch.size());
    batch.clear();
    dones.clear();
  }
}

bool GroupCommitter::TakeBatch(std::vector<Mutation>& batch, std::vector<Done>& dones) {
  std::unique_lock<std::mutex> lock(mu_);
  work_cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
  if (queue_.empty()) return false;  // closing and drained
  std::size_t bytes = 0;
  while (!queue_.empty() && batch.size() < options_.max_batch_mutations) {
    std::size_t size = queue_.front().mutation.ByteSize();
    if (!batch.empty() && bytes + size > options_.max_batch_bytes) break;
    bytes += size;
    batch.push_back(std::move(queue_.front().mutation));
    dones.push_back(std::move(queue_.front().done));
    queue_.pop_front();
  }
  return true;
}

Status GroupCommitter::Commit(std::span<const Mutation> batch) {
  const auto count = static_cast<std::int64_t>(batch.size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (failed_) {
      stats_.mutations += count;
      return MakeError(failed_->code,
                       "not committed: an earlier commit failed: " + failed_->message);
    }
  }
  Status status = store_.Apply(batch);
  // Counted before any Done runs, so a producer that sees its ticket
  // complete also sees it in stats().
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.batches;
  stats_.mutations += count;
  stats_.largest_batch = std::max(stats_.largest_batch, count);
  if (!status) {
    ++stats_.failed_batches;
    failed_ = status.error();
  }
  return status;
}

void GroupCommitter::Finish(std::size_t count) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    completed_ += static_cast<std::int64_t>(count);
  }
  done_cv_.notify_all();
}

}  // namespace gpusched::store
