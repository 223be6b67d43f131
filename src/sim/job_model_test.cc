// The job model's checkpoint-loss arithmetic.
#include "sim/job_model.h"

#include <gtest/gtest.h>

namespace gpusched::sim {
namespace {

GpuType T4() { return GpuType{"T4", 15360, 1000, {}}; }
GpuType A100() { return GpuType{"A100-80", 81920, 4000, {}}; }

TEST(JobModel, EpochTimeScalesWithTheGpuTypesSpeed) {
  EXPECT_DOUBLE_EQ(ModelOn(10, 100, 0, 1, T4()).epoch_s, 100);
  EXPECT_DOUBLE_EQ(ModelOn(10, 100, 0, 1, A100()).epoch_s, 25);
}

TEST(JobModel, ADurationJobIsOneEpochWithoutEarlierCheckpoints) {
  const RunModel m = ModelOn(0, 0, 3600, 5, T4());
  EXPECT_EQ(m.epochs_total, 1);
  EXPECT_DOUBLE_EQ(m.epoch_s, 3600);
  EXPECT_DOUBLE_EQ(SecondsLostIfStopped(m, 0, 3000), 3000) << "all of the run is lost";
}

TEST(JobModel, CheckpointsFallOnMultiplesOfTheSavePeriod) {
  const RunModel m = ModelOn(50, 100, 0, 5, T4());
  EXPECT_EQ(StateAfter(m, 0, 0).checkpoint_epoch, 0);
  EXPECT_EQ(StateAfter(m, 0, 499).epochs_done, 4);
  EXPECT_EQ(StateAfter(m, 0, 499).checkpoint_epoch, 0);
  EXPECT_EQ(StateAfter(m, 0, 500).checkpoint_epoch, 5);
  EXPECT_EQ(StateAfter(m, 0, 1250).epochs_done, 12);
  EXPECT_EQ(StateAfter(m, 0, 1250).checkpoint_epoch, 10);
}

TEST(JobModel, AStopLosesTheTrainingSinceTheNewestCheckpoint) {
  const RunModel m = ModelOn(50, 100, 0, 5, T4());
  // 12.5 epochs in: checkpoint at epoch 10, so 250 s are lost.
  EXPECT_DOUBLE_EQ(SecondsLostIfStopped(m, 0, 1250), 250);
  // Right at a checkpoint nothing is lost.
  EXPECT_DOUBLE_EQ(SecondsLostIfStopped(m, 0, 1000), 0);
}

TEST(JobModel, AResumedRunCountsFromItsCheckpoint) {
  const RunModel m = ModelOn(50, 100, 0, 5, T4());
  // Resumed at epoch 10; 7 epochs later it is at 17, checkpointed at 15.
  const RunState s = StateAfter(m, 10, 700);
  EXPECT_EQ(s.epochs_done, 17);
  EXPECT_EQ(s.checkpoint_epoch, 15);
  EXPECT_DOUBLE_EQ(SecondsLostIfStopped(m, 10, 700), 200);
  // Just after resuming, the resume point itself is the checkpoint.
  EXPECT_EQ(StateAfter(m, 10, 50).checkpoint_epoch, 10);
  EXPECT_DOUBLE_EQ(SecondsLostIfStopped(m, 10, 50), 50);
}

TEST(JobModel, FinishingCheckpointsTheLastEpochAndLosesNothing) {
  const RunModel m = ModelOn(7, 100, 0, 5, T4());
  EXPECT_DOUBLE_EQ(SecondsToFinish(m, 0), 700);
  EXPECT_DOUBLE_EQ(SecondsToFinish(m, 5), 200);
  const RunState s = StateAfter(m, 5, 200);
  EXPECT_TRUE(s.finished);
  EXPECT_EQ(s.epochs_done, 7);
  EXPECT_EQ(s.checkpoint_epoch, 7);
  EXPECT_DOUBLE_EQ(SecondsLostIfStopped(m, 5, 250), 0);
}

}  // namespace
}  // namespace gpusched::sim
