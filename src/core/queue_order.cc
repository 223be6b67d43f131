#include "core/queue_order.h"

#include <algorithm>
#include <tuple>

namespace gpusched::internal {

const PriorityClass* EffectiveClass(const Job& job, const ClassTable& classes, Instant now) {
  if (job.boost && job.boost->expires_at > now) {
    if (const PriorityClass* boosted = classes.Find(job.boost->class_name)) return boosted;
  }
  return classes.Find(job.class_name);
}

std::int64_t SlaPressure(const Job& job, const PriorityClass& cls, const ClassTable& classes,
                         const PolicyConfig& policy, Instant now) {
  std::int64_t cap = policy.sla_pressure_max;
  for (const PriorityClass& c : classes.classes()) {
    if (c.value > cls.value) cap = std::min<std::int64_t>(cap, std::int64_t{c.value} - cls.value - 1);
  }
  if (!cls.sla || cls.sla->max_wait.count() <= 0 || cap <= 0) return 0;
  const std::int64_t bound = cls.sla->max_wait.count();
  const std::int64_t start = bound * policy.sla_pressure_start_permille / 1000;
  const std::int64_t waited = (now - job.eligible_since).count();
  if (waited <= start) return 0;
  if (waited >= bound || bound <= start) return cap;
  return cap * (waited - start) / (bound - start);
}

namespace {

// The sort key of a pending job, copied out of the job so that sorting moves
// compact keys instead of chasing pointers.
struct QueueKey {
  std::int64_t priority;  // negated: ascending sort puts the highest first
  std::int64_t eligible;  // seconds
  std::int64_t submitted; // seconds
  JobId id;
  int index;
  bool operator<(const QueueKey& o) const {
    return std::tie(priority, eligible, submitted, id) < std::tie(o.priority, o.eligible, o.submitted, o.id);
  }
};

}  // namespace

std::vector<int> SortPending(const CycleContext& ctx) {
  const bool fifo = ctx.policy.queue_order == QueueOrderKind::kFifo;
  std::vector<QueueKey> keys;
  keys.reserve(ctx.pending.size());
  for (int idx : ctx.pending) {
    const JobInfo& info = ctx.jobs[idx];
    const Job& job = *info.job;
    // FIFO: submit time, then id (priority and eligibility play no part).
    keys.push_back({fifo ? 0 : -info.priority, fifo ? 0 : SecondsOf(job.eligible_since), SecondsOf(job.submit_time),
                    job.id, idx});
  }
  std::sort(keys.begin(), keys.end());
  std::vector<int> order(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) order[i] = keys[i].index;
  return order;
}

}  // namespace gpusched::internal
