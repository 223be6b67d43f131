#include "sim/job_model.h"

#include <algorithm>
#include <cmath>

#include "gpusched/status.h"

namespace gpusched::sim {

RunModel ModelOn(int epochs, double t4_epoch_s, double t4_duration_s, int save_period,
                 const GpuType& type) {
  GPUSCHED_CHECK(epochs >= 0 && save_period >= 1, "bad run shape");
  const double speed = static_cast<double>(type.speed_milli) / 1000.0;
  RunModel m;
  if (epochs > 0) {
    GPUSCHED_CHECK(t4_epoch_s > 0, "epoch time must be positive");
    m.epochs_total = epochs;
    m.epoch_s = t4_epoch_s / speed;
    m.save_period = save_period;
  } else {
    GPUSCHED_CHECK(t4_duration_s > 0, "duration must be positive");
    m.epochs_total = 1;
    m.epoch_s = t4_duration_s / speed;
    m.save_period = 1;
  }
  return m;
}

RunState StateAfter(const RunModel& m, int start_epoch, double elapsed_s) {
  GPUSCHED_CHECK(start_epoch >= 0 && start_epoch <= m.epochs_total && elapsed_s >= 0, "bad run state");
  RunState s;
  // A small tolerance so that an epoch ending exactly at elapsed_s counts.
  const double epochs_run = std::floor(elapsed_s / m.epoch_s + 1e-9);
  s.epochs_done = static_cast<int>(std::min<double>(m.epochs_total, start_epoch + epochs_run));
  s.finished = s.epochs_done >= m.epochs_total;
  s.checkpoint_epoch =
      s.finished ? m.epochs_total : std::max(start_epoch, s.epochs_done / m.save_period * m.save_period);
  return s;
}

double SecondsToFinish(const RunModel& m, int start_epoch) {
  return static_cast<double>(m.epochs_total - start_epoch) * m.epoch_s;
}

double SecondsLostIfStopped(const RunModel& m, int start_epoch, double elapsed_s) {
  const RunState s = StateAfter(m, start_epoch, elapsed_s);
  if (s.finished) return 0;
  const double kept = static_cast<double>(s.checkpoint_epoch - start_epoch) * m.epoch_s;
  return std::max(0.0, elapsed_s - kept);
}

}  // namespace gpusched::sim
