#include "core/victims.h"

#include <algorithm>
#include <charconv>
#include <tuple>

#include <fmt/format.h>

#include "core/format.h"

namespace gpusched::internal {

bool ClusterFrozen(const CycleContext& ctx) {
  return std::any_of(ctx.snap.freezes.begin(), ctx.snap.freezes.end(), [&](const Freeze& f) {
    return f.scope == FreezeScope::kCluster && f.expires_at > ctx.now;
  });
}

bool Frozen(const Job& job, const CycleContext& ctx) {
  for (const Freeze& f : ctx.snap.freezes) {
    if (f.expires_at <= ctx.now) continue;
    switch (f.scope) {
      case FreezeScope::kCluster: return true;
      case FreezeScope::kTenant:
        if (f.target == job.tenant) return true;
        break;
      case FreezeScope::kJob: {
        JobId id = 0;
        auto [ptr, ec] = std::from_chars(f.target.data(), f.target.data() + f.target.size(), id);
        if (ec == std::errc() && ptr == f.target.data() + f.target.size() && id == job.id) return true;
        break;
      }
    }
  }
  return false;
}

namespace {

int RecentPreemptions(const Job& job, const CycleContext& ctx) {
  const Instant since = ctx.now - ctx.policy.preemption_window;
  return static_cast<int>(std::count_if(job.preempted_at.begin(), job.preempted_at.end(),
                                        [&](Instant t) { return t > since; }));
}

bool WithinGuarantee(int tenant, int extra_gpus, const CycleContext& ctx) {
  if (tenant < 0) return false;
  return ctx.tenant_gpus[static_cast<std::size_t>(tenant)] + extra_gpus <=
         ctx.tenant(tenant)->guaranteed_gpus;
}

bool MayReclaim(const JobInfo& victim, const JobInfo& preemptor, int preemptor_gpus,
                const CycleContext& ctx) {
  return ctx.policy.reclaim_equal_priority && ctx.policy.enforce_guarantees &&
         victim.tenant != preemptor.tenant && WithinGuarantee(preemptor.tenant, preemptor_gpus, ctx) &&
         !WithinGuarantee(victim.tenant, 0, ctx);
}

}  // namespace

Shield JobShield(const Job& v, const PriorityClass* cls, const CycleContext& ctx) {
  if (!v.preemptible) return Shield::kNotPreemptible;
  if (Frozen(v, ctx)) return Shield::kFrozen;
  if (ctx.policy.respect_min_runtime && cls && ctx.now - v.started_at < cls->min_runtime) {
    return Shield::kMinRuntime;
  }
  if (ctx.policy.enforce_preemption_limits &&
      RecentPreemptions(v, ctx) >= ctx.policy.max_preemptions_per_window) {
    return Shield::kLimit;
  }
  return Shield::kNone;
}

Shield ShieldOf(int victim_idx, const JobInfo& preemptor, int preemptor_gpus, const CycleContext& ctx) {
  const JobInfo& victim = ctx.jobs[victim_idx];
  if (victim.doomed || victim.phase != JobPhase::kRunning) return Shield::kStopping;
  const bool lower = victim.class_value < preemptor.class_value;
  if (!lower && !(victim.class_value == preemptor.class_value &&
                  MayReclaim(victim, preemptor, preemptor_gpus, ctx))) {
    return Shield::kNotLower;
  }
  const auto base = static_cast<Shield>(ctx.BaseShield(victim_idx));
  if (base == Shield::kNotPreemptible) return base;
  // Another tenant may not take a tenant below its guarantee.
  if (ctx.policy.enforce_guarantees && victim.tenant >= 0 && victim.tenant != preemptor.tenant &&
      ctx.tenant_gpus[static_cast<std::size_t>(victim.tenant)] - victim.job->gpus <
          ctx.tenant(victim.tenant)->guaranteed_gpus) {
    return Shield::kGuarantee;
  }
  return base;
}

std::pair<std::int64_t, std::int64_t> StopCost(const Job& v, NodeIndex node, const CycleContext& ctx) {
  const Instant saved = std::max(v.last_checkpoint_at, v.started_at);
  const std::int64_t lost = std::max<std::int64_t>(0, (ctx.now - saved).count()) * v.gpus;
  bool cached = true;
  if (!v.image.empty() || !v.dataset.empty()) {
    const int wanted = (v.image.empty() ? 0 : 1) + (v.dataset.empty() ? 0 : 1);
    cached = node >= 0 && ctx.Locality(node, v.image.empty() ? nullptr : &v.image,
                                       v.dataset.empty() ? nullptr : &v.dataset) == wanted;
  }
  const Duration overhead = cached ? ctx.policy.restart_overhead : ctx.policy.restart_overhead_uncached;
  return {lost, overhead.count() * v.gpus};
}

VictimCost CostOf(int victim_idx, std::int64_t preemptor_priority, const CycleContext& ctx) {
  const JobInfo& victim = ctx.jobs[victim_idx];
  VictimCost c;
  std::tie(c.lost_gpu_s, c.restart_gpu_s) = ctx.BaseCost(victim_idx);
  const std::int64_t gap = std::max<std::int64_t>(1, preemptor_priority - victim.class_value);
  const double weight = 1.0 + static_cast<double>(ctx.policy.priority_gap_scale) / static_cast<double>(gap);
  c.weighted = static_cast<double>(c.lost_gpu_s + c.restart_gpu_s) * weight;
  return c;
}

bool VictimBefore(int a, const VictimCost& ca, int b, const VictimCost& cb, const CycleContext& ctx) {
  const JobInfo& x = ctx.jobs[a];
  const JobInfo& y = ctx.jobs[b];
  if (ctx.policy.victim_order == VictimOrderKind::kLowestPriorityNewest) {
    return std::make_tuple(x.class_value, -SecondsOf(x.job->started_at), x.id) <
           std::make_tuple(y.class_value, -SecondsOf(y.job->started_at), y.id);
  }
  return std::make_tuple(ca.weighted, x.class_value, x.id) < std::make_tuple(cb.weighted, y.class_value, y.id);
}

std::string DescribeShields(const std::vector<int>& counts) {
  static constexpr const char* kWords[] = {
      "", "not of lower priority", "not preemptible", "already stopping", "frozen",
      "within their minimum runtime", "at their preemption limit",
      "protected by their tenant's guarantee"};
  std::vector<std::string> parts;
  for (std::size_t i = 1; i < counts.size() && i < std::size(kWords); ++i) {
    if (i == static_cast<std::size_t>(Shield::kNotLower) || counts[i] == 0) continue;
    parts.push_back(fmt::format("{} {}", counts[i], kWords[i]));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace gpusched::internal
