// ComputeReport: one pass over the job outcomes per group of figures. Waits
// and JCTs are whole seconds, so percentiles are exact integers.
#include "sim/report.h"

#include <algorithm>
#include <cstddef>
#include <numeric>

namespace gpusched::sim {
namespace {

// The wait of one job; censored at the replay's end for a job that never
// started.
std::int64_t WaitOf(const JobOutcome& job, std::int64_t end_s) {
  const std::int64_t start = job.first_start_s >= 0 ? job.first_start_s : end_s;
  return std::max<std::int64_t>(0, start - job.submit_s);
}

bool Completed(const JobOutcome& job) { return job.end_s >= 0; }

double Mean(const std::vector<std::int64_t>& values) {
  if (values.empty()) return 0;
  const double sum = std::accumulate(values.begin(), values.end(), 0.0,
                                     [](double acc, std::int64_t v) { return acc + double(v); });
  return sum / double(values.size());
}

std::vector<std::int64_t> Sorted(std::vector<std::int64_t> values) {
  std::sort(values.begin(), values.end());
  return values;
}

// The percentile of possibly empty sorted values; 0 when empty.
std::int64_t PercentileOr0(const std::vector<std::int64_t>& sorted, int q) {
  return sorted.empty() ? 0 : NearestRank(sorted, q);
}

// The figures of the jobs of class `index` (nullopt when it has none).
std::optional<ClassReport> ClassFigures(const SimResult& r, std::size_t index) {
  ClassReport c;
  c.name = r.class_names[index];
  c.sla_target_s = index < r.sla_target_s.size() ? r.sla_target_s[index] : -1;
  c.sla_percentile = index < r.sla_percentile.size() ? r.sla_percentile[index] : 0;
  std::vector<std::int64_t> waits;
  for (const JobOutcome& job : r.jobs) {
    if (job.class_name != c.name) continue;
    waits.push_back(WaitOf(job, r.end_s));
    c.completed += Completed(job) ? 1 : 0;
    c.preemptions += job.preemptions;
  }
  if (waits.empty()) return std::nullopt;
  c.jobs = int(waits.size());
  c.wait_mean_s = Mean(waits);
  waits = Sorted(std::move(waits));
  c.wait_p50_s = NearestRank(waits, 50);
  c.wait_p95_s = NearestRank(waits, 95);
  c.wait_p99_s = NearestRank(waits, 99);
  c.wait_max_s = waits.back();
  if (c.sla_target_s >= 0) {
    const auto within = std::upper_bound(waits.begin(), waits.end(), c.sla_target_s);
    c.sla_attainment = double(within - waits.begin()) / double(waits.size());
    c.sla_met = NearestRank(waits, c.sla_percentile) <= c.sla_target_s;
  }
  return c;
}

// Step 1: job counts, waits, JCT and makespan.
void AddTimeFigures(const SimResult& r, PolicyReport& out) {
  std::vector<std::int64_t> waits, jcts;
  std::int64_t min_submit = 0, max_end = 0;
  for (const JobOutcome& job : r.jobs) {
    waits.push_back(WaitOf(job, r.end_s));
    min_submit = waits.size() == 1 ? job.submit_s : std::min(min_submit, job.submit_s);
    if (!Completed(job)) continue;
    jcts.push_back(job.end_s - job.submit_s);
    max_end = jcts.size() == 1 ? job.end_s : std::max(max_end, job.end_s);
  }
  out.jobs = int(waits.size());
  out.completed = int(jcts.size());
  out.starved_jobs = out.jobs - out.completed;
  out.queue_delay_mean_s = Mean(waits);
  out.jct_mean_s = Mean(jcts);
  waits = Sorted(std::move(waits));
  jcts = Sorted(std::move(jcts));
  out.wait_p50_s = PercentileOr0(waits, 50);
  out.wait_p95_s = PercentileOr0(waits, 95);
  out.jct_p50_s = PercentileOr0(jcts, 50);
  out.jct_p95_s = PercentileOr0(jcts, 95);
  out.makespan_s = jcts.empty() ? 0 : max_end - min_submit;
}

// Step 2: GPU-seconds, preemptions and the starved list.
void AddResourceFigures(const SimResult& r, PolicyReport& out) {
  double held = 0, useful = 0, work = 0, lost = 0, restart = 0;
  for (const JobOutcome& job : r.jobs) {
    held += job.held_gpu_s;
    work += job.work_gpu_s;
    useful += Completed(job) ? job.work_gpu_s : 0;
    lost += job.lost_gpu_s;
    restart += job.restart_gpu_s;
    out.preemptions += job.preemptions;
    out.migrations += job.migrations;
    out.preempted_jobs += job.preemptions > 0 ? 1 : 0;
    out.max_preemptions_per_job_24h =
        std::max(out.max_preemptions_per_job_24h, job.max_preemptions_24h);
    if (!Completed(job) && out.starved.size() < std::size_t(kMaxStarvedListed))
      out.starved.push_back({job.id, job.class_name, job.wait_reason});
  }
  const double capacity = double(r.total_gpus) * double(out.makespan_s);
  out.gpu_utilization = capacity > 0 ? held / capacity : 0;
  out.useful_utilization = capacity > 0 ? useful / capacity : 0;
  out.lost_gpu_hours = lost / 3600;
  out.restart_gpu_hours = restart / 3600;
  out.lost_fraction = work > 0 ? lost / work : 0;
}

}  // namespace

std::int64_t NearestRank(const std::vector<std::int64_t>& sorted, int q) {
  const std::int64_t n = std::int64_t(sorted.size());
  const std::int64_t clamped_q = std::clamp(q, 0, 100);
  const std::int64_t rank = std::max<std::int64_t>(1, (clamped_q * n + 99) / 100);
  return sorted[std::size_t(std::min(rank, n) - 1)];
}

PolicyReport ComputeReport(const SimResult& r) {
  PolicyReport out;
  out.policy = r.policy;
  out.total_gpus = r.total_gpus;
  for (std::size_t i = 0; i < r.class_names.size(); ++i) {
    if (auto c = ClassFigures(r, i)) out.classes.push_back(std::move(*c));
  }
  AddTimeFigures(r, out);
  AddResourceFigures(r, out);
  out.sim_wall_s = r.wall_s;
  out.events = r.events;
  out.cycles = r.cycles;
  out.events_per_s = r.wall_s > 0 ? double(r.events) / r.wall_s : 0;
  out.virtual_end_s = r.end_s;
  return out;
}

}  // namespace gpusched::sim
