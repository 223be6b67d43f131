#include "core/defrag.h"

#include <algorithm>
#include <map>

#include "core/victims.h"

namespace gpusched::internal {
namespace {

constexpr int kMaxNodesExamined = 64;

// Room on a GPU for movers, with what earlier moves of this plan took.
MiB Room(GpuIndex g, const FreeView& view, const std::map<GpuIndex, MiB>& taken) {
  auto it = taken.find(g);
  return view.avail(g) - (it == taken.end() ? 0 : it->second);
}

// A destination for a mover: same node first, then the smallest card that
// fits anywhere; never the GPU being emptied.
std::optional<GpuIndex> Destination(const Job& mover, MiB mib, GpuIndex from, const CycleContext& ctx,
                                    const FreeView& view, const std::map<GpuIndex, MiB>& taken) {
  const Request mr = MakeRequest(mover, ctx.catalog);
  auto ok = [&](GpuIndex g) {
    return g != from && view.schedulable(g) &&
           mr.types.test(static_cast<std::size_t>(ctx.ledger.gpu(g).type)) && Room(g, view, taken) >= mib;
  };
  const NodeIndex n = ctx.ledger.gpu(from).node;
  const GpuIndex first = ctx.ledger.first_gpu(n);
  const auto count = ctx.ledger.node_gpu_count(n);
  std::optional<GpuIndex> best;
  for (GpuIndex g = first; g < first + count; ++g) {
    if (ok(g) && (!best || Room(g, view, taken) < Room(*best, view, taken))) best = g;
  }
  if (best) return best;
  for (GpuTypeId t : ctx.types_by_size) {
    if (!mr.types.test(static_cast<std::size_t>(t))) continue;
    const auto& index = view.by_type(t);
    int looked = 0;
    for (auto it = index.lower_bound({mib, -1}); it != index.end() && looked < 32; ++it, ++looked) {
      if (ok(it->second)) return it->second;
    }
  }
  return std::nullopt;
}

std::optional<DefragOutcome> PlanForGpu(const Request& r, int job, GpuIndex g, const CycleContext& ctx,
                                        const FreeView& view) {
  DefragOutcome out{g, NeedOn(r, ctx.ledger.gpu(g).total_mib), {}, 0};
  MiB deficit = out.need - view.avail(g);
  std::vector<std::pair<VictimCost, const Occupant*>> movers;
  for (const Occupant& o : ctx.occupants(g)) {
    const JobInfo& ji = ctx.jobs[o.job];
    // Only fixed-size single-GPU jobs move: their slice is the same anywhere.
    if (ji.job->gpus != 1 || ji.job->exclusive || ji.job->memory_fraction_permille > 0 ||
        ShieldOf(o.job, ctx.jobs[job], r.gpus, ctx) != Shield::kNone) {
      continue;
    }
    movers.emplace_back(CostOf(o.job, ctx.jobs[job].class_value, ctx), &o);
  }
  std::sort(movers.begin(), movers.end(), [&](const auto& a, const auto& b) {
    return VictimBefore(a.second->job, a.first, b.second->job, b.first, ctx);
  });
  std::map<GpuIndex, MiB> taken;
  for (const auto& [cost, o] : movers) {
    if (deficit <= 0) break;
    auto to = Destination(*ctx.jobs[o->job].job, o->mib, g, ctx, view, taken);
    if (!to) continue;
    taken[*to] += o->mib;
    out.moves.push_back({o->job, {*to, o->mib}, cost.lost_gpu_s});
    out.cost += cost.weighted;
    deficit -= o->mib;
  }
  if (deficit > 0 || out.moves.empty()) return std::nullopt;
  return out;
}

}  // namespace

std::optional<DefragOutcome> FindDefrag(const Request& r, int job, const CycleContext& ctx,
                                        const FreeView& view) {
  if (r.gpus != 1 || r.exclusive || r.permille > 0 || ClusterFrozen(ctx)) return std::nullopt;
  std::optional<DefragOutcome> best;
  int examined = 0;
  for (NodeIndex n = 0; n < ctx.ledger.node_count() && examined < kMaxNodesExamined; ++n) {
    const GpuIndex first = ctx.ledger.first_gpu(n);
    const auto count = ctx.ledger.node_gpu_count(n);
    MiB sum = 0;
    for (GpuIndex g = first; g < first + count; ++g) {
      if (view.schedulable(g) && r.types.test(static_cast<std::size_t>(ctx.ledger.gpu(g).type))) {
        sum += view.avail(g);
      }
    }
    if (sum < r.mib) continue;
    ++examined;
    for (GpuIndex g = first; g < first + count; ++g) {
      const GpuInfo& info = ctx.ledger.gpu(g);
      if (!view.schedulable(g) || !r.types.test(static_cast<std::size_t>(info.type)) ||
          info.total_mib < r.mib) {
        continue;
      }
      auto plan = PlanForGpu(r, job, g, ctx, view);
      if (plan && (!best || plan->cost < best->cost)) best = std::move(plan);
    }
  }
  return best;
}

}  // namespace gpusched::internal
