#include "core/reservation.h"

#include <algorithm>
#include <tuple>

namespace gpusched::internal {
namespace {

struct GpuStart {
  Instant at = kNever;
  MiB total = 0;
  GpuIndex gpu = 0;
  MiB need = 0;
  bool eventually = false;  // at == kNever, but it fits once its jobs end
  bool operator<(const GpuStart& o) const {
    return std::tie(at, total, gpu) < std::tie(o.at, o.total, o.gpu);
  }
};

// When GPU g will have the need free: now if it has, else the predicted end
// of the running job after which enough is free. Conservative: claims of
// earlier reservations on g are served first, whenever they start.
// `ends` is scratch space, reused across GPUs to spare allocations.
GpuStart EarliestOn(const Request& r, GpuIndex g, const CycleContext& ctx, const FreeView& view,
                    std::vector<std::pair<Instant, MiB>>& ends) {
  const GpuInfo& info = ctx.ledger.gpu(g);
  GpuStart s{kNever, info.total_mib, g, NeedOn(r, info.total_mib)};
  // Memory freed later goes first to reservations made earlier in the cycle.
  MiB free = view.avail(g) - view.unheld_claim(g);
  if (free >= s.need) {
    s.at = ctx.now;
    return s;
  }
  ends.clear();
  MiB unknown = 0;  // memory of jobs with no predicted end
  for (const Occupant& o : ctx.occupants(g)) {
    const JobInfo& ji = ctx.jobs[o.job];
    if (ji.doomed || ji.phase != JobPhase::kRunning) continue;  // nominated elsewhere
    const Duration left = ctx.Remaining(o.job);
    if (left == kUnknownRuntime) {
      unknown += o.mib;
      continue;
    }
    ends.emplace_back(ctx.now + left, o.mib);
  }
  std::sort(ends.begin(), ends.end());
  for (const auto& [at, mib] : ends) {
    free += mib;
    if (free >= s.need) {
      s.at = at;
      return s;
    }
  }
  // No predicted end frees enough, but the jobs there will end some day:
  // the GPU can still be held, with an unknown start.
  s.eventually = free + unknown >= s.need;
  return s;
}

struct Scratch {
  std::vector<std::pair<Instant, MiB>> ends;
  std::vector<GpuStart> starts;  // one node's
  std::vector<GpuStart> pool;    // every node's, for a multi-node gang
};

// The GPUs of node n that could hold the request, and when; the first
// min(r.gpus, size) of them in order of start (then card size, then index).
void NodeStarts(const Request& r, NodeIndex n, const CycleContext& ctx, const FreeView& view,
                Scratch& scratch) {
  std::vector<GpuStart>& starts = scratch.starts;
  starts.clear();
  const GpuIndex first = ctx.ledger.first_gpu(n);
  const auto count = ctx.ledger.node_gpu_count(n);
  for (GpuIndex g = first; g < first + count; ++g) {
    const GpuInfo& info = ctx.ledger.gpu(g);
    if (!view.schedulable(g) || !r.types.test(static_cast<std::size_t>(info.type))) continue;
    if (NeedOn(r, info.total_mib) > info.total_mib) continue;
    GpuStart s = EarliestOn(r, g, ctx, view, scratch.ends);
    if (s.at != kNever || s.eventually) starts.push_back(s);
  }
  if (r.multi_node) scratch.pool.insert(scratch.pool.end(), starts.begin(), starts.end());
  const auto k = std::min(starts.size(), static_cast<std::size_t>(std::max(r.gpus, 0)));
  std::partial_sort(starts.begin(), starts.begin() + static_cast<std::ptrdiff_t>(k), starts.end());
}

ReservationPlan ToPlan(const std::vector<GpuStart>& chosen) {
  ReservationPlan plan;
  for (const GpuStart& s : chosen) {
    plan.start = std::max(plan.start, s.at);
    plan.slices.slices.push_back({s.gpu, s.need});
  }
  std::sort(plan.slices.slices.begin(), plan.slices.slices.end(),
            [](const Slice& a, const Slice& b) { return a.gpu < b.gpu; });
  return plan;
}

}  // namespace

std::optional<ReservationPlan> PlanReservation(const Request& r, const CycleContext& ctx,
                                               const FreeView& view) {
  std::optional<std::tuple<Instant, MiB, NodeIndex>> best_key;
  std::vector<GpuStart> best;
  Scratch scratch;
  const auto want = static_cast<std::size_t>(std::max(r.gpus, 0));
  for (NodeIndex n = 0; n < ctx.ledger.node_count(); ++n) {
    NodeStarts(r, n, ctx, view, scratch);
    std::vector<GpuStart>& starts = scratch.starts;
    if (starts.size() < want || want == 0) continue;
    MiB card = 0;
    for (std::size_t i = 0; i < want; ++i) card = std::max(card, starts[i].total);
    auto key = std::make_tuple(starts[want - 1].at, card, n);
    if (!best_key || key < *best_key) {
      best_key = key;
      best.assign(starts.begin(), starts.begin() + static_cast<std::ptrdiff_t>(want));
    }
  }
  std::vector<GpuStart>& pool = scratch.pool;
  if (r.multi_node && want > 0 && pool.size() >= want) {
    const auto k = static_cast<std::ptrdiff_t>(want);
    std::nth_element(pool.begin(), pool.begin() + k - 1, pool.end());
    std::sort(pool.begin(), pool.begin() + k);
    pool.resize(want);
    if (!best_key || pool.back().at < std::get<0>(*best_key)) return ToPlan(pool);
  }
  if (!best_key) return std::nullopt;
  return ToPlan(best);
}

}  // namespace gpusched::internal
