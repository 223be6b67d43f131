// The event log of SqliteStore: paging forward and backward, by job, by
// kind prefix, and the limit's range.
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/sqlite_store.h"
#include "store/store_testing.h"

namespace gpusched::store {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using testing::Event;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::TempDir;

std::vector<std::int64_t> Seqs(const std::vector<EventRow>& events) {
  std::vector<std::int64_t> seqs;
  for (const EventRow& e : events) seqs.push_back(e.seq);
  return seqs;
}

std::vector<std::int64_t> Range(std::int64_t from, std::int64_t to, std::int64_t step = 1) {
  std::vector<std::int64_t> out;
  for (std::int64_t i = from; step > 0 ? i <= to : i >= to; i += step) out.push_back(i);
  return out;
}

// 30 events, seq 1..30: job 1 has the odd ones, job 2 the multiples of 4,
// the rest are about no job. Every third is a decision.
class SqliteEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_.File("state.db"), {});
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    Mutation m;
    for (std::int64_t seq = 1; seq <= 30; ++seq) {
      std::int64_t job = seq % 2 == 1 ? 1 : (seq % 4 == 0 ? 2 : 0);
      m.events.push_back(Event(seq, job, seq % 3 == 0 ? "decision.bind" : "job.progress"));
    }
    std::vector<Mutation> batch{m};
    ASSERT_TRUE(store_->Apply(batch));
  }

  std::vector<std::int64_t> Page(const EventQuery& q) {
    Result<std::vector<EventRow>> events = store_->Events(q);
    EXPECT_TRUE(events) << events.error().message;
    return events ? Seqs(*events) : std::vector<std::int64_t>{};
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteEventsTest, PagesForwardBySeqUntilTheEnd) {
  EventQuery q;
  q.limit = 12;
  EXPECT_THAT(Page(q), ElementsAreArray(Range(1, 12)));
  q.after_seq = 12;
  EXPECT_THAT(Page(q), ElementsAreArray(Range(13, 24)));
  q.after_seq = 24;
  EXPECT_THAT(Page(q), ElementsAreArray(Range(25, 30)));
  q.after_seq = 30;
  EXPECT_THAT(Page(q), IsEmpty());
}

TEST_F(SqliteEventsTest, ReturnsWholeRows) {
  EventQuery q;
  q.after_seq = 2;
  q.limit = 1;
  Result<std::vector<EventRow>> events = store_->Events(q);
  ASSERT_TRUE(events);
  EXPECT_THAT(*events, ElementsAre(Event(3, 1, "decision.bind")));
}

TEST_F(SqliteEventsTest, PagesOneJobsEvents) {
  EventQuery q;
  q.job_id = 1;
  q.limit = 10;
  EXPECT_THAT(Page(q), ElementsAreArray(Range(1, 19, 2)));
  q.after_seq = 19;
  EXPECT_THAT(Page(q), ElementsAreArray(Range(21, 29, 2)));
  q.job_id = 2;
  q.after_seq = 0;
  EXPECT_THAT(Page(q), ElementsAreArray(Range(4, 28, 4)));
  q.job_id = 3;
  EXPECT_THAT(Page(q), IsEmpty());
}

TEST_F(SqliteEventsTest, NewestFirstPagesBackwardWithBeforeSeq) {
  EventQuery q;
  q.newest_first = true;
  q.limit = 5;
  EXPECT_THAT(Page(q), ElementsAreArray(Range(30, 26, -1)));
  q.before_seq = 26;
  EXPECT_THAT(Page(q), ElementsAreArray(Range(25, 21, -1)));
  q.job_id = 1;
  q.before_seq.reset();
  q.limit = 3;
  EXPECT_THAT(Page(q), ElementsAre(29, 27, 25));
}

TEST_F(SqliteEventsTest, FiltersByKindPrefix) {
  EventQuery q;
  q.kind_prefix = "decision.";
  q.limit = 100;
  EXPECT_THAT(Page(q), ElementsAreArray(Range(3, 30, 3)));
  q.job_id = 1;
  EXPECT_THAT(Page(q), ElementsAre(3, 9, 15, 21, 27));
  q.kind_prefix = "decision%";  // a literal prefix, not a pattern
  EXPECT_THAT(Page(q), IsEmpty());
}

TEST_F(SqliteEventsTest, ALimitOutOfRangeIsRefused) {
  EventQuery q;
  q.limit = 0;
  Result<std::vector<EventRow>> events = store_->Events(q);
  ASSERT_FALSE(events);
  EXPECT_EQ(events.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(events.error().message, HasSubstr("limit must be between 1 and 10000, got 0"));
  q.limit = kMaxEventLimit + 1;
  EXPECT_FALSE(store_->Events(q));
}

}  // namespace
}  // namespace gpusched::store
