// ExplainNoFit: names the constraint that keeps a job from starting.
#include <algorithm>
#include <span>

#include <fmt/format.h>

#include "core/format.h"
#include "core/placement.h"

namespace gpusched::internal {
namespace {

std::string TypeList(const Request& r, const CycleContext& ctx) {
  if (r.types.count() >= ctx.catalog.size()) return "";
  std::vector<std::string> names;
  for (std::size_t t = 0; t < ctx.catalog.size(); ++t) {
    if (r.types.test(t)) names.push_back(ctx.catalog.type(static_cast<GpuTypeId>(t)).name);
  }
  return fmt::format(" ({})", fmt::join(names, ", "));
}

// What one pass over the fleet learns about a job that did not fit.
struct Fleet {
  // Static: which GPUs could ever hold the job, ignoring what runs now.
  int fitting = 0;          // GPUs of an acceptable type big enough
  int schedulable = 0;      // ... of those on healthy, undrained nodes
  int most_on_node = 0;     // max fitting GPUs on one node
  int most_schedulable_on_node = 0;
  MiB largest_total = 0;    // largest acceptable card
  GpuTypeId largest_type = 0;
  bool any_type = false;    // any GPU of an acceptable type at all
  // Now: the best free slice, the node with most GPUs free enough, a GPU
  // that fits only on reserved capacity, and scattered free memory.
  MiB best_avail = -1;
  GpuIndex best_gpu = 0;
  int best_fits = -1;
  NodeIndex best_node = 0;
  GpuIndex reserved_gpu = -1;
  bool fragmented = false;
};

// The same survey for a node of identical cards, all of an acceptable type,
// with no reserved capacity, for a fixed-size need: from the node's sorted
// free list alone, without visiting its GPUs.
bool SurveyUniformNode(const Request& r, const CycleContext& ctx, const FreeView& view, NodeIndex n,
                       Fleet& f) {
  const auto node = static_cast<std::size_t>(n);
  if (r.exclusive || r.permille > 0 || ctx.node_min_card[node] != ctx.node_max_card[node] ||
      (ctx.node_types[node] & ~r.types).any() || view.node_has_held(n)) {
    return false;
  }
  const MiB total = ctx.node_max_card[node];
  f.any_type = true;
  if (total > f.largest_total) f.largest_total = total, f.largest_type = ctx.node_max_type[node];
  if (r.mib > total) return true;
  const int count = ctx.ledger.node_gpu_count(n);
  const std::span<const MiB> sorted = view.NodeSorted(n);
  f.fitting += count;
  f.most_on_node = std::max(f.most_on_node, count);
  f.schedulable += static_cast<int>(sorted.size());
  f.most_schedulable_on_node = std::max(f.most_schedulable_on_node, static_cast<int>(sorted.size()));
  int fits = 0;
  MiB sum = 0;
  for (MiB avail : sorted) {
    fits += avail >= r.mib ? 1 : 0;
    sum += avail;
  }
  if (!sorted.empty() && sorted[0] > f.best_avail) {
    // The first GPU of the node with that much free, as the full survey names it.
    const GpuIndex first = ctx.ledger.first_gpu(n);
    for (GpuIndex g = first; g < first + count; ++g) {
      if (view.schedulable(g) && view.avail(g) == sorted[0]) {
        f.best_avail = sorted[0], f.best_gpu = g;
        break;
      }
    }
  }
  if (fits > f.best_fits) f.best_fits = fits, f.best_node = n;
  if (r.gpus == 1 && !sorted.empty() && sum >= r.mib) f.fragmented = true;
  return true;
}

void SurveyNode(const Request& r, const CycleContext& ctx, const FreeView& view, NodeIndex n, Fleet& f) {
  if ((ctx.node_types[static_cast<std::size_t>(n)] & r.types).none()) return;
  if (SurveyUniformNode(r, ctx, view, n, f)) return;
  int on_node = 0, sched_on_node = 0, fits = 0;
  MiB sum = 0;
  bool big_card = false;
  const GpuIndex first = ctx.ledger.first_gpu(n);
  const auto count = ctx.ledger.node_gpu_count(n);
  for (GpuIndex g = first; g < first + count; ++g) {
    const GpuInfo& info = ctx.ledger.gpu(g);
    if (!r.types.test(static_cast<std::size_t>(info.type))) continue;
    f.any_type = true;
    if (info.total_mib > f.largest_total) f.largest_total = info.total_mib, f.largest_type = info.type;
    const MiB need = NeedOn(r, info.total_mib);
    if (need > info.total_mib) continue;
    ++f.fitting, ++on_node;
    if (!view.schedulable(g)) continue;
    ++f.schedulable, ++sched_on_node;
    const MiB avail = view.avail(g);
    if (avail > f.best_avail) f.best_avail = avail, f.best_gpu = g;
    if (need <= avail) ++fits;
    if (f.reserved_gpu < 0 && avail + view.held_left(g) >= need) f.reserved_gpu = g;
    sum += avail;
    big_card = big_card || info.total_mib >= r.mib;
  }
  f.most_on_node = std::max(f.most_on_node, on_node);
  f.most_schedulable_on_node = std::max(f.most_schedulable_on_node, sched_on_node);
  if (fits > f.best_fits) f.best_fits = fits, f.best_node = n;
  // Enough free in total for a single fixed-size slice, but split over GPUs.
  if (r.gpus == 1 && !r.exclusive && r.permille == 0 && big_card && sum >= r.mib) f.fragmented = true;
}

Fleet Survey(const Request& r, const CycleContext& ctx, const FreeView& view) {
  Fleet f;
  for (NodeIndex n = 0; n < ctx.ledger.node_count(); ++n) SurveyNode(r, ctx, view, n, f);
  return f;
}

std::optional<NoFit> Infeasible(const Request& r, const CycleContext& ctx, const Fleet& f) {
  const std::string types = TypeList(r, ctx);
  if (!f.any_type) {
    return NoFit{WaitCode::kInfeasible, fmt::format("no GPU of an acceptable type{} in the fleet", types)};
  }
  if (f.fitting == 0) {
    return NoFit{WaitCode::kInfeasible,
                 fmt::format("needs {} per GPU; the largest acceptable GPU ({}) has {}",
                             DescribeNeed(r), ctx.catalog.type(f.largest_type).name,
                             FormatMib(f.largest_total))};
  }
  if (!r.multi_node && f.most_on_node < r.gpus) {
    return NoFit{WaitCode::kInfeasible,
                 fmt::format("needs {} GPUs{} with {} each on one node; no node has more than {}",
                             r.gpus, types, DescribeNeed(r), f.most_on_node)};
  }
  if (r.multi_node && f.fitting < r.gpus) {
    return NoFit{WaitCode::kInfeasible,
                 fmt::format("needs {} GPUs{} with {} each; the fleet has {}", r.gpus, types,
                             DescribeNeed(r), f.fitting)};
  }
  const bool too_few = r.multi_node ? f.schedulable < r.gpus : f.most_schedulable_on_node < r.gpus;
  if (too_few) {
    return NoFit{WaitCode::kNoCapacity,
                 fmt::format("needs {} GPUs{} with {} each; of the {} that could hold it, {} are on "
                             "drained or unhealthy nodes",
                             r.gpus, types, DescribeNeed(r), f.fitting, f.fitting - f.schedulable)};
  }
  return std::nullopt;
}

std::string ReservedNote(const CycleContext& ctx, const FreeView& view, GpuIndex g) {
  const Instant from = view.held_from(g);
  return fmt::format("; {} on {} is reserved for job {}, {}", FormatMib(view.held_left(g)),
                     ctx.ledger.GpuName(g), view.held_for(g),
                     from == kNever ? std::string("start unknown")
                                    : "predicted to start in " + FormatDuration(from - ctx.now));
}

NoFit Capacity(const Request& r, const CycleContext& ctx, const FreeView& view, const Fleet& f) {
  NoFit out;
  if (r.gpus == 1) {
    out.reason = fmt::format("needs {} on one GPU{}; largest free slice is {} on {}", DescribeNeed(r),
                             TypeList(r, ctx), FormatMib(std::max<MiB>(f.best_avail, 0)),
                             ctx.ledger.GpuName(f.best_gpu));
    if (f.reserved_gpu >= 0) {
      out.code = WaitCode::kBehindReservation;
      out.reason += ReservedNote(ctx, view, f.reserved_gpu);
    }
  } else {
    out.reason = fmt::format("needs {} GPUs{} with {} free each {}; at most {} on {}", r.gpus,
                             TypeList(r, ctx), DescribeNeed(r), r.multi_node ? "in the fleet" : "on one node",
                             std::max(f.best_fits, 0), ctx.ledger.node(f.best_node).name);
  }
  return out;
}

}  // namespace

NoFit ExplainNoFit(const Request& r, const CycleContext& ctx, const FreeView& view) {
  const Fleet fleet = Survey(r, ctx, view);
  if (auto infeasible = Infeasible(r, ctx, fleet)) return *infeasible;
  NoFit out = Capacity(r, ctx, view, fleet);
  out.fragmented = fleet.fragmented;
  if (out.fragmented) out.reason += "; enough memory is free on one node but split across GPUs";
  return out;
}

}  // namespace gpusched::internal
