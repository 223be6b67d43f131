#include "server/progress_store.h"

#include <algorithm>
#include <utility>

#include "gpusched/status.h"

namespace gpusched::server {

ProgressStore::ProgressStore(ProgressLimits limits) : limits_(limits) {
  GPUSCHED_CHECK(limits_.points_per_job >= 2 && limits_.jobs >= 1,
                 "ProgressStore limits: points_per_job >= 2 and jobs >= 1");
}

void ProgressStore::Add(JobId job, std::uint64_t run, std::int64_t time_s, int epoch) {
  std::lock_guard<std::mutex> lock(mu_);
  auto job_it = jobs_.find(job);
  if (job_it != jobs_.end()) {
    const Job& j = job_it->second;
    if (run <= j.forgotten) return;
    const auto last = j.last_epoch.find(run);
    if (last != j.last_epoch.end() && epoch <= last->second) return;  // resent
    lru_.splice(lru_.end(), lru_, job_it->second.lru);
  } else {
    job_it = jobs_.emplace(job, Job{}).first;
    job_it->second.lru = lru_.insert(lru_.end(), job);
  }
  Job& j = job_it->second;
  if (!j.points.empty()) time_s = std::max(time_s, j.points.back().time_s);
  j.points.push_back(ProgressPoint{time_s, epoch, run});
  j.last_epoch[run] = epoch;
  if (j.points.size() > limits_.points_per_job) Thin(j);
  while (jobs_.size() > limits_.jobs) {
    jobs_.erase(lru_.front());
    lru_.pop_front();
  }
}

void ProgressStore::Thin(Job& job) const {
  while (job.points.size() > limits_.points_per_job) {
    if (DropEveryOther(job, job.points.size() / 2) > 0) continue;
    if (DropEveryOther(job, job.points.size()) > 0) continue;
    ForgetOldestRun(job);
  }
}

std::size_t ProgressStore::DropEveryOther(Job& job, std::size_t end) {
  std::vector<ProgressPoint>& points = job.points;
  // A run's first and last point stay: mark them.
  std::map<std::uint64_t, std::pair<std::size_t, std::size_t>> span;  // run -> first, last
  for (std::size_t i = 0; i < points.size(); ++i) {
    auto [it, added] = span.try_emplace(points[i].run, i, i);
    if (!added) it->second.second = i;
  }
  std::vector<bool> keep(points.size(), true);
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < end; ++i) {
    const auto& [first, last] = span.at(points[i].run);
    if (i != first && i != last) candidates.push_back(i);
  }
  if (candidates.size() == 1) keep[candidates.front()] = false;
  for (std::size_t k = 1; k < candidates.size(); k += 2) keep[candidates[k]] = false;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (keep[i]) points[kept++] = points[i];
  }
  const std::size_t dropped = points.size() - kept;
  points.resize(kept);
  return dropped;
}

void ProgressStore::ForgetOldestRun(Job& job) {
  const std::uint64_t run = job.points.front().run;
  std::erase_if(job.points, [run](const ProgressPoint& p) { return p.run == run; });
  job.last_epoch.erase(run);
  job.forgotten = std::max(job.forgotten, run);
}

std::vector<ProgressPoint> ProgressStore::Read(JobId job) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = jobs_.find(job);
  return it == jobs_.end() ? std::vector<ProgressPoint>{} : it->second.points;
}

std::size_t ProgressStore::jobs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size();
}

}  // namespace gpusched::server
