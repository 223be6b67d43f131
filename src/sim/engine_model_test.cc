// Randomized, seeded, model-based tests of the replay: many small random
// worlds (engine_model_world.h) replayed under every policy, each outcome
// checked against what the replay's contract (engine.h, job_model.h,
// policies.h) says must hold whatever the scheduler decides. A failure names
// its seed and policy; RandomWorld(seed) rebuilds the world.
#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "sim/engine.h"
#include "sim/engine_model_world.h"
#include "sim/policies.h"

namespace gpusched::sim {
namespace {

using model::EpochSeconds;
using model::SavePeriodOf;
using model::TrainingSeconds;
using model::World;

constexpr std::uint64_t kFirstSeed = 1;
constexpr int kSeeds = 200;  // worlds; each replayed under every policy
constexpr std::array<std::string_view, 4> kPolicies = {"fifo", "priority", "k8s", "gpusched"};
// Floating-point slack for comparisons the engine makes in doubles.
constexpr double kEps = 1e-6;

const GpuCatalog& Catalog() {
  static const GpuCatalog catalog = GpuCatalog::BuiltIn();
  return catalog;
}

SimResult Replay(const World& w, std::string_view policy) {
  SimOptions o;
  o.policy_name = std::string(policy);
  o.policy = *PolicyNamed(policy, w.config.policy);
  Result<SimResult> r = Simulate(Catalog(), w.config, w.trace, o, [] { return 0.0; });
  EXPECT_TRUE(r.has_value()) << "seed " << w.seed << ": " << (r ? "" : r.error().message);
  return r ? std::move(*r) : SimResult{};
}

struct Replayed {
  const World* world;
  std::string_view policy;
  SimResult result;
  std::string Label() const {
    return fmt::format("seed {} policy {} (RandomWorld({}) rebuilds it)\n{}", world->seed, policy,
                       world->seed, world->cluster_yaml);
  }
};

// Every world under every policy, replayed once per test binary.
const std::vector<Replayed>& Runs() {
  static const std::vector<World> worlds = [] {
    std::vector<World> w;
    for (int i = 0; i < kSeeds; ++i) w.push_back(model::RandomWorld(kFirstSeed + i, Catalog()));
    return w;
  }();
  static const std::vector<Replayed> runs = [] {
    std::vector<Replayed> r;
    for (const World& w : worlds) {
      for (std::string_view p : kPolicies) r.push_back({&w, p, Replay(w, p)});
    }
    return r;
  }();
  return runs;
}

// Every field of a result, for comparing two replays (fmt prints doubles
// exactly: shortest round-trip form).
std::string Dump(const SimResult& r) {
  std::string s = fmt::format("{} {} {} {}\n", r.total_gpus, r.events, r.cycles, r.end_s);
  for (const JobOutcome& o : r.jobs) {
    s += fmt::format("{} {} {} {} {} {} {} {} {} {} {} {} {} {} [{}] {}\n", o.id, o.tenant,
                     o.class_name, o.gpus, o.submit_s, o.first_start_s, o.end_s, o.preemptions,
                     o.migrations, o.max_preemptions_24h, o.work_gpu_s, o.lost_gpu_s,
                     o.restart_gpu_s, o.held_gpu_s, fmt::join(o.resumed_from_epoch, ","),
                     o.wait_reason);
  }
  for (const TimelineSample& t : r.timeline) {
    s += fmt::format("t {} {} {} [{}] {}\n", t.t_s, t.gpus_busy, t.running,
                     fmt::join(t.pending_by_class, ","), t.preemptions);
  }
  return s;
}

int RunCount(const JobOutcome& o) { return 1 + static_cast<int>(o.resumed_from_epoch.size()); }
int Stops(const JobOutcome& o) { return o.preemptions + o.migrations; }

TEST(ReplayModel, EveryJobCompletesNoSoonerThanItsTrainingAllows) {
  for (const Replayed& run : Runs()) {
    SCOPED_TRACE(run.Label());
    ASSERT_EQ(run.result.jobs.size(), run.world->trace.size());
    for (std::size_t i = 0; i < run.result.jobs.size(); ++i) {
      const JobOutcome& o = run.result.jobs[i];
      ASSERT_GE(o.first_start_s, o.submit_s) << o.id << " never started or started early";
      ASSERT_GE(o.end_s, o.first_start_s) << o.id << " did not complete";
      // It cannot train faster than on the fastest type, whatever it lost.
      // Rounding (each run's end up to a whole second) only lengthens a run,
      // so no slack beyond floating point is needed.
      const double fastest = TrainingSeconds(run.world->trace[i], run.world->fastest_speed_milli);
      ASSERT_GE(static_cast<double>(o.end_s - o.first_start_s) + kEps, fastest) << o.id;
    }
  }
}

// A job holds its GPUs while it pays a restart overhead, trains what it
// keeps (its checkpoints, then its end), and trains what a stop loses. Kept
// training adds up to the whole job; on a single-type cluster that is
// work_gpu_s exactly, and each run's end is rounded up to a whole second (on
// each of its GPUs). On a mixed cluster runs may differ in speed: the kept
// training is at least the whole job on the fastest type, and work_gpu_s
// (the job on its last run's type) lies between the fastest and slowest.
TEST(ReplayModel, HeldTimeIsWorkPlusLossPlusRestartsExactlyOnOneGpuType) {
  for (const Replayed& run : Runs()) {
    SCOPED_TRACE(run.Label());
    for (std::size_t i = 0; i < run.result.jobs.size(); ++i) {
      const JobOutcome& o = run.result.jobs[i];
      const TraceJob& t = run.world->trace[i];
      const double fastest = o.gpus * TrainingSeconds(t, run.world->fastest_speed_milli);
      const double slowest = o.gpus * TrainingSeconds(t, run.world->slowest_speed_milli);
      ASSERT_GE(o.work_gpu_s + kEps, fastest) << o.id;
      ASSERT_LE(o.work_gpu_s, slowest + kEps) << o.id;
      ASSERT_GE(o.held_gpu_s + kEps, fastest + o.lost_gpu_s + o.restart_gpu_s) << o.id;
      if (!run.world->single_type) continue;
      const double accounted = o.work_gpu_s + o.lost_gpu_s + o.restart_gpu_s;
      ASSERT_GE(o.held_gpu_s + kEps, accounted) << o.id;
      ASSERT_LE(o.held_gpu_s, accounted + o.gpus * RunCount(o) + kEps) << o.id;
    }
  }
}

TEST(ReplayModel, EveryRestartResumesFromACheckpointNeverGoingBack) {
  for (const Replayed& run : Runs()) {
    SCOPED_TRACE(run.Label());
    for (std::size_t i = 0; i < run.result.jobs.size(); ++i) {
      const JobOutcome& o = run.result.jobs[i];
      const TraceJob& t = run.world->trace[i];
      // A stopped job restarts once per stop, except that a victim reaching
      // its end within its grace simply finishes (engine.h): at most its last
      // stop has no restart (a job stopping is not running, so not stopped
      // again).
      const auto restarts = static_cast<int>(o.resumed_from_epoch.size());
      ASSERT_TRUE(restarts == Stops(o) || restarts == Stops(o) - 1)
          << o.id << ": " << restarts << " restarts after " << Stops(o) << " stops";
      int previous = 0;
      for (int epoch : o.resumed_from_epoch) {
        ASSERT_EQ(epoch % SavePeriodOf(t), 0) << o.id << " resumed from a non-checkpoint";
        ASSERT_GE(epoch, previous) << o.id << " went back";
        ASSERT_LT(epoch, model::EpochsOf(t)) << o.id << " resumed a finished run";
        previous = epoch;
      }
    }
  }
}

// Loss is measured when the victim exits (after its grace): by then it has
// trained less than one checkpoint interval since its newest checkpoint
// (save_period epochs; a fixed-duration run: its whole length), on a type no
// slower than the cluster's slowest. The grace adds nothing: training during
// it reaches checkpoints like any other. A stop that lets the job finish
// loses nothing.
TEST(ReplayModel, EachStopLosesLessThanOneCheckpointInterval) {
  for (const Replayed& run : Runs()) {
    SCOPED_TRACE(run.Label());
    for (std::size_t i = 0; i < run.result.jobs.size(); ++i) {
      const JobOutcome& o = run.result.jobs[i];
      const TraceJob& t = run.world->trace[i];
      const double interval = SavePeriodOf(t) * EpochSeconds(t, run.world->slowest_speed_milli);
      ASSERT_LE(o.lost_gpu_s, Stops(o) * o.gpus * interval + kEps) << o.id;
      if (Stops(o) == 0) {
        ASSERT_EQ(o.lost_gpu_s, 0) << o.id;
      }
    }
  }
}

TEST(ReplayModel, WithoutPreemptionEveryJobRunsOnceStraightThrough) {
  for (const Replayed& run : Runs()) {
    if (run.policy != "fifo" && run.policy != "priority") continue;
    SCOPED_TRACE(run.Label());
    for (std::size_t i = 0; i < run.result.jobs.size(); ++i) {
      const JobOutcome& o = run.result.jobs[i];
      ASSERT_EQ(o.preemptions, 0) << o.id;
      ASSERT_EQ(o.migrations, 0) << o.id;
      ASSERT_TRUE(o.resumed_from_epoch.empty()) << o.id;
      ASSERT_EQ(o.restart_gpu_s, 0) << o.id;
      // One run: its training on the type it got, rounded up to a second.
      const double slowest = TrainingSeconds(run.world->trace[i], run.world->slowest_speed_milli);
      ASSERT_LE(static_cast<double>(o.end_s - o.first_start_s), slowest + 1 + kEps) << o.id;
    }
  }
}

TEST(ReplayModel, NoJobIsPreemptedPastTheLimitOrAgainstItsWill) {
  for (const Replayed& run : Runs()) {
    SCOPED_TRACE(run.Label());
    for (std::size_t i = 0; i < run.result.jobs.size(); ++i) {
      const JobOutcome& o = run.result.jobs[i];
      ASSERT_LE(o.max_preemptions_24h, o.preemptions) << o.id;
      if (!run.world->trace[i].preemptible) {
        ASSERT_EQ(Stops(o), 0) << o.id << " is not preemptible";
      }
      // The window of the limit is the default 24 hours.
      ASSERT_EQ(run.world->config.policy.max_preemptions_per_window, run.world->max_preemptions);
      if (run.policy == "gpusched") {
        ASSERT_LE(o.max_preemptions_24h, run.world->max_preemptions) << o.id;
      }
    }
  }
}

// policies.h: fifo takes jobs in submission order (the trace's order; equal
// submit times in trace order, as ids break the tie) and priority in
// (class, age) order, and in both nothing passes the first blocked job. So a
// job never starts while one ahead of it in that order waits: if A is ahead
// of B and was submitted by the time B started, A started no later than B.
// (Without preemption, age is time since submission.)
TEST(ReplayModel, WithoutBackfillNoJobStartsWhileOneAheadOfItWaits) {
  for (const Replayed& run : Runs()) {
    if (run.policy != "fifo" && run.policy != "priority") continue;
    SCOPED_TRACE(run.Label());
    const std::vector<JobOutcome>& jobs = run.result.jobs;
    auto rank = [&](const JobOutcome& o) {
      if (run.policy == "fifo") return 0;
      const auto& names = run.result.class_names;
      return static_cast<int>(std::find(names.begin(), names.end(), o.class_name) - names.begin());
    };
    for (std::size_t a = 0; a < jobs.size(); ++a) {
      for (std::size_t b = 0; b < jobs.size(); ++b) {
        const JobOutcome& x = jobs[a];
        const JobOutcome& y = jobs[b];
        const bool ahead =
            std::make_tuple(rank(x), x.submit_s, a) < std::make_tuple(rank(y), y.submit_s, b);
        if (!ahead || x.submit_s > y.first_start_s) continue;
        ASSERT_LE(x.first_start_s, y.first_start_s) << x.id << " is ahead of " << y.id;
      }
    }
  }
}

TEST(ReplayModel, TheSameInputsReplayToTheSameOutcomes) {
  for (const Replayed& run : Runs()) {
    SCOPED_TRACE(run.Label());
    ASSERT_EQ(Dump(Replay(*run.world, run.policy)), Dump(run.result));
  }
}

// At a sample, the state is the one after every event at or before its time:
// the jobs live then are exactly those submitted and not yet ended (stronger
// than "pending never exceeds submitted"); a job holding GPUs has started and
// not ended. Every sample has one pending count per class, also the first one
// after the timeline halves its resolution (where a self-move once emptied
// it: seed 70, fifo).
TEST(ReplayModel, TheTimelineNeverShowsMoreThanTheClusterAndTheTraceHold) {
  for (const Replayed& run : Runs()) {
    SCOPED_TRACE(run.Label());
    const SimResult& r = run.result;
    int last_preemptions = 0;
    int total_preemptions = 0;
    for (const JobOutcome& o : r.jobs) total_preemptions += o.preemptions;
    for (const TimelineSample& s : r.timeline) {
      int live = 0, started = 0, started_gpus = 0;
      for (const JobOutcome& o : r.jobs) {
        const bool ended = o.end_s >= 0 && o.end_s <= s.t_s;
        live += o.submit_s <= s.t_s && !ended;
        if (o.first_start_s >= 0 && o.first_start_s <= s.t_s && !ended) {
          ++started;
          started_gpus += o.gpus;
        }
      }
      int pending = 0;
      for (int p : s.pending_by_class) pending += p;
      ASSERT_EQ(s.pending_by_class.size(), r.class_names.size());
      ASSERT_GE(s.running, 0) << "t=" << s.t_s;
      ASSERT_EQ(pending + s.running, live) << "t=" << s.t_s;
      ASSERT_LE(s.running, started) << "t=" << s.t_s;
      ASSERT_LE(s.gpus_busy, std::min(r.total_gpus, started_gpus)) << "t=" << s.t_s;
      ASSERT_EQ(s.gpus_busy > 0, s.running > 0) << "t=" << s.t_s;
      ASSERT_GE(s.preemptions, last_preemptions) << "t=" << s.t_s;
      ASSERT_LE(s.preemptions, total_preemptions) << "t=" << s.t_s;
      last_preemptions = s.preemptions;
    }
  }
}

}  // namespace
}  // namespace gpusched::sim
