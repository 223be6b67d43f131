#include "core/preemption.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "core/format.h"
#include "core/victims.h"

namespace gpusched::internal {
namespace {

// What it takes to fit one slice on one GPU.
struct GpuOption {
  GpuIndex gpu = 0;
  MiB need = 0;
  double cost = 0;
  std::vector<int> victims;
};

// Per-attempt cache of shields and costs of running jobs.
class VictimTable {
 public:
  VictimTable(int preemptor, int gpus, const CycleContext& ctx)
      : p_(preemptor),
        gpus_(gpus),
        ctx_(ctx),
        shield_(ctx.jobs.size(), kUnknown),
        cost_(ctx.jobs.size()),
        has_cost_(ctx.jobs.size(), 0),
        shield_counts_(8, 0) {}

  bool Candidate(int idx) {
    std::int8_t& s = shield_[static_cast<std::size_t>(idx)];
    if (s == kUnknown) {
      s = static_cast<std::int8_t>(ShieldOf(ctx_.jobs[idx], ctx_.jobs[p_], gpus_, ctx_));
      ++shield_counts_[static_cast<std::size_t>(s)];
    }
    return s == static_cast<std::int8_t>(Shield::kNone);
  }
  const VictimCost& Cost(int idx) {
    const auto i = static_cast<std::size_t>(idx);
    if (!has_cost_[i]) {
      cost_[i] = CostOf(ctx_.jobs[idx], ctx_.jobs[p_].priority, ctx_);
      has_cost_[i] = 1;
    }
    return cost_[i];
  }
  const std::vector<int>& shield_counts() const { return shield_counts_; }

