#include "core/preemption.h"

#include <algorithm>
#include <array>
#include <limits>
#include <tuple>

#include <fmt/format.h>

#include "core/format.h"
#include "core/victims.h"

namespace gpusched::internal {
namespace {

// What it takes to fit one slice on one GPU; its victims are
// pool[begin, begin + count) of the search's victim pool.
struct GpuOption {
  GpuIndex gpu = 0;
  MiB need = 0;
  double cost = 0;
  std::size_t begin = 0;
  int count = 0;
};

// Per-attempt shields of running jobs (each counted once for the reason).
class VictimTable {
 public:
  VictimTable(int preemptor, int gpus, const CycleContext& ctx)
      : p_(preemptor),
        gpus_(gpus),
        ctx_(ctx),
        shield_(ctx.jobs.size(), kUnknown),
        shield_counts_(8, 0) {}

  bool Candidate(int idx) {
    std::int8_t& s = shield_[static_cast<std::size_t>(idx)];
    if (s == kUnknown) {
      s = static_cast<std::int8_t>(ShieldOf(idx, ctx_.jobs[p_], gpus_, ctx_));
      ++shield_counts_[static_cast<std::size_t>(s)];
    }
    return s == static_cast<std::int8_t>(Shield::kNone);
  }
  // Cheap from the context's victim facts: computed, not cached.
  VictimCost Cost(int idx) const { return CostOf(idx, ctx_.jobs[p_].class_value, ctx_); }
  const std::vector<int>& shield_counts() const { return shield_counts_; }

