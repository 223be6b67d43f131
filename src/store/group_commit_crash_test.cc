// Crash safety: a child process opens the store and submits through the
// group committer from several threads, writing each job id to a pipe only
// AFTER its acknowledgement; the parent SIGKILLs it at a random moment
// (seeded), reopens the database and checks that every acknowledged job is
// there exactly once, that every stored job came with its event (nothing
// half-applied), and that SQLite's integrity check passes. Several rounds
// on the same file, each after the previous crash.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/group_commit.h"
#include "store/sqlite_store.h"
#include "store/store_testing.h"

namespace gpusched::store {
namespace {

using testing::Submission;
using testing::TempDir;

constexpr int kRounds = 5;
constexpr int kProducers = 4;
constexpr std::int64_t kIdsPerRound = 10'000'000;  // round r uses ids r*kIdsPerRound + 1...
constexpr std::int64_t kMaxPerChild = 200'000;     // a bound, should the kill never come
constexpr unsigned kSeed = 20261127;

// The child: never returns. Exit codes 2..4 name what went wrong.
[[noreturn]] void RunChild(const std::string& path, int ack_fd, std::int64_t first_id) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
  auto store = SqliteStore::Open(path, {});
  if (!store) _exit(2);
  GroupCommitter gc(**store);
  std::atomic<std::int64_t> next{first_id};
  std::vector<std::thread> producers;
  for (int t = 0; t < kProducers; ++t) {
    producers.emplace_back([&] {
      for (;;) {
        std::int64_t id = next++;
        if (id >= first_id + kMaxPerChild) return;
        if (!gc.Submit(Submission(id, id)).get()) _exit(3);
        if (write(ack_fd, &id, sizeof id) != sizeof id) _exit(4);
      }
    });
  }
  for (std::thread& p : producers) p.join();
  _exit(0);
}

struct Round {
  std::vector<std::int64_t> acked;
  int wait_status = 0;
};

// Starts a child, kills it `delay` after its first acknowledgement, and
// returns every id it acknowledged.
Round RunAndKill(const std::string& path, std::int64_t first_id, std::chrono::milliseconds delay) {
  using Clock = std::chrono::steady_clock;
  Round round;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return round;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    RunChild(path, fds[1], first_id);
  }
  close(fds[1]);
  std::string bytes;
  std::optional<Clock::time_point> kill_at;
  bool child_gone = false;
  auto read_some = [&] {
    char buffer[4096];
    ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n > 0) bytes.append(buffer, static_cast<std::size_t>(n));
    return n;
  };
  while (!child_gone) {
    int timeout_ms = 10'000;
    if (kill_at) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*kill_at - Clock::now());
      if (left.count() <= 0) break;
      timeout_ms = static_cast<int>(left.count());
    }
    pollfd p{fds[0], POLLIN, 0};
    int ready = poll(&p, 1, timeout_ms);
    if (ready == 0 && !kill_at) break;  // no acknowledgement in 10 s: give up, report below
    if (ready > 0 && read_some() <= 0) child_gone = true;
    if (!kill_at && bytes.size() >= sizeof(std::int64_t)) kill_at = Clock::now() + delay;
  }
  kill(pid, SIGKILL);
  while (read_some() > 0) {
  }
  close(fds[0]);
  waitpid(pid, &round.wait_status, 0);
  round.acked.resize(bytes.size() / sizeof(std::int64_t));
  std::memcpy(round.acked.data(), bytes.data(), round.acked.size() * sizeof(std::int64_t));
  return round;
}

// Every stored job and event, checked for consistency with `acked`.
void CheckAfterCrash(const std::string& path, const std::set<std::int64_t>& acked) {
  auto store = SqliteStore::Open(path, {});
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_TRUE((*store)->CheckIntegrity());
  Result<Loaded> loaded = (*store)->LoadAll();
  ASSERT_TRUE(loaded) << loaded.error().message;
  std::set<std::int64_t> jobs;
  for (const JobRow& j : loaded->jobs) jobs.insert(j.id);
  std::map<std::int64_t, int> events_per_job;
  EventQuery q;
  q.limit = kMaxEventLimit;
  for (;;) {
    Result<std::vector<EventRow>> page = (*store)->Events(q);
    ASSERT_TRUE(page) << page.error().message;
    if (page->empty()) break;
    for (const EventRow& e : *page) ++events_per_job[e.job_id];
    q.after_seq = page->back().seq;
  }
  for (std::int64_t id : acked) {
    ASSERT_TRUE(jobs.count(id)) << "acknowledged job " << id << " is missing";
    ASSERT_EQ(events_per_job[id], 1) << "acknowledged job " << id;
  }
  for (std::int64_t id : jobs) {
    ASSERT_EQ(events_per_job[id], 1) << "job " << id << " is stored without its one event";
  }
  EXPECT_EQ(events_per_job.size(), jobs.size()) << "an event is stored without its job";
}

TEST(GroupCommitCrashTest, EveryAcknowledgedSubmissionSurvivesSigkill) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  TempDir dir;
  std::string path = dir.File("crash.db");
  std::mt19937 rng(kSeed);
  std::uniform_int_distribution<int> delay_ms(1, 120);
  std::set<std::int64_t> acked;
  for (int r = 1; r <= kRounds; ++r) {
    std::chrono::milliseconds delay(delay_ms(rng));
    SCOPED_TRACE("round " + std::to_string(r) + ", kill " + std::to_string(delay.count()) +
                 " ms after the first acknowledgement");
    Round round = RunAndKill(path, r * kIdsPerRound + 1, delay);
    ASSERT_TRUE(WIFSIGNALED(round.wait_status) && WTERMSIG(round.wait_status) == SIGKILL)
        << "the child ended on its own, exit status "
        << (WIFEXITED(round.wait_status) ? WEXITSTATUS(round.wait_status) : -1);
    ASSERT_FALSE(round.acked.empty());
    const std::size_t before = acked.size();
    acked.insert(round.acked.begin(), round.acked.end());
    ASSERT_EQ(acked.size(), before + round.acked.size()) << "an id was acknowledged twice";
    ASSERT_NO_FATAL_FAILURE(CheckAfterCrash(path, acked));
  }
}

}  // namespace
}  // namespace gpusched::store
