// The simulator's report: the figures of one policy run (ComputeReport) and
// the three ways they are shown: JSON for scripts (`--json`), a fixed-width
// text table for stdout, and a self-contained HTML page (`--html`).
//
// Definitions used throughout:
//   wait     first_start_s - submit_s; a job that never started is censored
//            at the end of the replay: r.end_s - submit_s (its true wait is
//            at least that), and still counted.
//   JCT      end_s - submit_s, over completed jobs (end_s >= 0) only.
//   pNN      nearest rank: the ceil(NN/100 * n)-th smallest of n values
//            (so p50 of {10, 20, 30, 40} is 20, p95 of 20 values the 19th).
//   makespan max end_s of completed jobs - min submit_s of all jobs; 0 when
//            no job completed.
//
// Everything here is pure (no I/O, no clock) and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/engine.h"

namespace gpusched::sim {

// The waits of the jobs of one class under one policy.
struct ClassReport {
  std::string name;
  int jobs = 0;
  int completed = 0;
  int preemptions = 0;  // sum over the class's jobs
  std::int64_t wait_p50_s = 0;
  std::int64_t wait_p95_s = 0;
  std::int64_t wait_p99_s = 0;
  std::int64_t wait_max_s = 0;
  double wait_mean_s = 0;
  std::int64_t sla_target_s = -1;  // -1: the class has no SLA target
  int sla_percentile = 0;          // as SimResult gives it
  // Fraction of the class's jobs whose wait <= target; empty without target.
  std::optional<double> sla_attainment;
  // The sla_percentile-th wait (nearest rank) <= target; empty without target.
  std::optional<bool> sla_met;
};

// A job that did not complete, as the report names it.
struct StarvedJob {
  std::string id;
  std::string class_name;
  std::string wait_reason;  // empty for a job that started but did not finish
};

// The figures of one policy run. See the file comment for definitions.
struct PolicyReport {
  std::string policy;
  int jobs = 0;
  int completed = 0;
  int total_gpus = 0;
  // One per class of SimResult::class_names that has at least one job, in
  // that order.
  std::vector<ClassReport> classes;

  std::int64_t wait_p50_s = 0;  // over all jobs, censored waits included
  std::int64_t wait_p95_s = 0;
  double queue_delay_mean_s = 0;  // mean wait over all jobs
  double jct_mean_s = 0;          // over completed jobs; 0 when none
  std::int64_t jct_p50_s = 0;
  std::int64_t jct_p95_s = 0;
  std::int64_t makespan_s = 0;

  // Σ held_gpu_s / (total_gpus × makespan_s); 0 when either is 0. May pass 1
  // when jobs that did not complete held GPUs after the last completion.
  double gpu_utilization = 0;
  // Σ work_gpu_s of completed jobs / (total_gpus × makespan_s).
  double useful_utilization = 0;

  std::int64_t preemptions = 0;
  std::int64_t migrations = 0;
  int preempted_jobs = 0;  // jobs preempted at least once
  int max_preemptions_per_job_24h = 0;
  double lost_gpu_hours = 0;     // Σ lost_gpu_s / 3600
  double restart_gpu_hours = 0;  // Σ restart_gpu_s / 3600
  double lost_fraction = 0;      // Σ lost_gpu_s / Σ work_gpu_s; 0 when no work

  int starved_jobs = 0;             // jobs that did not complete
  std::vector<StarvedJob> starved;  // the first kMaxStarvedListed, trace order

  double sim_wall_s = 0;
  std::int64_t events = 0;
  std::int64_t cycles = 0;
  double events_per_s = 0;  // events / sim_wall_s; 0 when wall time is 0
  std::int64_t virtual_end_s = 0;
};

inline constexpr int kMaxStarvedListed = 10;

// The nearest-rank q-th percentile of `sorted`: its ceil(q/100 * n)-th
// smallest element, computed in integers (no rounding surprises). q is
// clamped to [0, 100]; q = 0 gives the smallest.
// REQUIRES: `sorted` is non-empty and ascending.
std::int64_t NearestRank(const std::vector<std::int64_t>& sorted, int q);

// The figures of one run. Jobs whose class is not in r.class_names count in
// the overall figures only. A class whose sla_target_s / sla_percentile
// entry is missing (vectors shorter than class_names) has no target.
PolicyReport ComputeReport(const SimResult& r);

// Strings describing what was simulated, shown verbatim (escaped) in the
// JSON "settings" object and the HTML settings section.
struct ReportContext {
  std::string trace;    // trace name or path
  std::string format;   // trace format, e.g. "jsonl"
  std::string cluster;  // cluster description, e.g. "3 nodes, 12 GPUs"
  std::string seed;
  // Further settings, in the order to show them. A key equal to one of the
  // four above replaces it in JSON.
  std::vector<std::pair<std::string, std::string>> settings;
};

// The runs as pretty-printed JSON (indent 2). One run: that run's object
// with a "settings" member added; otherwise (several, or none)
// {"runs": [...], "settings": {...}}. Keys are the PolicyReport field names
// (the class list is "classes", an object keyed by class name in class
// order; the starved list is "starved_examples"); absent SLA figures are
// null. Fractions are rounded to 4 decimals, mean seconds to 0.1, GPU-hours
// to 0.001, wall seconds to 0.001, events_per_s to an integer; whole-second
// figures stay exact integers. No timeline (that is HTML only).
std::string ReportJson(const std::vector<PolicyReport>& runs, const ReportContext& ctx);

// A fixed-width text table, one column per run (policy), one row per
// figure, in human units ("4m 12s", "2.3h", "93.1%"); ends with a newline.
// Followed by the starved examples of each run that has any.
std::string ReportTable(const std::vector<PolicyReport>& runs);

// One self-contained HTML page (inline CSS and SVG, no scripts, no external
// references): the settings, the comparison table, per-class wait ranges
// per policy, and over time per policy: GPU utilization, queue length and
// cumulative preemptions. Each policy keeps one colour across charts.
// `results[i]` is the replay behind runs[i] (for its timeline); it may be
// null or missing, and that policy then has no line in the time charts.
std::string ReportHtml(const std::vector<PolicyReport>& runs,
                       const std::vector<const SimResult*>& results, const ReportContext& ctx);

}  // namespace gpusched::sim