 private:
  static constexpr std::int8_t kUnknown = -1;
  int p_, gpus_;
  const CycleContext& ctx_;
  std::vector<std::int8_t> shield_;
  std::vector<int> shield_counts_;
};

// Whether stopping every lower-priority job on g could free enough at all.
bool CouldFree(GpuIndex g, MiB deficit, std::int64_t priority, const CycleContext& ctx) {
  MiB freeable = 0;
  for (const Occupant& o : ctx.occupants(g)) {
    if (ctx.jobs[o.job].class_value <= priority) freeable += o.mib;
  }
  return freeable >= deficit;
}

// Scratch space of one preemption search, reused across GPUs and nodes.
struct Cand {
  int job;
  MiB mib;
  VictimCost cost;
};
struct Scratch {
  std::vector<int> pool;    // victims of all options
  std::vector<Cand> cands;  // candidates on one GPU
};

std::optional<GpuOption> EvalGpu(const Request& r, GpuIndex g, std::int64_t priority,
                                 const CycleContext& ctx, const FreeView& view, VictimTable& table,
                                 Scratch& scratch) {
  const GpuInfo& info = ctx.ledger.gpu(g);
  if (!view.schedulable(g) || !r.types.test(static_cast<std::size_t>(info.type))) return std::nullopt;
  GpuOption opt;
  opt.gpu = g;
  opt.need = NeedOn(r, info.total_mib);
  opt.begin = scratch.pool.size();
  if (opt.need > info.total_mib) return std::nullopt;
  MiB deficit = opt.need - view.avail(g);
  if (deficit <= 0) return opt;
  if (!CouldFree(g, deficit, priority, ctx)) return std::nullopt;
  auto& cands = scratch.cands;
  cands.clear();
  for (const Occupant& o : ctx.occupants(g)) {
    if (table.Candidate(o.job)) cands.push_back({o.job, o.mib, table.Cost(o.job)});
  }
  std::sort(cands.begin(), cands.end(), [&](const Cand& a, const Cand& b) {
    return VictimBefore(a.job, a.cost, b.job, b.cost, ctx);
  });
  for (std::size_t i = 0; i < cands.size() && deficit > 0; ++i) {
    scratch.pool.push_back(cands[i].job);
    ++opt.count;
    opt.cost += cands[i].cost.weighted;
    deficit -= cands[i].mib;
  }
  if (deficit > 0) {
    scratch.pool.resize(opt.begin);
    return std::nullopt;
  }
  return opt;
}

// Union of the chosen GPUs' victims, cheapest first, with the guaranteed
// floors checked on the whole set. Empty optional when a floor would break.
std::optional<PreemptionPlan> Assemble(const std::vector<GpuOption>& chosen, int job,
                                       const CycleContext& ctx, VictimTable& table,
                                       const std::vector<int>& pool) {
  PreemptionPlan plan;
  for (const GpuOption& o : chosen) {
    plan.nominated.slices.push_back({o.gpu, o.need});
    for (int i = 0; i < o.count; ++i) {
      const int v = pool[o.begin + static_cast<std::size_t>(i)];
      if (std::find(plan.victims.begin(), plan.victims.end(), v) == plan.victims.end()) {
        plan.victims.push_back(v);
      }
    }
  }
  std::sort(plan.nominated.slices.begin(), plan.nominated.slices.end(),
            [](const Slice& a, const Slice& b) { return a.gpu < b.gpu; });
  std::vector<std::pair<int, VictimCost>> costed;
  for (int v : plan.victims) costed.emplace_back(v, table.Cost(v));
  std::sort(costed.begin(), costed.end(), [&](const auto& a, const auto& b) {
    return VictimBefore(a.first, a.second, b.first, b.second, ctx);
  });
  for (std::size_t i = 0; i < costed.size(); ++i) plan.victims[i] = costed[i].first;
  std::vector<std::pair<int, int>> removed;  // tenant -> GPUs
  for (int v : plan.victims) {
    const JobInfo& vi = ctx.jobs[v];
    plan.cost += table.Cost(v).weighted;  // once per victim
    if (vi.cls) plan.grace = std::max(plan.grace, vi.cls->preemption_grace);
    if (!ctx.policy.enforce_guarantees || vi.tenant < 0 || vi.tenant == ctx.jobs[job].tenant) continue;
    auto it = std::find_if(removed.begin(), removed.end(), [&](const auto& e) { return e.first == vi.tenant; });
    if (it == removed.end()) it = removed.insert(removed.end(), {vi.tenant, 0});
    int& gone = it->second;
    // The tenant keeps at least its guarantee once all these victims are gone.
    if (ctx.tenant_gpus[static_cast<std::size_t>(vi.tenant)] - gone - vi.job->gpus <
        ctx.tenant(vi.tenant)->guaranteed_gpus) {
      return std::nullopt;
    }
    gone += vi.job->gpus;
  }
  return plan;
}

bool OptionLess(const GpuOption& a, const GpuOption& b) {
  return std::make_tuple(a.cost, a.count, a.gpu) < std::make_tuple(b.cost, b.count, b.gpu);
}

std::int64_t MaxVictimPriority(const PreemptionPlan& p, const CycleContext& ctx) {
  std::int64_t m = std::numeric_limits<std::int64_t>::min();
  for (int v : p.victims) m = std::max(m, ctx.jobs[v].class_value);
  return m;
}

// The Kubernetes default order of candidate nodes: lowest highest-priority
// victim, smallest sum of victim priorities, fewest victims, then the most
// recently started highest-priority victim.
std::tuple<std::int64_t, std::int64_t, std::size_t, std::int64_t> K8sKey(const PreemptionPlan& p,
                                                                         const CycleContext& ctx) {
  const std::int64_t top = MaxVictimPriority(p, ctx);
  std::int64_t sum = 0, latest = std::numeric_limits<std::int64_t>::min();
  for (int v : p.victims) {
    sum += ctx.jobs[v].class_value;
    if (ctx.jobs[v].class_value == top) latest = std::max(latest, SecondsOf(ctx.jobs[v].job->started_at));
  }
  return {top, sum, p.victims.size(), -latest};
}

bool PlanLess(const PreemptionPlan& a, const PreemptionPlan& b, const CycleContext& ctx) {
  const GpuIndex ga = a.nominated.slices[0].gpu, gb = b.nominated.slices[0].gpu;
  if (ctx.policy.victim_order == VictimOrderKind::kLowestPriorityNewest) {
    const auto ka = K8sKey(a, ctx), kb = K8sKey(b, ctx);
    if (ka != kb) return ka < kb;
    return ga < gb;
  }
  return std::make_tuple(a.cost, a.victims.size(), MaxVictimPriority(a, ctx), ga) <
         std::make_tuple(b.cost, b.victims.size(), MaxVictimPriority(b, ctx), gb);
}

std::optional<PreemptionPlan> BestPlan(const Request& r, int job, const CycleContext& ctx,
                                       const FreeView& view, VictimTable& table) {
  std::optional<PreemptionPlan> best;
  std::vector<GpuOption> pool;  // multi-node gangs choose across nodes
  std::vector<GpuOption> options;
  Scratch scratch;
  const std::int64_t priority = ctx.jobs[job].class_value;
  for (NodeIndex n = 0; n < ctx.ledger.node_count(); ++n) {
    options.clear();
    if (!r.multi_node) scratch.pool.clear();
    const GpuIndex first = ctx.ledger.first_gpu(n);
    const auto count = ctx.ledger.node_gpu_count(n);
    if (count < r.gpus && !r.multi_node) continue;
    for (GpuIndex g = first; g < first + count; ++g) {
      if (auto opt = EvalGpu(r, g, priority, ctx, view, table, scratch)) options.push_back(*opt);
    }
    std::sort(options.begin(), options.end(), OptionLess);
    if (r.multi_node) pool.insert(pool.end(), options.begin(), options.end());
    if (static_cast<int>(options.size()) < r.gpus) continue;
    options.resize(static_cast<std::size_t>(r.gpus));
    // A node whose cheapest GPUs already cost more than the best plan loses.
    double lower_bound = 0;
    for (const GpuOption& o : options) lower_bound = std::max(lower_bound, o.cost);
    const bool by_cost = ctx.policy.victim_order == VictimOrderKind::kCheckpointAware;
    if (by_cost && best && lower_bound > best->cost) continue;
    auto plan = Assemble(options, job, ctx, table, scratch.pool);
    if (plan && !plan->victims.empty() && (!best || PlanLess(*plan, *best, ctx))) best = std::move(plan);
  }
  if (!best && r.multi_node && static_cast<int>(pool.size()) >= r.gpus) {
    std::sort(pool.begin(), pool.end(), OptionLess);
    pool.resize(static_cast<std::size_t>(r.gpus));
    auto plan = Assemble(pool, job, ctx, table, scratch.pool);
    if (plan && !plan->victims.empty()) best = std::move(plan);
  }
  return best;
}

// Capacity on GPU g within `grace`: free now plus running jobs predicted to
// have finished by then (not counting jobs already stopping).
MiB SoonFree(GpuIndex g, Duration grace, const CycleContext& ctx, const FreeView& view,
             std::vector<int>* finishing) {
  MiB soon = view.avail(g);
  for (const Occupant& o : ctx.occupants(g)) {
    const JobInfo& ji = ctx.jobs[o.job];
    if (ji.doomed || ji.phase != JobPhase::kRunning) continue;
    // Overdue jobs (predicted to have ended already) are not relied upon.
    const Duration left = ctx.Remaining(o.job);
    if (left > Duration(0) && left <= grace) {
      soon += o.mib;
      if (finishing) finishing->push_back(o.job);
    }
  }
  return soon;
}

std::optional<std::string> WaitInstead(const Request& r, const PreemptionPlan& plan,
                                       const CycleContext& ctx, const FreeView& view) {
  if (ctx.soonest_end > plan.grace) return std::nullopt;  // no job ends that soon
  for (NodeIndex n = 0; n < ctx.ledger.node_count(); ++n) {
    const GpuIndex first = ctx.ledger.first_gpu(n);
    const auto count = ctx.ledger.node_gpu_count(n);
    if (count < r.gpus) continue;
    int fits = 0;
    for (GpuIndex g = first; g < first + count; ++g) {
      const GpuInfo& info = ctx.ledger.gpu(g);
      if (!view.schedulable(g) || !r.types.test(static_cast<std::size_t>(info.type))) continue;
      if (SoonFree(g, plan.grace, ctx, view, nullptr) >= NeedOn(r, info.total_mib)) ++fits;
    }
    if (fits < r.gpus) continue;
    std::vector<int> finishing;
    for (GpuIndex g = first; g < first + count; ++g) SoonFree(g, plan.grace, ctx, view, &finishing);
    if (finishing.empty()) continue;
    // Name the job that finishes first (then the lowest id): independent of
    // the order in which the ledger lists jobs on a GPU.
    auto key = [&](int j) {
      return std::make_pair(ctx.Remaining(j), ctx.jobs[j].job->id);
    };
    std::sort(finishing.begin(), finishing.end(), [&](int a, int b) { return key(a) < key(b); });
    const JobInfo& first_done = ctx.jobs[finishing.front()];
    return fmt::format("job {} on {} finishes in ~{}, sooner than a preemption's {} grace; "
                       "waiting instead of preempting",
                       first_done.job->id, ctx.ledger.node(n).name,
                       FormatDuration(ctx.Remaining(finishing.front())), FormatDuration(plan.grace));
  }
  return std::nullopt;
}

}  // namespace

PreemptionOutcome FindPreemption(const Request& r, int job, const CycleContext& ctx,
                                 const FreeView& view) {
  PreemptionOutcome out;
  VictimTable table(job, r.gpus, ctx);
  out.plan = BestPlan(r, job, ctx, view, table);
  if (!out.plan) {
    const std::string shields = DescribeShields(table.shield_counts());
    out.why_not = shields.empty() ? "no lower-priority job holds enough of the capacity it needs"
                                  : fmt::format("no lower-priority victims free enough ({})", shields);
    return out;
  }
  if (ctx.policy.wait_instead) {
    if (auto reason = WaitInstead(r, *out.plan, ctx, view)) {
      out.wait_instead = std::move(reason);
      out.wait_until = ctx.now + out.plan->grace;
      out.plan.reset();
    }
  }
  return out;
}

}  // namespace gpusched::internal
