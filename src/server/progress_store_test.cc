// The in-memory progress trail: order, resent points, thinning (which keeps
// every run's first and last point and the whole life), job eviction, and a
// randomized comparison with a model that keeps every point.
#include "server/progress_store.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

namespace gpusched::server {
namespace {

constexpr JobId kJob = 7;

using Points = std::vector<ProgressPoint>;

ProgressPoint Point(std::int64_t time_s, int epoch, std::uint64_t run) {
  ProgressPoint p;
  p.time_s = time_s;
  p.epoch = epoch;
  p.run = run;
  return p;
}

ProgressLimits Small(std::size_t points_per_job, std::size_t jobs = 100) {
  ProgressLimits l;
  l.points_per_job = points_per_job;
  l.jobs = jobs;
  return l;
}

// Whether `part` is `whole` with some points left out.
bool IsSubsequence(const Points& part, const Points& whole) {
  auto it = whole.begin();
  for (const ProgressPoint& p : part) {
    it = std::find(it, whole.end(), p);
    if (it == whole.end()) return false;
    ++it;
  }
  return true;
}

// Each run's first and last point in `points`, in order of appearance.
Points Ends(const Points& points) {
  std::map<std::uint64_t, std::pair<std::size_t, std::size_t>> span;
  for (std::size_t i = 0; i < points.size(); ++i) {
    auto [it, added] = span.try_emplace(points[i].run, i, i);
    if (!added) it->second.second = i;
  }
  Points out;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto& [first, last] = span.at(points[i].run);
    if (i == first || i == last) out.push_back(points[i]);
  }
  return out;
}

TEST(ProgressStore, AJobWithoutPointsReadsEmpty) {
  ProgressStore s;
  EXPECT_TRUE(s.Read(kJob).empty());
  EXPECT_EQ(s.jobs(), 0u);
}

TEST(ProgressStore, PointsAreReadBackInTimeOrderWithTheirRuns) {
  ProgressStore s;
  s.Add(kJob, 3, 100, 0);
  s.Add(kJob, 3, 160, 1);
  s.Add(kJob, 3, 220, 2);
  s.Add(kJob, 5, 400, 1);  // the next run, resumed from a checkpoint at 1
  s.Add(kJob, 5, 450, 2);
  EXPECT_EQ(s.Read(kJob), (Points{Point(100, 0, 3), Point(160, 1, 3), Point(220, 2, 3),
                                  Point(400, 1, 5), Point(450, 2, 5)}));
  EXPECT_TRUE(s.Read(kJob + 1).empty());
}

TEST(ProgressStore, ResentPointsAreIgnoredButARunsFirstPointIsTaken) {
  ProgressStore s;
  s.Add(kJob, 1, 100, 4);  // first point of run 1: taken whatever its epoch
  s.Add(kJob, 1, 110, 4);  // not greater: resent
  s.Add(kJob, 1, 120, 5);
  s.Add(kJob, 1, 130, 3);  // resent after an agent restart
  s.Add(kJob, 1, 140, 5);
  s.Add(kJob, 2, 150, 2);  // first point of run 2: below run 1's epochs, still taken
  s.Add(kJob, 2, 160, 2);
  EXPECT_EQ(s.Read(kJob), (Points{Point(100, 4, 1), Point(120, 5, 1), Point(150, 2, 2)}));
}

TEST(ProgressStore, APointTimedBeforeTheLastIsMovedUpToItsTime) {
  ProgressStore s;
  s.Add(kJob, 1, 100, 0);
  s.Add(kJob, 1, 90, 1);
  EXPECT_EQ(s.Read(kJob), (Points{Point(100, 0, 1), Point(100, 1, 1)}));
}

TEST(ProgressStore, ThinningKeepsTheBoundAndSpansTheWholeLife) {
  ProgressStore s(Small(16));
  for (int e = 0; e <= 200; ++e) s.Add(kJob, 1, 1000 + 10 * e, e);
  const Points points = s.Read(kJob);
  ASSERT_LE(points.size(), 16u);
  EXPECT_GE(points.size(), 8u) << "thinning drops a part, not the lot";
  EXPECT_EQ(points.front(), Point(1000, 0, 1)) << "the first point stays";
  EXPECT_EQ(points.back(), Point(3000, 200, 1)) << "the last point stays";
  EXPECT_TRUE(std::is_sorted(
      points.begin(), points.end(),
      [](const ProgressPoint& a, const ProgressPoint& b) { return a.epoch < b.epoch; }));
  // The newest points keep the most detail.
  EXPECT_EQ(points[points.size() - 2].epoch, 199);
}

TEST(ProgressStore, ThinningKeepsEveryRunsFirstAndLastPoint) {
  ProgressStore s(Small(12));
  std::int64_t t = 0;
  for (std::uint64_t run = 1; run <= 4; ++run) {
    for (int e = static_cast<int>(run) * 2; e < static_cast<int>(run) * 2 + 10; ++e) {
      s.Add(kJob, run, t += 5, e);
    }
  }
  const Points points = s.Read(kJob);
  ASSERT_LE(points.size(), 12u);
  std::set<std::uint64_t> runs;
  for (const ProgressPoint& p : points) runs.insert(p.run);
  EXPECT_EQ(runs, (std::set<std::uint64_t>{1, 2, 3, 4}));
  for (std::uint64_t run = 1; run <= 4; ++run) {
    const int first = static_cast<int>(run) * 2;
    const auto of_run = [&](int epoch) {
      return std::count_if(points.begin(), points.end(), [&](const ProgressPoint& p) {
        return p.run == run && p.epoch == epoch;
      });
    };
    EXPECT_EQ(of_run(first), 1) << "run " << run << " first point";
    EXPECT_EQ(of_run(first + 9), 1) << "run " << run << " last point";
  }
  EXPECT_EQ(points.front().time_s, 5);
}

TEST(ProgressStore, TooManyShortRunsForgetTheOldestRunsWhole) {
  ProgressStore s(Small(4));
  for (std::uint64_t run = 1; run <= 5; ++run) {
    s.Add(kJob, run, static_cast<std::int64_t>(run) * 100, 0);
    s.Add(kJob, run, static_cast<std::int64_t>(run) * 100 + 50, 1);
  }
  EXPECT_EQ(s.Read(kJob),
            (Points{Point(400, 0, 4), Point(450, 1, 4), Point(500, 0, 5), Point(550, 1, 5)}));
  s.Add(kJob, 3, 600, 2);  // a run forgotten (or older) stays forgotten
  s.Add(kJob, 1, 600, 2);
  EXPECT_EQ(s.Read(kJob).size(), 4u);
  EXPECT_EQ(s.Read(kJob).back(), Point(550, 1, 5));
}

TEST(ProgressStore, BeyondTheJobCapTheLeastRecentlyWrittenJobIsForgotten) {
  ProgressStore s(Small(8, 2));
  s.Add(1, 10, 100, 0);
  s.Add(2, 20, 100, 0);
  s.Add(1, 10, 110, 1);  // job 1 written last
  s.Add(2, 20, 120, 0);  // ignored (resent): not a write
  s.Add(3, 30, 130, 0);  // job 2 goes
  EXPECT_EQ(s.jobs(), 2u);
  EXPECT_EQ(s.Read(1).size(), 2u);
  EXPECT_TRUE(s.Read(2).empty());
  EXPECT_EQ(s.Read(3), (Points{Point(130, 0, 30)}));
  s.Add(2, 20, 140, 1);  // a forgotten job starts over
  EXPECT_EQ(s.Read(2), (Points{Point(140, 1, 20)}));
  EXPECT_TRUE(s.Read(1).empty());
}

TEST(ProgressStore, LimitsBelowTheMinimumAreRefused) {
  EXPECT_DEATH({ ProgressStore s(Small(1)); }, "points_per_job");
  EXPECT_DEATH({ ProgressStore s(Small(4, 0)); }, "jobs");
}

// Keeps every point taken, unbounded, and forgets jobs as the store does.
class Model {
 public:
  explicit Model(ProgressLimits limits) : limits_(limits) {}

