// GroupCommitter: grouping, batch bounds, fail-stop, Flush and Close, over a
// fake store whose Apply can be held at a gate (so "mutations that arrive
// during a commit" is a fact of the test, not a matter of timing); then 8
// real producers against SQLite. The crash test is in
// group_commit_crash_test.cc.
#include "store/group_commit.h"

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/sqlite_store.h"
#include "store/store_testing.h"

namespace gpusched::store {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing::Submission;
using testing::TempDir;

// Records each batch's job ids. With the gate closed, Apply waits inside
// until it opens. FailCall(n) makes the n-th Apply fail.
class FakeStore : public Store {
 public:
  Result<Loaded> LoadAll() override { return Loaded{}; }
  Result<std::vector<EventRow>> Events(const EventQuery&) override {
    return std::vector<EventRow>{};
  }

  Status Apply(std::span<const Mutation> batch) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++calls_;
    blocked_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return gate_open_; });
    blocked_ = false;
    batch_sizes_.push_back(batch.size());
    if (calls_ == fail_call_) return MakeError(ErrorCode::kFailedPrecondition, "disk on fire");
    for (const Mutation& m : batch) {
      for (const JobRow& j : m.put_jobs) applied_.push_back(j.id);
    }
    return OkStatus();
  }

  void CloseGate() {
    Set([&] { gate_open_ = false; });
  }
  void OpenGate() {
    Set([&] { gate_open_ = true; });
  }
  void FailCall(int n) {
    Set([&] { fail_call_ = n; });
  }
  // Waits until an Apply is held at the closed gate.
  void WaitUntilBlocked() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return blocked_; });
  }
  std::vector<std::size_t> batch_sizes() { return Get(batch_sizes_); }
  std::vector<std::int64_t> applied() { return Get(applied_); }

 private:
  template <typename F>
  void Set(F f) {
    std::lock_guard<std::mutex> lock(mu_);
    f();
    cv_.notify_all();
  }
  template <typename T>
  T Get(const T& value) {
    std::lock_guard<std::mutex> lock(mu_);
    return value;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool gate_open_ = true;
  bool blocked_ = false;
  int calls_ = 0;
  int fail_call_ = 0;
  std::vector<std::size_t> batch_sizes_;
  std::vector<std::int64_t> applied_;
};

// Holds the fake's first Apply (of job 1) at the gate, then queues jobs
// 2..n behind it: they are all waiting when the gate opens.
std::vector<std::future<Status>> QueueBehindAHeldCommit(FakeStore& fake, GroupCommitter& gc,
                                                        int n) {
  fake.CloseGate();
  std::vector<std::future<Status>> futures;
  futures.push_back(gc.Submit(Submission(1, 1)));
  fake.WaitUntilBlocked();
  for (int id = 2; id <= n; ++id) futures.push_back(gc.Submit(Submission(id, id)));
  return futures;
}

std::vector<std::int64_t> Ids(int from, int to) {
  std::vector<std::int64_t> ids;
  for (int i = from; i <= to; ++i) ids.push_back(i);
  return ids;
}

TEST(GroupCommitTest, CompletesEachSubmissionAfterItsBatchIsApplied) {
  FakeStore fake;
  GroupCommitter gc(fake);
  std::future<Status> a = gc.Submit(Submission(1, 1));
  std::future<Status> b = gc.Submit(Submission(2, 2));
  EXPECT_TRUE(a.get());
  EXPECT_TRUE(b.get());
  EXPECT_THAT(fake.applied(), ElementsAre(1, 2));
}

TEST(GroupCommitTest, SubmissionsArrivingDuringACommitShareTheNextOne) {
  FakeStore fake;
  GroupCommitter gc(fake);
  std::vector<std::future<Status>> futures = QueueBehindAHeldCommit(fake, gc, 10);
  EXPECT_EQ(futures[1].wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "acknowledged before its commit";
  fake.OpenGate();
  for (auto& f : futures) EXPECT_TRUE(f.get());
  EXPECT_THAT(fake.batch_sizes(), ElementsAre(1, 9));
  EXPECT_THAT(fake.applied(), ElementsAreArray(Ids(1, 10))) << "submission order is kept";
  GroupCommitStats stats = gc.stats();
  EXPECT_EQ(stats.batches, 2);
  EXPECT_EQ(stats.mutations, 10);
  EXPECT_EQ(stats.largest_batch, 9);
}

TEST(GroupCommitTest, ABatchIsBoundedByCountAndByBytes) {
  FakeStore fake;
  GroupCommitOptions count_bound;
  count_bound.max_batch_mutations = 4;
  GroupCommitter by_count(fake, count_bound);
  std::vector<std::future<Status>> futures = QueueBehindAHeldCommit(fake, by_count, 11);
  fake.OpenGate();
  for (auto& f : futures) EXPECT_TRUE(f.get());
  EXPECT_THAT(fake.batch_sizes(), ElementsAre(1, 4, 4, 2));

  FakeStore fake2;
  GroupCommitOptions byte_bound;
  byte_bound.max_batch_bytes = 3 * Submission(1, 1).ByteSize();
  GroupCommitter by_bytes(fake2, byte_bound);
  futures = QueueBehindAHeldCommit(fake2, by_bytes, 8);
  fake2.OpenGate();
  for (auto& f : futures) EXPECT_TRUE(f.get());
  EXPECT_THAT(fake2.batch_sizes(), ElementsAre(1, 3, 3, 1));
}

TEST(GroupCommitTest, AFailedApplyFailsItsWholeBatchAndEverythingAfterIt) {
  FakeStore fake;
  fake.FailCall(2);
  GroupCommitter gc(fake);
  std::vector<std::future<Status>> futures = QueueBehindAHeldCommit(fake, gc, 6);
  fake.OpenGate();
  EXPECT_TRUE(futures[0].get());
  for (std::size_t i = 1; i < futures.size(); ++i) {
    Status s = futures[i].get();
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message, "disk on fire");
  }
  Status later = gc.Submit(Submission(7, 7)).get();
  ASSERT_FALSE(later);
  EXPECT_THAT(later.error().message, HasSubstr("an earlier commit failed: disk on fire"));
  Status flushed = gc.Flush();
  ASSERT_FALSE(flushed);
  EXPECT_EQ(flushed.error().message, "disk on fire");
  EXPECT_THAT(fake.batch_sizes(), ElementsAre(1, 5)) << "nothing applied after the failure";
  EXPECT_EQ(gc.stats().failed_batches, 1);
}

