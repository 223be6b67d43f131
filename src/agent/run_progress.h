// Progress of an Ultralytics-style training run, read from its run folder
// ({project}/{name}/results.csv and weights/last.pt), and the tracker that
// turns successive readings into "epoch finished" and "checkpoint saved"
// events for the agent's reports.
//
// ParseResultsCsv and ProgressTracker are pure; ReadRunFiles reads files.
// None of them is thread-safe on one object; distinct objects are independent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gpusched/status.h"

namespace gpusched::agent {

// What results.csv says so far.
struct ResultsCsv {
  int rows = 0;        // finished-epoch rows (header excluded)
  int last_epoch = 0;  // the `epoch` of the LAST row (not the largest); 0: no rows
  // The `time` column (cumulative seconds) of the last row, when the file
  // has that column (newer Ultralytics versions) and the row fills it.
  std::optional<double> last_time_s;
};

// Parses the text of a results.csv. One row per finished epoch; the first
// column is `epoch` (1-based), optionally followed by `time`; other columns
// are ignored. Every field is trimmed of spaces and tabs (older versions pad
// them), a '\r' line end is accepted, blank lines are skipped. A trailing
// line with no '\n' yet (the trainer is writing it) is ignored. An empty
// text or a header alone gives rows == 0.
//
// Errors (kInvalidArgument) name the 1-based line and what is wrong:
//   `results.csv line 1: first column must be "epoch", got "loss"`
//   `results.csv line 4: epoch must be a whole number from 0 to 1000000, got "x"`
//   `results.csv line 4: time must be a number, got "abc"`
// An empty `time` field is not an error (that row has no time).
Result<ResultsCsv> ParseResultsCsv(std::string_view text);

// One look at a run folder.
struct RunFiles {
  int last_epoch = 0;                 // ResultsCsv::last_epoch
  std::optional<double> last_time_s;  // ResultsCsv::last_time_s
  bool has_last_pt = false;           // weights/last.pt exists (a regular file)
  std::int64_t last_pt_mtime_ns = 0;  // its modification time, ns since the epoch
  std::int64_t last_pt_size = 0;      // its size in bytes
  // results.csv's modification time (when its last row was written), ns
  // since the epoch; 0 when unknown. Lets the tracker tell a last.pt saved
  // after the last row from one saved before it.
  std::int64_t results_mtime_ns = 0;
};

// Reads {run_folder}/results.csv and stats {run_folder}/weights/last.pt.
// Never fails: a missing or unreadable file, or a results.csv that does not
// parse, reads as zeros / nullopt / false for its fields.
RunFiles ReadRunFiles(const std::string& run_folder);

// Turns successive RunFiles of one run into events.
//
// Rules:
//  * Epochs: each epoch in (highest reported so far, now.last_epoch] is
//    reported once, in increasing order; the highest starts at resume_epoch.
//    On resume, results.csv still holds the lost run's rows (the resumed run
//    appends its own after them, starting again at resume_epoch + 1), so a
//    last row at or below the highest already reported is ignored. Rows the
//    lost run finished beyond resume_epoch are reported when first seen:
//    they were finished, and the resumed run repeats them.
//  * Checkpoints: weights/last.pt counts as newly saved when it appears or
//    its mtime or size differs from the previous observation. Ultralytics
//    writes an epoch's results.csv row before its last.pt, so a last.pt not
//    older than results.csv holds the epoch of the last row. One older than
//    results.csv (rows were appended after it was saved, between two looks)
//    holds an earlier epoch, of which only bounds are known: at most the
//    last row - 1, at least the last row of the previous look and above the
//    previous checkpoint; the tracker reports that lower bound, never an
//    epoch the file may not hold yet. (With results_mtime_ns == 0, unknown,
//    the last row is taken.) When resume_epoch > 0, a last.pt present at the
//    first observation is the one resumed from, not a new checkpoint; look
//    right after starting the trainer. A change that cannot be placed at an
//    epoch >= 1 (no row yet) is not reported.
//
// Exactness: epochs are exact whenever looked for; a checkpoint is exact
// when the tracker looks at least once per epoch (or the trainer saves
// every epoch and the look does not fall between a row and its save).
// Timestamps are the filesystem's (coarse, a few ms): when the next epoch's
// row lands in the same tick as a last.pt (epochs of a few ms), that last.pt
// is taken to hold the next epoch.
//
// REQUIRES: resume_epoch >= 0.
class ProgressTracker {
 public:
  explicit ProgressTracker(int resume_epoch);

  struct Events {
    std::vector<int> epochs;  // newly finished epochs, increasing, > resume_epoch
    // The epoch the new last.pt holds (a lower bound when it was saved
    // before the last row; see above).
    std::optional<int> checkpoint;

    bool empty() const { return epochs.empty() && !checkpoint; }
  };

  Events Observe(const RunFiles& now);

  // The highest epoch reported so far (resume_epoch before any).
  int highest_epoch() const { return highest_epoch_; }

 private:
  bool LastPtChanged(const RunFiles& now) const;

  int CheckpointEpoch(const RunFiles& now) const;

  bool resume_;
  bool first_ = true;
  int highest_epoch_;
  int prev_last_epoch_ = 0;  // the last row at the previous look
  int checkpoint_epoch_;     // the last checkpoint reported (resume_epoch before any)
  bool had_last_pt_ = false;
  std::int64_t last_pt_mtime_ns_ = 0;
  std::int64_t last_pt_size_ = 0;
};

}  // namespace gpusched::agent
