#include "gpusched/runtime_model.h"

#include <gtest/gtest.h>

#include <string>

namespace gpusched {
namespace {

using std::chrono_literals::operator""s;

// A catalog with speeds fixed by the test: T4 1x, A10 1.8x, L4 2x, A100 4x.
struct TestCatalog {
  TestCatalog() {
    t4 = *catalog.Add({"T4", 15360, 1000, {}});
    a10 = *catalog.Add({"A10", 23028, 1800, {}});
    l4 = *catalog.Add({"L4", 23034, 2000, {}});
    a100 = *catalog.Add({"A100-40", 40960, 4000, {}});
  }
  GpuCatalog catalog;
  GpuTypeId t4 = 0, a10 = 0, l4 = 0, a100 = 0;
};

class JobBuilder {
 public:
  JobBuilder& Epochs(int total, int done = 0) {
    job_.progress.epochs_total = total;
    job_.progress.epochs_done = done;
    return *this;
  }
  JobBuilder& EpochT4(Duration d) {
    job_.progress.epoch_t4 = d;
    return *this;
  }
  JobBuilder& DurationT4(Duration total, Duration done = Duration(0)) {
    job_.progress.duration_t4 = total;
    job_.progress.done_t4 = done;
    return *this;
  }
  JobBuilder& Key(std::string key) {
    job_.model_key = std::move(key);
    return *this;
  }
  // Running since `started`, newest checkpoint at `checkpoint`.
  JobBuilder& Running(Instant started, Instant checkpoint = Instant{}) {
    job_.phase = JobPhase::kRunning;
    job_.started_at = started;
    job_.last_checkpoint_at = checkpoint;
    return *this;
  }
  JobBuilder& Phase(JobPhase phase) {
    job_.phase = phase;
    return *this;
  }
  Job Build() const { return job_; }