TEST(GroupCommitTest, FlushWaitsForEverySubmissionBeforeIt) {
  FakeStore fake;
  GroupCommitter gc(fake);
  std::atomic<int> done{0};
  for (int id = 1; id <= 50; ++id) {
    gc.Submit(Submission(id, id), [&](const Status& s) { done += s ? 1 : 0; });
  }
  EXPECT_TRUE(gc.Flush());
  EXPECT_EQ(done.load(), 50);
  EXPECT_THAT(fake.applied(), ElementsAreArray(Ids(1, 50)));
}

TEST(GroupCommitTest, CloseCommitsEverythingQueuedThenRefusesNewWork) {
  FakeStore fake;
  GroupCommitter gc(fake);
  std::atomic<int> ok{0};
  for (int id = 1; id <= 100; ++id) {
    gc.Submit(Submission(id, id), [&](const Status& s) { ok += s ? 1 : 0; });
  }
  gc.Close();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_EQ(fake.applied().size(), 100u);
  Status after = gc.Submit(Submission(101, 101)).get();
  ASSERT_FALSE(after);
  EXPECT_THAT(after.error().message, HasSubstr("closed"));
  gc.Close();  // idempotent
}

TEST(GroupCommitTest, ADoneCallbackMaySubmitMore) {
  FakeStore fake;
  GroupCommitter gc(fake);
  std::promise<Status> second;
  gc.Submit(Submission(1, 1), [&](const Status&) {
    gc.Submit(Submission(2, 2), [&](const Status& s) { second.set_value(s); });
  });
  EXPECT_TRUE(second.get_future().get());
  EXPECT_THAT(fake.applied(), ElementsAre(1, 2));
}

// 8 producers x 1,000 submissions, each waiting for its acknowledgement
// before the next, as clients of the server do.
TEST(GroupCommitSqliteTest, EightConcurrentProducersAreAllDurableAndGrouped) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 1000;
  TempDir dir;
  std::string path = dir.File("state.db");
  std::atomic<std::int64_t> next_id{1};
  std::atomic<int> failures{0};
  GroupCommitStats stats;
  {
    auto store = SqliteStore::Open(path, {});
    ASSERT_TRUE(store) << store.error().message;
    GroupCommitter gc(**store);
    std::vector<std::thread> producers;
    for (int t = 0; t < kThreads; ++t) {
      producers.emplace_back([&] {
        for (int i = 0; i < kPerThread; ++i) {
          std::int64_t id = next_id++;
          if (!gc.Submit(Submission(id, id)).get()) ++failures;
        }
      });
    }
    for (std::thread& p : producers) p.join();
    stats = gc.stats();
  }
  EXPECT_EQ(failures.load(), 0);
  constexpr std::int64_t kTotal = kThreads * kPerThread;
  EXPECT_EQ(stats.mutations, kTotal);
  EXPECT_LE(stats.batches * 2, kTotal) << "concurrent submissions were not grouped";

  auto store = SqliteStore::Open(path, {});
  ASSERT_TRUE(store) << store.error().message;
  Result<Loaded> loaded = (*store)->LoadAll();
  ASSERT_TRUE(loaded) << loaded.error().message;
  ASSERT_EQ(loaded->jobs.size(), static_cast<std::size_t>(kTotal));
  for (std::size_t i = 0; i < loaded->jobs.size(); ++i) {
    ASSERT_EQ(loaded->jobs[i].id, static_cast<std::int64_t>(i) + 1);
  }
  EXPECT_EQ(loaded->last_event_seq, kTotal);
}

}  // namespace
}  // namespace gpusched::store
