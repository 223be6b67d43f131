// Reading a run folder as a specification: results.csv in every version's
// shape, the files of a run folder, and the events a tracker draws from
// successive looks at them (including a resumed run whose folder still
// holds the lost run's rows).
#include "agent/run_progress.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/agent_testing.h"

namespace gpusched::agent {
namespace {

using testing::TempFolder;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ---- results.csv ------------------------------------------------------------

ResultsCsv ParseOk(std::string_view text) {
  Result<ResultsCsv> csv = ParseResultsCsv(text);
  EXPECT_TRUE(csv.has_value()) << csv.error().message << "\nin:\n" << text;
  return csv ? *csv : ResultsCsv{};
}

std::string ErrorOf(std::string_view text) {
  Result<ResultsCsv> csv = ParseResultsCsv(text);
  EXPECT_FALSE(csv.has_value()) << "accepted:\n" << text;
  if (csv) return "";
  EXPECT_EQ(csv.error().code, ErrorCode::kInvalidArgument);
  return csv.error().message;
}

TEST(ResultsCsv, EmptyFileHasNoRows) {
  const ResultsCsv csv = ParseOk("");
  EXPECT_EQ(csv.rows, 0);
  EXPECT_EQ(csv.last_epoch, 0);
  EXPECT_FALSE(csv.last_time_s);
}

TEST(ResultsCsv, HeaderOnlyHasNoRows) {
  EXPECT_EQ(ParseOk("epoch,time,train/box_loss,metrics/mAP50(B)\n").rows, 0);
}

TEST(ResultsCsv, NewerVersionsHaveCumulativeTimeAfterEpoch) {
  const ResultsCsv csv = ParseOk(
      "epoch,time,train/box_loss,metrics/mAP50(B)\n"
      "1,61.2,1.52,0.31\n"
      "2,120.9,1.31,0.44\n");
  EXPECT_EQ(csv.rows, 2);
  EXPECT_EQ(csv.last_epoch, 2);
  EXPECT_EQ(csv.last_time_s, 120.9);
}

TEST(ResultsCsv, OlderVersionsPadFieldsAndHaveNoTime) {
  const ResultsCsv csv = ParseOk(
      "                  epoch,         train/box_loss,       metrics/mAP50(B)\n"
      "                      1,                 1.5203,                0.31042\n"
      "                      2,                 1.3121,                0.44210\n"
      "                      3,                 1.2010,                0.51002\n");
  EXPECT_EQ(csv.rows, 3);
  EXPECT_EQ(csv.last_epoch, 3);
  EXPECT_FALSE(csv.last_time_s);
}

TEST(ResultsCsv, PaddedTimeColumnIsTrimmedToo) {
  EXPECT_EQ(ParseOk("  epoch,   time, loss\n      7,  42.5,  1.0\n").last_time_s, 42.5);
}

TEST(ResultsCsv, TrailingLineWithoutNewlineIsStillBeingWritten) {
  const ResultsCsv csv = ParseOk("epoch,time\n1,10.0\n2,2");
  EXPECT_EQ(csv.rows, 1);
  EXPECT_EQ(csv.last_epoch, 1);
  EXPECT_EQ(csv.last_time_s, 10.0);
  EXPECT_EQ(ParseOk("epo").rows, 0);  // even a header being written
}

TEST(ResultsCsv, WindowsLineEndsAndBlankLinesAreAccepted) {
  const ResultsCsv csv = ParseOk("epoch,time\r\n\r\n1,10\r\n\n2,20\r\n");
  EXPECT_EQ(csv.rows, 2);
  EXPECT_EQ(csv.last_epoch, 2);
  EXPECT_EQ(csv.last_time_s, 20.0);
}

TEST(ResultsCsv, LastEpochIsTheLastRowNotTheLargest) {
  // A resumed run appends its rows after those of the run it resumed.
  const ResultsCsv csv = ParseOk("epoch,time\n1,1\n2,2\n3,3\n2,4\n");
  EXPECT_EQ(csv.rows, 4);
  EXPECT_EQ(csv.last_epoch, 2);
  EXPECT_EQ(csv.last_time_s, 4.0);
}

TEST(ResultsCsv, EpochWrittenAsFloatIsAccepted) {
  EXPECT_EQ(ParseOk("epoch,loss\n4.0,1\n").last_epoch, 4);
}

TEST(ResultsCsv, EmptyTimeFieldMeansThatRowHasNoTime) {
  EXPECT_FALSE(ParseOk("epoch,time,loss\n1,10,1\n2,,1\n").last_time_s);
  EXPECT_FALSE(ParseOk("epoch,time\n1\n").last_time_s);
}

TEST(ResultsCsv, FirstColumnMustBeEpoch) {
  EXPECT_EQ(ErrorOf("time,epoch\n1,1\n"),
            "results.csv line 1: first column must be \"epoch\", got \"time\"");
  EXPECT_THAT(ErrorOf("\n\n  loss , x\n"), HasSubstr("line 3: first column must be \"epoch\""));
}

TEST(ResultsCsv, NonNumericEpochNamesTheLine) {
  EXPECT_EQ(ErrorOf("epoch,time\n1,1\nx,2\n"),
            "results.csv line 3: epoch must be a whole number from 0 to 1000000, got \"x\"");
  EXPECT_THAT(ErrorOf("epoch\n1.5\n"), HasSubstr("line 2: epoch must be a whole number"));
  EXPECT_THAT(ErrorOf("epoch\n-1\n"), HasSubstr("got \"-1\""));
  EXPECT_THAT(ErrorOf("epoch\n,1\n"), HasSubstr("got \"\""));
}

TEST(ResultsCsv, NonNumericTimeNamesTheLine) {
  EXPECT_EQ(ErrorOf("epoch,time\n1,soon\n"),
            "results.csv line 2: time must be a number, got \"soon\"");
}

// ---- the files of a run folder --------------------------------------------

TEST(RunFiles, MissingFolderReadsAsNothingYet) {
  const RunFiles files = ReadRunFiles("/nonexistent/gpusched/run");
  EXPECT_EQ(files.last_epoch, 0);
  EXPECT_FALSE(files.last_time_s);
  EXPECT_FALSE(files.has_last_pt);
  EXPECT_EQ(files.last_pt_mtime_ns, 0);
  EXPECT_EQ(files.last_pt_size, 0);
}

TEST(RunFiles, ReadsResultsAndStatsLastPt) {
  TempFolder run;
  run.Write("results.csv", "epoch,time\n1,10.5\n2,21\n3,3");
  run.Write("weights/last.pt", "0123456789");
  const RunFiles files = ReadRunFiles(run.path());
  EXPECT_EQ(files.last_epoch, 2);
  EXPECT_EQ(files.last_time_s, 21.0);
  EXPECT_TRUE(files.has_last_pt);
  EXPECT_EQ(files.last_pt_size, 10);
  EXPECT_GT(files.last_pt_mtime_ns, 0);
}

TEST(RunFiles, ResultsWithoutLastPt) {
  TempFolder run;
  run.Write("results.csv", "epoch\n1\n");
  const RunFiles files = ReadRunFiles(run.path());
  EXPECT_EQ(files.last_epoch, 1);
  EXPECT_FALSE(files.has_last_pt);
}

TEST(RunFiles, ResultsThatDoNotParseReadAsNoRows) {
  TempFolder run;
  run.Write("results.csv", "not,a,results,file\n1,2,3,4\n");
  EXPECT_EQ(ReadRunFiles(run.path()).last_epoch, 0);
}

TEST(RunFiles, AFolderNamedLastPtIsNotACheckpoint) {
  TempFolder run;
  std::filesystem::create_directories(run.path() + "/weights/last.pt");
  EXPECT_FALSE(ReadRunFiles(run.path()).has_last_pt);
}

// ---- the tracker ------------------------------------------------------------

// RunFiles as a test states them: Look().Epoch(3).LastPt(2).
class Look {
 public:
  Look& Epoch(int epoch) {
    files_.last_epoch = epoch;
    return *this;
  }
  // A last.pt whose content version is `version` (mtime and size follow it).
  Look& LastPt(int version) {
    files_.has_last_pt = true;
    files_.last_pt_mtime_ns = 1'700'000'000'000'000'000 + version;
    files_.last_pt_size = 1000;
    return *this;
  }
  Look& Size(std::int64_t size) {
    files_.last_pt_size = size;
    return *this;
  }
  operator RunFiles() const { return files_; }  // NOLINT: a builder