 private:
  Job job_;
};

constexpr const char* kKey = "yolov8s/detect/b32/i640/amp";

// --- ScaleFromT4 -------------------------------------------------------------

TEST(RuntimeScaleFromT4, DividesByTheSpeedFactorRoundingUp) {
  const TestCatalog c;
  EXPECT_EQ(ScaleFromT4(100s, c.catalog.type(c.t4)), 100s);
  EXPECT_EQ(ScaleFromT4(100s, c.catalog.type(c.a100)), 25s);
  EXPECT_EQ(ScaleFromT4(101s, c.catalog.type(c.a100)), 26s);
  EXPECT_EQ(ScaleFromT4(100s, c.catalog.type(c.a10)), 56s);  // 55.6
}

TEST(RuntimeScaleFromT4, NonPositiveDurationsGiveZero) {
  const TestCatalog c;
  EXPECT_EQ(ScaleFromT4(0s, c.catalog.type(c.a100)), 0s);
  EXPECT_EQ(ScaleFromT4(-5s, c.catalog.type(c.a100)), 0s);
}

// --- RuntimeModel --------------------------------------------------------------

TEST(RuntimeModel, KnowsNothingBeforeAnObservation) {
  const TestCatalog c;
  const RuntimeModel model(&c.catalog);
  EXPECT_EQ(model.EpochTime(kKey, c.t4), std::nullopt);
}

TEST(RuntimeModel, AveragesObservationsWithTheNewestWeightingAQuarter) {
  const TestCatalog c;
  RuntimeModel model(&c.catalog);
  model.ObserveEpoch(kKey, c.t4, 100s);
  EXPECT_EQ(model.EpochTime(kKey, c.t4), 100s);
  model.ObserveEpoch(kKey, c.t4, 200s);
  EXPECT_EQ(model.EpochTime(kKey, c.t4), 125s);
  model.ObserveEpoch(kKey, c.t4, 200s);
  EXPECT_EQ(model.EpochTime(kKey, c.t4), 144s);  // 143.75, rounded up
}

TEST(RuntimeModel, IgnoresNonPositiveDurationsAndEmptyKeys) {
  const TestCatalog c;
  RuntimeModel model(&c.catalog);
  model.ObserveEpoch(kKey, c.t4, 0s);
  model.ObserveEpoch(kKey, c.t4, -3s);
  model.ObserveEpoch("", c.t4, 100s);
  EXPECT_EQ(model.EpochTime(kKey, c.t4), std::nullopt);
  EXPECT_EQ(model.EpochTime("", c.t4), std::nullopt);
}

TEST(RuntimeModel, WhatItLearnedRestoresIntoAFreshModel) {
  const TestCatalog c;
  RuntimeModel model(&c.catalog);
  model.ObserveEpoch(kKey, c.t4, 100s);
  model.ObserveEpoch(kKey, c.t4, 200s);
  RuntimeModel restored(&c.catalog);
  for (const RuntimeModel::Learned& l : model.learned()) restored.Restore(l);
  EXPECT_EQ(restored.EpochTime(kKey, c.t4), 125s);
  restored.Restore({"", c.t4, 1000});
  restored.Restore({"other", c.t4, 0});
  EXPECT_EQ(restored.learned().size(), 1u) << "empty keys and non-positive times are ignored";
}

TEST(RuntimeModel, ScalesAnObservationOnAnotherTypeByTheSpeedRatio) {
  const TestCatalog c;
  RuntimeModel model(&c.catalog);
  model.ObserveEpoch(kKey, c.t4, 400s);
  EXPECT_EQ(model.EpochTime(kKey, c.a100), 100s);
  EXPECT_EQ(model.EpochTime(kKey, c.l4), 200s);

  RuntimeModel fast_first(&c.catalog);
  fast_first.ObserveEpoch(kKey, c.a100, 100s);
  EXPECT_EQ(fast_first.EpochTime(kKey, c.t4), 400s);
}

TEST(RuntimeModel, PrefersAnObservationOnTheSameType) {
  const TestCatalog c;
  RuntimeModel model(&c.catalog);
  model.ObserveEpoch(kKey, c.t4, 400s);
  model.ObserveEpoch(kKey, c.a100, 120s);
  EXPECT_EQ(model.EpochTime(kKey, c.a100), 120s);
  EXPECT_EQ(model.EpochTime(kKey, c.t4), 400s);
}

TEST(RuntimeModel, ScalesFromTheObservedTypeNearestInSpeed) {
  const TestCatalog c;
  RuntimeModel model(&c.catalog);
  model.ObserveEpoch(kKey, c.t4, 400s);           // A10 is 1.8x a T4 ...
  model.ObserveEpoch(kKey, c.a100, 80s);          // ... and 1/2.2 of an A100
  EXPECT_EQ(model.EpochTime(kKey, c.a10), 223s);  // 400 / 1.8 = 222.2
}

TEST(RuntimeModel, KeepsKeysApart) {
  const TestCatalog c;
  RuntimeModel model(&c.catalog);
  model.ObserveEpoch(kKey, c.t4, 400s);
  model.ObserveEpoch("yolov8s/detect/b16/i640/amp", c.a100, 10s);
  EXPECT_EQ(model.EpochTime(kKey, c.a100), 100s);
  EXPECT_EQ(model.EpochTime("yolov8x/detect/b32/i640/amp", c.t4), std::nullopt);
}

// --- PredictTotal ---------------------------------------------------------------

TEST(RuntimePredictTotal, EpochBasedJobUsesTheUsersEpochEstimateScaled) {
  const TestCatalog c;
  const Job job = JobBuilder().Epochs(50, 20).EpochT4(100s).Build();
  EXPECT_EQ(PredictTotal(job, c.t4, c.catalog, nullptr), 5000s);
  EXPECT_EQ(PredictTotal(job, c.a100, c.catalog, nullptr), 1250s);
}

TEST(RuntimePredictTotal, LearnedEpochTimeWinsOverTheUsersEstimate) {
  const TestCatalog c;
  RuntimeModel model(&c.catalog);
  model.ObserveEpoch(kKey, c.t4, 60s);
  const Job job = JobBuilder().Epochs(50).EpochT4(100s).Key(kKey).Build();
  EXPECT_EQ(PredictTotal(job, c.t4, c.catalog, &model), 3000s);
  EXPECT_EQ(PredictTotal(job, c.a100, c.catalog, &model), 750s);
  // Without a model key the learned times do not apply.
  const Job unkeyed = JobBuilder().Epochs(50).EpochT4(100s).Build();
  EXPECT_EQ(PredictTotal(unkeyed, c.t4, c.catalog, &model), 5000s);
}

TEST(RuntimePredictTotal, NonEpochJobUsesItsDurationScaled) {
  const TestCatalog c;
  const Job job = JobBuilder().DurationT4(3600s, 1000s).Build();
  EXPECT_EQ(PredictTotal(job, c.l4, c.catalog, nullptr), 1800s);
}

TEST(RuntimePredictTotal, IsZeroWhenNothingIsKnown) {
  const TestCatalog c;
  EXPECT_EQ(PredictTotal(JobBuilder().Build(), c.t4, c.catalog, nullptr), 0s);
  // An epoch-based job needs an epoch time; a whole-run figure is not used.
  EXPECT_EQ(
      PredictTotal(JobBuilder().Epochs(10).DurationT4(100s).Build(), c.t4, c.catalog, nullptr), 0s);
}

// --- PredictRemaining ------------------------------------------------------------

TEST(RuntimePredictRemaining, PendingJobNeedsItsEpochsLeft) {
  const TestCatalog c;
  const Job job = JobBuilder().Epochs(50, 10).EpochT4(100s).Build();
  EXPECT_EQ(PredictRemaining(job, c.t4, AtSecond(5000), c.catalog, nullptr), 4000s);
  EXPECT_EQ(PredictRemaining(job, c.a100, AtSecond(5000), c.catalog, nullptr), 1000s);
}

TEST(RuntimePredictRemaining, PendingJobGetsNoCreditForAnEarlierRun) {
  const TestCatalog c;
  Job job =
      JobBuilder().Epochs(50, 10).EpochT4(100s).Running(AtSecond(1000), AtSecond(1050)).Build();
  job.phase = JobPhase::kPending;  // preempted and requeued
  EXPECT_EQ(PredictRemaining(job, c.t4, AtSecond(1080), c.catalog, nullptr), 4000s);
}

TEST(RuntimePredictRemaining, RunningJobIsCreditedTimeSinceTheNewestCheckpoint) {
  const TestCatalog c;
  const Job job =
      JobBuilder().Epochs(50, 10).EpochT4(100s).Running(AtSecond(1000), AtSecond(1500)).Build();
  EXPECT_EQ(PredictRemaining(job, c.t4, AtSecond(1530), c.catalog, nullptr), 3970s);
}

TEST(RuntimePredictRemaining, CreditStartsAtTheRunStartWhenTheCheckpointIsOlder) {
  const TestCatalog c;
  const Job job =
      JobBuilder().Epochs(50, 10).EpochT4(100s).Running(AtSecond(1000), AtSecond(400)).Build();
  EXPECT_EQ(PredictRemaining(job, c.t4, AtSecond(1040), c.catalog, nullptr), 3960s);
}

TEST(RuntimePredictRemaining, CreditIsCappedAtOneEpoch) {
  const TestCatalog c;
  const Job job = JobBuilder().Epochs(50, 10).EpochT4(100s).Running(AtSecond(1000)).Build();
  EXPECT_EQ(PredictRemaining(job, c.t4, AtSecond(1000 + 250), c.catalog, nullptr), 3900s);
}

TEST(RuntimePredictRemaining, NeverGrowsWhileAJobRunsWithoutNewReports) {
  const TestCatalog c;
  for (const Job& job : {JobBuilder().Epochs(5, 3).EpochT4(100s).Running(AtSecond(0)).Build(),
                         JobBuilder().DurationT4(300s, 100s).Running(AtSecond(0)).Build()}) {
    Duration previous = Duration::max();
    for (int t = 0; t <= 400; t += 7) {
      const Duration remaining = PredictRemaining(job, c.t4, AtSecond(t), c.catalog, nullptr);
      EXPECT_LE(remaining, previous) << "t=" << t;
      EXPECT_GE(remaining, 0s) << "t=" << t;
      previous = remaining;
    }
  }
}

TEST(RuntimePredictRemaining, RunningJobPastItsPredictionFinishesNow) {
  const TestCatalog c;
  const Job last_epoch = JobBuilder().Epochs(10, 10).EpochT4(100s).Running(AtSecond(0)).Build();
  EXPECT_EQ(PredictRemaining(last_epoch, c.t4, AtSecond(50), c.catalog, nullptr), 0s);
  const Job overdue = JobBuilder().DurationT4(100s).Running(AtSecond(0)).Build();
  EXPECT_EQ(PredictRemaining(overdue, c.t4, AtSecond(500), c.catalog, nullptr), 0s);
}

TEST(RuntimePredictRemaining, PreemptingJobStillCountsAsRunning) {
  const TestCatalog c;
  const Job job = JobBuilder()
                      .Epochs(5, 0)
                      .EpochT4(100s)
                      .Running(AtSecond(0))
                      .Phase(JobPhase::kPreempting)
                      .Build();
  EXPECT_EQ(PredictRemaining(job, c.t4, AtSecond(30), c.catalog, nullptr), 470s);
}

TEST(RuntimePredictRemaining, StartInTheFutureIsNotYetRunning) {
  const TestCatalog c;
  const Job job = JobBuilder().Epochs(5, 0).EpochT4(100s).Running(AtSecond(100)).Build();
  EXPECT_EQ(PredictRemaining(job, c.t4, AtSecond(30), c.catalog, nullptr), 500s);
}

TEST(RuntimePredictRemaining, NonEpochJobSubtractsEarlierWorkAndTheCurrentRun) {
  const TestCatalog c;
  const Job pending = JobBuilder().DurationT4(1000s, 200s).Build();
  EXPECT_EQ(PredictRemaining(pending, c.a100, AtSecond(0), c.catalog, nullptr), 200s);
  const Job running = JobBuilder().DurationT4(1000s, 200s).Running(AtSecond(100)).Build();
  EXPECT_EQ(PredictRemaining(running, c.a100, AtSecond(150), c.catalog, nullptr), 150s);
}

TEST(RuntimePredictRemaining, UsesLearnedEpochTimes) {
  const TestCatalog c;
  RuntimeModel model(&c.catalog);
  model.ObserveEpoch(kKey, c.t4, 80s);
  const Job job = JobBuilder().Epochs(20, 15).EpochT4(100s).Key(kKey).Build();
  EXPECT_EQ(PredictRemaining(job, c.t4, AtSecond(0), c.catalog, &model), 400s);
  EXPECT_EQ(PredictRemaining(job, c.l4, AtSecond(0), c.catalog, &model), 200s);
}

TEST(RuntimePredictRemaining, IsUnknownWhenNothingIsKnown) {
  const TestCatalog c;
  EXPECT_EQ(PredictRemaining(JobBuilder().Build(), c.t4, AtSecond(0), c.catalog, nullptr),
            kUnknownRuntime);
  EXPECT_EQ(PredictRemaining(JobBuilder().Epochs(10).Key(kKey).Build(), c.t4, AtSecond(0),
                             c.catalog, nullptr),
            kUnknownRuntime);
}

}  // namespace
}  // namespace gpusched
