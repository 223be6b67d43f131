// The progress trail of jobs (epochs done over time, per run) as agents
// report it, for the dashboard's progress chart. Kept in memory only: a
// server restart forgets it, and nothing here is ever written to the store
// (docs/control-plane.md, Progress trail). The job's durable progress
// (epochs done, checkpoint) lives in its record, not here.
//
// Design: per job, a list of points {time, epoch, run} in the order they
// were added, which is time order (a point timed before the job's last
// point is moved up to that time). A run is an assignment id. A run's first
// point is always taken; a later point of the run is ignored unless its
// epoch is greater than the run's last point's (reports resent after an
// agent restart).
//
// Bounds:
//   - per job at most `points_per_job` points. When a point makes one more,
//     the job's list is thinned: every other point of its older half goes,
//     never a run's first or last point, so that the chart still spans the
//     job's whole life with less detail in its past. When the older half
//     holds nothing to drop, the whole list is thinned the same way (a lone
//     point that may go goes); when even that drops nothing (many runs of
//     one or two points), the oldest run is forgotten whole, and later
//     points of it, or of any run with a smaller id, are ignored (run ids
//     grow: an older run never reports again);
//   - at most `jobs` jobs: beyond it, the least recently written job is
//     forgotten (a point that is ignored does not count as a write).
//
// Thread safety: every method may be called from any thread (one mutex).
// No I/O, no clock: times come in as arguments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <vector>

#include "gpusched/types.h"

namespace gpusched::server {

// The bounds (see above); the defaults are the server's.
struct ProgressLimits {
  std::size_t points_per_job = 256;
  std::size_t jobs = 20'000;
};

// One point of a job's trail.
struct ProgressPoint {
  std::int64_t time_s = 0;  // unix seconds, as the server's clock gave it
  int epoch = 0;            // epochs done at that time
  std::uint64_t run = 0;    // the assignment id of the run that reported it

  bool operator==(const ProgressPoint&) const = default;
};

class ProgressStore {
 public:
  // REQUIRES: points_per_job >= 2 (a run's first and last point) and
  // jobs >= 1.
  explicit ProgressStore(ProgressLimits limits = {});

  // Adds the point (time_s, epoch) of run `run` of job `job`: taken when it
  // is the run's first point or its epoch is greater than the run's last
  // point's, else ignored; ignored as well for a run whose id is not above
  // that of a run the job forgot (see the bounds above). A time before the
  // job's last point's is taken as that point's time. May thin the job's
  // points or forget another job.
  void Add(JobId job, std::uint64_t run, std::int64_t time_s, int epoch);

  // The job's points, oldest first; empty for a job without any (never
  // reported, or forgotten).
  std::vector<ProgressPoint> Read(JobId job) const;

  // The number of jobs held.
  std::size_t jobs() const;

 private:
  struct Job {
    std::vector<ProgressPoint> points;        // time order
    std::map<std::uint64_t, int> last_epoch;  // per run held: its last point's epoch
    std::uint64_t forgotten = 0;              // the newest run forgotten (0: none)
    std::list<JobId>::iterator lru;           // its place in lru_
  };

  // Brings `job` within points_per_job. mu_ held.
  void Thin(Job& job) const;
  // Drops every other point (the second, the fourth, ...; a lone one too)
  // among points[0, end) that are not a run's first or last point; returns
  // how many went.
  static std::size_t DropEveryOther(Job& job, std::size_t end);
  // Forgets the run of the job's oldest point, all its points.
  static void ForgetOldestRun(Job& job);

  const ProgressLimits limits_;
  mutable std::mutex mu_;
  std::map<JobId, Job> jobs_;
  std::list<JobId> lru_;  // least recently written first
};

}  // namespace gpusched::server