 private:
  RunFiles files_;
};

TEST(ProgressTracker, NothingYetIsNoEvent) {
  ProgressTracker tracker(0);
  EXPECT_TRUE(tracker.Observe(Look()).empty());
  EXPECT_EQ(tracker.highest_epoch(), 0);
}

TEST(ProgressTracker, EachFinishedEpochIsReportedOnce) {
  ProgressTracker tracker(0);
  EXPECT_THAT(tracker.Observe(Look().Epoch(1)).epochs, ElementsAre(1));
  EXPECT_THAT(tracker.Observe(Look().Epoch(1)).epochs, IsEmpty());
  EXPECT_THAT(tracker.Observe(Look().Epoch(2)).epochs, ElementsAre(2));
  EXPECT_EQ(tracker.highest_epoch(), 2);
}

TEST(ProgressTracker, EpochsFinishedBetweenLooksAreReportedTogetherInOrder) {
  ProgressTracker tracker(0);
  EXPECT_THAT(tracker.Observe(Look().Epoch(3)).epochs, ElementsAre(1, 2, 3));
}

TEST(ProgressTracker, NewLastPtHoldsTheEpochOfTheLastRow) {
  ProgressTracker tracker(0);
  tracker.Observe(Look().Epoch(1));
  const ProgressTracker::Events events = tracker.Observe(Look().Epoch(2).LastPt(1));
  EXPECT_THAT(events.epochs, ElementsAre(2));
  EXPECT_EQ(events.checkpoint, 2);
}

TEST(ProgressTracker, UnchangedLastPtIsNotANewCheckpoint) {
  ProgressTracker tracker(0);
  EXPECT_EQ(tracker.Observe(Look().Epoch(2).LastPt(1)).checkpoint, 2);
  EXPECT_FALSE(tracker.Observe(Look().Epoch(3).LastPt(1)).checkpoint);
}

TEST(ProgressTracker, ChangedMtimeOrSizeIsANewCheckpoint) {
  ProgressTracker tracker(0);
  tracker.Observe(Look().Epoch(2).LastPt(1));
  EXPECT_EQ(tracker.Observe(Look().Epoch(4).LastPt(2)).checkpoint, 4);
  EXPECT_EQ(tracker.Observe(Look().Epoch(6).LastPt(2).Size(1001)).checkpoint, 6);
}

TEST(ProgressTracker, LastPtWithoutAnyRowCannotBePlaced) {
  ProgressTracker tracker(0);
  EXPECT_TRUE(tracker.Observe(Look().LastPt(1)).empty());
  // Seen: it does not become a checkpoint when the row shows up later.
  EXPECT_FALSE(tracker.Observe(Look().Epoch(1).LastPt(1)).checkpoint);
}

TEST(ProgressTracker, LastPtThatReappearsIsANewCheckpoint) {
  ProgressTracker tracker(0);
  tracker.Observe(Look().Epoch(1).LastPt(1));
  EXPECT_TRUE(tracker.Observe(Look().Epoch(1)).empty());
  EXPECT_EQ(tracker.Observe(Look().Epoch(1).LastPt(1)).checkpoint, 1);
}

TEST(ProgressTracker, FreshRunCountsALastPtFoundAtTheFirstLook) {
  ProgressTracker tracker(0);
  EXPECT_EQ(tracker.Observe(Look().Epoch(1).LastPt(1)).checkpoint, 1);
}

TEST(ProgressTracker, ResumedRunDoesNotCountTheLastPtItStartedFrom) {
  ProgressTracker tracker(5);
  const ProgressTracker::Events first = tracker.Observe(Look().Epoch(5).LastPt(1));
  EXPECT_TRUE(first.empty());
  const ProgressTracker::Events next = tracker.Observe(Look().Epoch(6).LastPt(2));
  EXPECT_THAT(next.epochs, ElementsAre(6));
  EXPECT_EQ(next.checkpoint, 6);
}

TEST(ProgressTracker, ResumedRunReportsOnlyEpochsAfterTheResumeEpoch) {
  ProgressTracker tracker(4);
  EXPECT_EQ(tracker.highest_epoch(), 4);
  EXPECT_THAT(tracker.Observe(Look().Epoch(4).LastPt(1)).epochs, IsEmpty());
  EXPECT_THAT(tracker.Observe(Look().Epoch(7).LastPt(1)).epochs, ElementsAre(5, 6, 7));
}

TEST(ProgressTracker, ResumedRunDoesNotReportTheLostRunsEpochsTwice) {
  // The lost run finished epochs 11 and 12 after its last checkpoint (10);
  // the resumed run appends 11, 12, 13 after them.
  ProgressTracker tracker(10);
  EXPECT_THAT(tracker.Observe(Look().Epoch(12).LastPt(1)).epochs, ElementsAre(11, 12));
  const ProgressTracker::Events again = tracker.Observe(Look().Epoch(11).LastPt(2));
  EXPECT_THAT(again.epochs, IsEmpty());
  EXPECT_EQ(again.checkpoint, 11);  // the new last.pt holds the resumed run's epoch 11
  EXPECT_THAT(tracker.Observe(Look().Epoch(12).LastPt(2)).epochs, IsEmpty());
  EXPECT_THAT(tracker.Observe(Look().Epoch(13).LastPt(2)).epochs, ElementsAre(13));
}

TEST(ProgressTracker, LastPtSavedBeforeTheLastRowHoldsAnEarlierEpoch) {
  ProgressTracker tracker(0);
  // The previous look saw row 4 and the last.pt of 4; since then row 5, the
  // last.pt of 5 and row 6 were written.
  RunFiles files = Look().Epoch(4).LastPt(1);
  files.last_pt_mtime_ns = 1000;
  files.results_mtime_ns = 900;
  EXPECT_EQ(tracker.Observe(files).checkpoint, 4);
  files = Look().Epoch(6).LastPt(2);
  files.last_pt_mtime_ns = 2000;
  files.results_mtime_ns = 3000;
  const ProgressTracker::Events events = tracker.Observe(files);
  EXPECT_THAT(events.epochs, ElementsAre(5, 6));
  EXPECT_EQ(events.checkpoint, 5);
}

TEST(ProgressTracker, LastPtSavedAfterTheLastRowHoldsItsEpoch) {
  ProgressTracker tracker(0);
  RunFiles files = Look().Epoch(3).LastPt(1);
  files.last_pt_mtime_ns = 2000;
  files.results_mtime_ns = 2000;  // the same tick counts as after
  EXPECT_EQ(tracker.Observe(files).checkpoint, 3);
}

TEST(ProgressTracker, SparseLooksReportALowerBoundNeverALaterEpoch) {
  // Looked at row 2; since then rows 3-7 and saves at 3 and 6: the last.pt
  // holds 6, but all the tracker can prove is that it holds at least 2.
  ProgressTracker tracker(0);
  tracker.Observe(Look().Epoch(2));
  RunFiles files = Look().Epoch(7).LastPt(1);
  files.last_pt_mtime_ns = 1000;
  files.results_mtime_ns = 2000;
  const std::optional<int> checkpoint = tracker.Observe(files).checkpoint;
  ASSERT_TRUE(checkpoint);
  EXPECT_GE(*checkpoint, 2);
  EXPECT_LE(*checkpoint, 6);
}

TEST(ProgressTracker, ResumedRunPlacesAnEarlySaveAfterTheResumeEpoch) {
  // Resumed from 10 with the lost run's rows up to 12; the resumed run then
  // wrote rows 11 and 12 and saved 11 between them.
  ProgressTracker tracker(10);
  tracker.Observe(Look().Epoch(12).LastPt(1));
  RunFiles files = Look().Epoch(12).LastPt(2);
  files.last_pt_mtime_ns = 1000;
  files.results_mtime_ns = 2000;
  EXPECT_EQ(tracker.Observe(files).checkpoint, 11);
}

// ---- randomized: a simulated trainer watched at random moments --------------

// A trainer as Ultralytics behaves on disk: per epoch a results.csv row,
// then (every `period` epochs and at the last) a new last.pt, each write
// one tick of a clock. The watcher looks at random moments (always right
// after starting and once at the end). The model of what it must see:
// every epoch after the resume point exactly once and in order;
// checkpoints increasing, never above the epoch the last.pt holds, exactly
// that epoch when nothing was written after the save, and the final save
// last.
struct SimulatedRun {
  RunFiles files;
  std::int64_t clock = 1'000;
  int held = 0;  // the epoch the current last.pt holds
  bool row_after_save = false;