 private:
  static constexpr std::int8_t kUnknown = -1;
  int p_, gpus_;
  const CycleContext& ctx_;
  std::vector<std::int8_t> shield_;
  std::vector<VictimCost> cost_;
  std::vector<char> has_cost_;
  std::vector<int> shield_counts_;
};

std::optional<GpuOption> EvalGpu(const Request& r, GpuIndex g, const CycleContext& ctx,
                                 const FreeView& view, VictimTable& table) {
  const GpuInfo& info = ctx.ledger.gpu(g);
  if (!view.schedulable(g) || !r.types.test(static_cast<std::size_t>(info.type))) return std::nullopt;
  const MiB need = NeedOn(r, info.total_mib);
  if (need > info.total_mib) return std::nullopt;
  GpuOption opt{g, need, 0, {}};
  MiB deficit = need - view.avail(g);
  if (deficit <= 0) return opt;
  std::vector<std::pair<int, MiB>> cands;
  for (const Occupant& o : ctx.occupancy()[static_cast<std::size_t>(g)]) {
    if (table.Candidate(o.job)) cands.emplace_back(o.job, o.mib);
  }
  std::sort(cands.begin(), cands.end(), [&](const auto& a, const auto& b) {
    return VictimBefore(a.first, table.Cost(a.first), b.first, table.Cost(b.first), ctx);
  });
  for (const auto& [idx, mib] : cands) {
    if (deficit <= 0) break;
    opt.victims.push_back(idx);
    opt.cost += table.Cost(idx).weighted;
    deficit -= mib;
  }
  if (deficit > 0) return std::nullopt;
  return opt;
}

// Union of the chosen GPUs' victims, cheapest first, with the guaranteed
// floors checked on the whole set. Empty optional when a floor would break.
std::optional<PreemptionPlan> Assemble(const std::vector<GpuOption>& chosen, int job,
                                       const CycleContext& ctx, VictimTable& table) {
  PreemptionPlan plan;
  for (const GpuOption& o : chosen) {
    plan.nominated.slices.push_back({o.gpu, o.need});
    for (int v : o.victims) {
      if (std::find(plan.victims.begin(), plan.victims.end(), v) == plan.victims.end()) {
        plan.victims.push_back(v);
      }
    }
  }
  std::sort(plan.nominated.slices.begin(), plan.nominated.slices.end(),
            [](const Slice& a, const Slice& b) { return a.gpu < b.gpu; });
  std::sort(plan.victims.begin(), plan.victims.end(), [&](int a, int b) {
    return VictimBefore(a, table.Cost(a), b, table.Cost(b), ctx);
  });
  std::map<int, int> removed;  // tenant -> GPUs
  for (int v : plan.victims) {
    const JobInfo& vi = ctx.jobs[v];
    plan.cost += table.Cost(v).weighted;
    if (vi.cls) plan.grace = std::max(plan.grace, vi.cls->preemption_grace);
    if (!ctx.policy.enforce_guarantees || vi.tenant < 0 || vi.tenant == ctx.jobs[job].tenant) continue;
    int& gone = removed[vi.tenant];
    if (ctx.tenant_gpus[static_cast<std::size_t>(vi.tenant)] - gone <= ctx.tenant(vi.tenant)->guaranteed_gpus) {
      return std::nullopt;
    }
    gone += vi.job->gpus;
  }
  return plan;
}

bool OptionLess(const GpuOption& a, const GpuOption& b) {
  return std::make_tuple(a.cost, a.victims.size(), a.gpu) < std::make_tuple(b.cost, b.victims.size(), b.gpu);
}

std::int64_t MaxVictimPriority(const PreemptionPlan& p, const CycleContext& ctx) {
  std::int64_t m = std::numeric_limits<std::int64_t>::min();
  for (int v : p.victims) m = std::max(m, ctx.jobs[v].priority);
  return m;
}

bool PlanLess(const PreemptionPlan& a, const PreemptionPlan& b, const CycleContext& ctx) {
  return std::make_tuple(a.cost, a.victims.size(), MaxVictimPriority(a, ctx), a.nominated.slices[0].gpu) <
         std::make_tuple(b.cost, b.victims.size(), MaxVictimPriority(b, ctx), b.nominated.slices[0].gpu);
}

std::optional<PreemptionPlan> BestPlan(const Request& r, int job, const CycleContext& ctx,
                                       const FreeView& view, VictimTable& table) {
  std::optional<PreemptionPlan> best;
  std::vector<GpuOption> pool;  // multi-node gangs choose across nodes
  for (NodeIndex n = 0; n < ctx.ledger.node_count(); ++n) {
    std::vector<GpuOption> options;
    const GpuIndex first = ctx.ledger.first_gpu(n);
    const auto count = static_cast<GpuIndex>(ctx.ledger.node(n).gpus.size());
    if (count < r.gpus && !r.multi_node) continue;
    for (GpuIndex g = first; g < first + count; ++g) {
      if (auto opt = EvalGpu(r, g, ctx, view, table)) options.push_back(std::move(*opt));
    }
    std::sort(options.begin(), options.end(), OptionLess);
    if (r.multi_node) pool.insert(pool.end(), options.begin(), options.end());
    if (static_cast<int>(options.size()) < r.gpus) continue;
    options.resize(static_cast<std::size_t>(r.gpus));
    auto plan = Assemble(options, job, ctx, table);
    if (plan && !plan->victims.empty() && (!best || PlanLess(*plan, *best, ctx))) best = std::move(plan);
  }
  if (!best && r.multi_node && static_cast<int>(pool.size()) >= r.gpus) {
    std::sort(pool.begin(), pool.end(), OptionLess);
    pool.resize(static_cast<std::size_t>(r.gpus));
    auto plan = Assemble(pool, job, ctx, table);
    if (plan && !plan->victims.empty()) best = std::move(plan);
  }
  return best;
}

// Capacity on GPU g within `grace`: free now plus running jobs predicted to
// have finished by then (not counting jobs already stopping).
MiB SoonFree(GpuIndex g, Duration grace, const CycleContext& ctx, const FreeView& view,
             std::vector<int>* finishing) {
  MiB soon = view.avail(g);
  for (const Occupant& o : ctx.occupancy()[static_cast<std::size_t>(g)]) {
    const JobInfo& ji = ctx.jobs[o.job];
    if (ji.doomed || ji.job->phase != JobPhase::kRunning) continue;
    if (ctx.Remaining(o.job) <= grace) {
      soon += o.mib;
      if (finishing) finishing->push_back(o.job);
    }
  }
  return soon;
}

std::optional<std::string> WaitInstead(const Request& r, const PreemptionPlan& plan,
                                       const CycleContext& ctx, const FreeView& view) {
  for (NodeIndex n = 0; n < ctx.ledger.node_count(); ++n) {
    const GpuIndex first = ctx.ledger.first_gpu(n);
    const auto count = static_cast<GpuIndex>(ctx.ledger.node(n).gpus.size());
    int fits = 0;
    std::vector<int> finishing;
    for (GpuIndex g = first; g < first + count; ++g) {
      const GpuInfo& info = ctx.ledger.gpu(g);
      if (!view.schedulable(g) || !r.types.test(static_cast<std::size_t>(info.type))) continue;
      std::vector<int> here;
      if (SoonFree(g, plan.grace, ctx, view, &here) >= NeedOn(r, info.total_mib)) {
        ++fits;
        finishing.insert(finishing.end(), here.begin(), here.end());
      }
    }
    if (fits >= r.gpus && !finishing.empty()) {
      const JobInfo& first_done = ctx.jobs[finishing.front()];
      return fmt::format("job {} on {} finishes in ~{}, sooner than a preemption's {} grace; "
                         "waiting instead of preempting",
                         first_done.job->id, ctx.ledger.node(n).name,
                         FormatDuration(ctx.Remaining(finishing.front())), FormatDuration(plan.grace));
    }
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
