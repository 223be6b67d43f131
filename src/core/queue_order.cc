#include "core/queue_order.h"

#include <algorithm>

namespace gpusched::internal {

const PriorityClass* EffectiveClass(const Job& job, const ClassTable& classes, Instant now) {
  if (job.boost && job.boost->expires_at > now) {
    if (const PriorityClass* boosted = classes.Find(job.boost->class_name)) return boosted;
  }
  return classes.Find(job.class_name);
}

std::int64_t SlaPressure(const Job& job, const PriorityClass& cls, const PolicyConfig& policy,
                         Instant now) {
  if (!cls.sla || cls.sla->max_wait.count() <= 0 || policy.sla_pressure_max <= 0) return 0;
  const std::int64_t bound = cls.sla->max_wait.count();
  const std::int64_t start = bound * policy.sla_pressure_start_permille / 1000;
  const std::int64_t waited = (now - job.eligible_since).count();
  if (waited <= start) return 0;
  if (waited >= bound || bound <= start) return policy.sla_pressure_max;
  return policy.sla_pressure_max * (waited - start) / (bound - start);
}

std::vector<int> SortPending(const CycleContext& ctx) {
  std::vector<int> order = ctx.pending;
  auto by_id = [&](int a, int b) { return ctx.jobs[a].job->id < ctx.jobs[b].job->id; };
  if (ctx.policy.queue_order == QueueOrderKind::kFifo) {
    std::sort(order.begin(), order.end(), [&](int a, int b) {
      const Job& x = *ctx.jobs[a].job;
      const Job& y = *ctx.jobs[b].job;
      if (x.submit_time != y.submit_time) return x.submit_time < y.submit_time;
      return by_id(a, b);
    });
    return order;
  }
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    const JobInfo& x = ctx.jobs[a];
    const JobInfo& y = ctx.jobs[b];
    if (x.priority != y.priority) return x.priority > y.priority;
    if (x.job->eligible_since != y.job->eligible_since) {
      return x.job->eligible_since < y.job->eligible_since;
    }
    if (x.job->submit_time != y.job->submit_time) return x.job->submit_time < y.job->submit_time;
    return by_id(a, b);
  });
  return order;
}

}  // namespace gpusched::internal