  void Row(int epoch) {
    files.last_epoch = epoch;
    files.results_mtime_ns = ++clock;
    row_after_save = true;
  }
  void Save() {
    held = files.last_epoch;
    files.has_last_pt = true;
    files.last_pt_mtime_ns = ++clock;
    files.last_pt_size = 1000 + clock % 3;
    row_after_save = false;
  }
};

TEST(ProgressTracker, RandomizedRunsAgreeWithTheModel) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  auto chance = [&](double p) { return std::bernoulli_distribution(p)(rng); };
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };

  for (int trial = 0; trial < 500; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const int epochs = uniform(1, 30);
    const int period = uniform(1, 6);
    const double look_p = std::uniform_real_distribution<double>(0.05, 1.0)(rng);
    const bool resumed = chance(0.5) && epochs - 1 >= period;
    SimulatedRun run;
    int saved = 0;  // the epoch of the last.pt the watched run starts from
    if (resumed) {  // a lost run saved at `saved`, then wrote rows up to `lost`
      saved = period * uniform(1, (epochs - 1) / period);
      const int lost = uniform(saved, std::min(epochs - 1, saved + period - 1));
      for (int e = 1; e <= lost; ++e) {
        run.Row(e);
        if (e % period == 0) run.Save();
      }
    }
    ProgressTracker tracker(saved);
    std::vector<int> epochs_seen, checkpoints_seen;
    auto look = [&] {
      const ProgressTracker::Events events = tracker.Observe(run.files);
      epochs_seen.insert(epochs_seen.end(), events.epochs.begin(), events.epochs.end());
      if (!events.checkpoint) return;
      ASSERT_LE(*events.checkpoint, run.held);
      if (!run.row_after_save) {
        ASSERT_EQ(*events.checkpoint, run.held);
      }
      if (!checkpoints_seen.empty()) {
        ASSERT_GT(*events.checkpoint, checkpoints_seen.back());
      }
      checkpoints_seen.push_back(*events.checkpoint);
    };
    look();  // the agent looks right after starting the trainer
    for (int e = saved + 1; e <= epochs; ++e) {
      run.Row(e);
      if (chance(look_p)) look();
      if (e % period == 0 || e == epochs) run.Save();
      if (chance(look_p)) look();
    }
    look();

    std::vector<int> expected_epochs;
    for (int e = saved + 1; e <= epochs; ++e) expected_epochs.push_back(e);
    ASSERT_EQ(epochs_seen, expected_epochs);
    ASSERT_FALSE(checkpoints_seen.empty());
    ASSERT_EQ(checkpoints_seen.back(), epochs);
  }
}

}  // namespace
}  // namespace gpusched::agent