  void Add(JobId job, std::uint64_t run, std::int64_t time_s, int epoch) {
    auto it = jobs_.find(job);
    if (it != jobs_.end()) {
      const Points& all = it->second;
      const auto last = std::find_if(all.rbegin(), all.rend(),
                                     [&](const ProgressPoint& p) { return p.run == run; });
      if (last != all.rend() && epoch <= last->epoch) return;
      time_s = std::max(time_s, all.back().time_s);
    }
    jobs_[job].push_back(Point(time_s, epoch, run));
    order_.erase(std::remove(order_.begin(), order_.end(), job), order_.end());
    order_.push_back(job);
    if (order_.size() > limits_.jobs) {
      jobs_.erase(order_.front());
      order_.erase(order_.begin());
    }
  }
  Points All(JobId job) const {
    const auto it = jobs_.find(job);
    return it == jobs_.end() ? Points{} : it->second;
  }
  std::size_t jobs() const { return jobs_.size(); }

 private:
  ProgressLimits limits_;
  std::map<JobId, Points> jobs_;
  std::vector<JobId> order_;  // least recently written first
};

// What the store holds of a job against every point the model took: within
// the bound, a part of them in order, the same newest point, and every
// run's first and last point, of all runs but the oldest ones forgotten.
void ExpectHeldPartOf(const Points& held, const Points& all, std::size_t bound) {
  ASSERT_EQ(held.empty(), all.empty());
  if (all.empty()) return;
  EXPECT_LE(held.size(), bound);
  EXPECT_TRUE(IsSubsequence(held, all));
  EXPECT_EQ(held.back(), all.back());
  const auto oldest = std::find(all.begin(), all.end(), held.front());
  ASSERT_NE(oldest, all.end());
  EXPECT_EQ(std::find_if(all.begin(), all.end(),
                         [&](const ProgressPoint& p) { return p.run == held.front().run; }),
            oldest)
      << "the held life starts with the first point of its oldest run";
  // The runs before it were forgotten whole; every later run is held with
  // its first and last point.
  EXPECT_EQ(Ends(held), Ends(Points(oldest, all.end())));
}

TEST(ProgressStore, BehavesLikeAModelThatKeepsEveryPoint) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    auto pick = [&](std::int64_t lo, std::int64_t hi) {
      return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
    };
    const ProgressLimits limits = Small(static_cast<std::size_t>(pick(2, 12)), 3);
    ProgressStore store(limits);
    Model model(limits);
    std::map<JobId, std::uint64_t> run;  // each job's current run
    std::map<JobId, int> epoch;
    std::int64_t now = 1'000;
    std::uint64_t next_run = 1;
    for (int op = 0; op < 3000 && !::testing::Test::HasFailure(); ++op) {
      // Job 1 is written to most, so it lives long: thinned, runs forgotten.
      const JobId job = static_cast<JobId>(pick(0, 1) == 0 ? 1 : pick(2, 4));
      now += pick(-1, 5);                        // the clock may step back
      if (!run.count(job) || pick(0, 9) == 0) {  // a new run, resumed from an earlier epoch
        run[job] = next_run++;
        epoch[job] = static_cast<int>(pick(0, epoch[job]));
      } else {  // resent or repeated at times
        epoch[job] = std::max(0, epoch[job] + static_cast<int>(pick(-1, 2)));
      }
      store.Add(job, run[job], now, epoch[job]);
      model.Add(job, run[job], now, epoch[job]);
      SCOPED_TRACE("op " + std::to_string(op));
      ASSERT_EQ(store.jobs(), model.jobs());
      for (JobId j = 1; j <= 4; ++j) {
        SCOPED_TRACE("job " + std::to_string(j));
        ExpectHeldPartOf(store.Read(j), model.All(j), limits.points_per_job);
      }
    }
  }
}

}  // namespace
}  // namespace gpusched::server
