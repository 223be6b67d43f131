// `gpusched logs --follow`: the queries it makes and what it prints, from
// scripted answers of GET /v1/jobs/ID/logs.
#include "cli/logs_format.h"

#include <gtest/gtest.h>

namespace gpusched::cli {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

// An answer of the logs route.
Json Answer(std::optional<std::int64_t> run, std::vector<std::int64_t> runs, std::int64_t end,
            std::string text, bool more, std::string state = "running",
            std::string node = "node-a") {
  return Json{{"job", 4},
              {"run", run ? Json(*run) : Json(nullptr)},
              {"node", run ? Json(node) : Json(nullptr)},
              {"runs", runs},
              {"start", end - static_cast<std::int64_t>(text.size())},
              {"end", end},
              {"text", text},
              {"more", more},
              {"job_state", state}};
}

TEST(LogFollower, WaitsForAFirstRunThenReadsOnFromItsEnd) {
  LogFollower f(std::nullopt, 100);
  EXPECT_EQ(f.NextQuery(), (Query{{"tail_bytes", "100"}}));
  LogFollower::Step s = f.Take(Answer(std::nullopt, {}, 0, "", false, "pending"));
  EXPECT_EQ(s.text, "");
  EXPECT_EQ(s.next, LogFollower::Next::kWait);
  EXPECT_EQ(f.NextQuery(), (Query{{"tail_bytes", "100"}})) << "still the tail of the newest run";
  s = f.Take(Answer(7, {7}, 12, "hello world\n", false));
  EXPECT_EQ(s.text, "hello world\n") << "no header before the first run";
  EXPECT_EQ(s.next, LogFollower::Next::kWait);
  EXPECT_EQ(f.NextQuery(), (Query{{"run", "7"}, {"after", "12"}, {"tail_bytes", "1048576"}}));
}

TEST(LogFollower, ReadsAtOnceWhileMoreIsHeld) {
  LogFollower f(7, std::nullopt);
  EXPECT_EQ(f.NextQuery(), (Query{{"run", "7"}}));
  const LogFollower::Step s = f.Take(Answer(7, {7}, 5, "abcde", true));
  EXPECT_EQ(s.next, LogFollower::Next::kNow);
  EXPECT_EQ(f.NextQuery(), (Query{{"run", "7"}, {"after", "5"}, {"tail_bytes", "1048576"}}));
}

TEST(LogFollower, MovesToANewerRunOnceTheOldOneIsDrainedWithAHeader) {
  LogFollower f(std::nullopt, std::nullopt);
  LogFollower::Step s = f.Take(Answer(7, {7, 9}, 9, "crashed", false));
  EXPECT_EQ(s.text, "crashed");
  EXPECT_EQ(s.next, LogFollower::Next::kNow);
  EXPECT_EQ(f.NextQuery(), (Query{{"run", "9"}, {"after", "0"}, {"tail_bytes", "1048576"}}));
  s = f.Take(Answer(9, {7, 9}, 6, "again\n", false, "running", "node-b"));
  EXPECT_EQ(s.text, "\n--- run 9 on node node-b ---\nagain\n") << "the header on a line of its own";
  EXPECT_EQ(s.next, LogFollower::Next::kWait);
}

TEST(LogFollower, StopsOnceTheJobHasEndedAndItsLogIsDrained) {
  LogFollower f(std::nullopt, std::nullopt);
  EXPECT_EQ(f.Take(Answer(7, {7}, 4, "abcd", true, "succeeded")).next, LogFollower::Next::kNow);
  EXPECT_EQ(f.Take(Answer(7, {7}, 8, "efgh", false, "succeeded")).next, LogFollower::Next::kDone);
  LogFollower never_ran(std::nullopt, std::nullopt);
  EXPECT_EQ(never_ran.Take(Answer(std::nullopt, {}, 0, "", false, "cancelled")).next,
            LogFollower::Next::kDone);
}

TEST(LogFollower, AMalformedAnswerThrows) {
  LogFollower f(std::nullopt, std::nullopt);
  EXPECT_THROW(f.Take(Json{{"run", 3}}), Json::exception);
}

TEST(IsFinalJobState, OnlyTheEndStates) {
  for (const char* s : {"succeeded", "failed", "cancelled"}) EXPECT_TRUE(IsFinalJobState(s)) << s;
  for (const char* s : {"pending", "running", "stopping"}) EXPECT_FALSE(IsFinalJobState(s)) << s;
}

}  // namespace
}  // namespace gpusched::cli
