// The simulator's model of one training run in virtual time: epochs at the
// speed of the GPU type the job runs on, a checkpoint every `save_period`
// epochs (and at the end), and what a stop costs. Pure arithmetic; the event
// loop owns the clock.
//
// A run starts from a checkpoint (epoch `start_epoch`, 0 for a fresh job)
// after its restart overhead and trains for `elapsed_s` seconds. Epoch k
// (1-based, absolute) ends at (k - start_epoch) * epoch_s; the newest
// checkpoint is the last multiple of save_period reached (the final epoch
// always checkpoints). Stopping loses the training since that checkpoint.
// A job without epochs (a fixed duration) is one epoch long: it never
// checkpoints before it finishes, so a stop loses all of its run.
#pragma once

#include <cstdint>

#include "gpusched/gpu_catalog.h"

namespace gpusched::sim {

struct RunModel {
  int epochs_total = 1;  // >= 1
  double epoch_s = 0;    // one epoch on the GPU type it runs on, > 0
  int save_period = 1;   // >= 1
};

// The model of a job with `epochs` epochs of `t4_epoch_s` (or, when epochs
// is 0, one epoch of `t4_duration_s`) on GPU type `type`.
// REQUIRES: epochs >= 0, save_period >= 1, the T4 time positive.
RunModel ModelOn(int epochs, double t4_epoch_s, double t4_duration_s, int save_period,
                 const GpuType& type);

struct RunState {
  int epochs_done = 0;       // absolute, including those before start_epoch
  int checkpoint_epoch = 0;  // newest checkpoint, >= start_epoch
  bool finished = false;
};

// Where a run from `start_epoch` stands after `elapsed_s` seconds of training.
// REQUIRES: 0 <= start_epoch <= m.epochs_total, elapsed_s >= 0.
RunState StateAfter(const RunModel& m, int start_epoch, double elapsed_s);

// Seconds of training a run from `start_epoch` needs to finish.
double SecondsToFinish(const RunModel& m, int start_epoch);

// Seconds of training (per GPU) lost if the run stops after `elapsed_s`:
// everything since its newest checkpoint. Zero once finished.
double SecondsLostIfStopped(const RunModel& m, int start_epoch, double elapsed_s);

}  // namespace gpusched::sim
