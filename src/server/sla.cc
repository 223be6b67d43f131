#include "server/sla.h"

#include <algorithm>

#include "server/control.h"

namespace gpusched::server {
namespace {

// The p-th percentile of sorted `v` by nearest rank. REQUIRES: !v.empty().
Duration NearestRank(const std::vector<Duration>& v, int p) {
  const std::size_t rank = (v.size() * static_cast<std::size_t>(p) + 99) / 100;
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

// The histogram bucket of `wait` (kWaitBuckets' comment).
std::size_t BucketOf(Duration wait) {
  return static_cast<std::size_t>(std::lower_bound(kWaitBuckets.begin(), kWaitBuckets.end(), wait) -
                                  kWaitBuckets.begin());
}

// The slice, oldest first, that a start `age` before now falls in.
// REQUIRES: 0 <= age < the window (slices * length + remainder).
std::size_t SliceOf(Duration age, Duration length, int slices) {
  const auto from_newest = static_cast<int>(std::min<std::int64_t>(age / length, slices - 1));
  return static_cast<std::size_t>(slices - 1 - from_newest);
}

// Counts one first start, `age` before now after waiting `wait`, in the
// histogram and the slices of `c`.
void CountStart(ClassSla& c, Duration wait, Duration age, Duration length) {
  const bool met = !c.target || wait <= c.target->max_wait;
  ++c.wait_histogram[BucketOf(wait)];
  SlaSlice& slice = c.slices[SliceOf(age, length, static_cast<int>(c.slices.size()))];
  ++slice.started;
  slice.met += met ? 1 : 0;
}

}  // namespace

Duration SliceLength(Duration window, int slices) { return window / slices; }

std::vector<ClassSla> SlaReport(const std::map<JobId, JobRecord>& jobs, const ClassTable& classes,
                                Instant now, Duration window, int slices) {
  const Duration length = SliceLength(window, slices);
  std::map<std::string, std::vector<Duration>, std::less<>> waits;
  std::vector<ClassSla> out;
  for (const PriorityClass& pc : classes.classes()) {
    out.push_back(ClassSla{});
    out.back().class_name = pc.name;
    out.back().target = pc.sla;
    out.back().wait_histogram.assign(kWaitBuckets.size() + 1, 0);
    out.back().slices.assign(static_cast<std::size_t>(slices), SlaSlice{});
  }
  auto entry = [&](const std::string& name) -> ClassSla* {
    auto it = std::find_if(out.begin(), out.end(), [&](const ClassSla& c) { return c.class_name == name; });
    return it == out.end() ? nullptr : &*it;
  };
  const Instant from = now - window;
  for (const auto& [id, r] : jobs) {
    ClassSla* c = entry(r.job.class_name);
    if (!c) continue;
    if (r.first_started_at) {
      if (*r.first_started_at <= from || *r.first_started_at > now) continue;
      const Duration wait = *r.first_started_at - r.job.submit_time;
      waits[c->class_name].push_back(wait);
      CountStart(*c, wait, now - *r.first_started_at, length);
      continue;
    }
    if (r.state != JobState::kPending) continue;  // cancelled before it ever ran
    const Duration waited = now - r.job.submit_time;
    ++c->pending;
    c->oldest_pending = std::max(c->oldest_pending, waited);
    if (c->target && waited > c->target->max_wait) ++c->pending_over_target;
  }
  for (ClassSla& c : out) {
    auto it = waits.find(c.class_name);
    if (it == waits.end() || it->second.empty()) continue;
    std::vector<Duration>& w = it->second;
    std::sort(w.begin(), w.end());
    c.started = static_cast<int>(w.size());
    c.met = c.target ? static_cast<int>(std::upper_bound(w.begin(), w.end(), c.target->max_wait) -
                                        w.begin())
                     : c.started;
    c.attainment = static_cast<double>(c.met) / c.started;
    c.wait_p50 = NearestRank(w, 50);
    c.wait_p95 = NearestRank(w, 95);
    c.wait_max = w.back();
  }
  return out;
}

}  // namespace gpusched::server
