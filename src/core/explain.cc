// ExplainNoFit: names the constraint that keeps a job from starting.
#include <algorithm>

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

// Static facts: which GPUs could ever hold the job, ignoring what runs now.
struct Fleet {
  int fitting = 0;          // GPUs of an acceptable type big enough
  int schedulable = 0;      // ... of those on healthy, undrained nodes
  int most_on_node = 0;     // max fitting GPUs on one node
  int most_schedulable_on_node = 0;
  MiB largest_total = 0;    // largest acceptable card
  GpuTypeId largest_type = 0;
  bool any_type = false;    // any GPU of an acceptable type at all
};

Fleet Survey(const Request& r, const CycleContext& ctx, const FreeView& view) {
  Fleet f;
  for (NodeIndex n = 0; n < ctx.ledger.node_count(); ++n) {
    int on_node = 0, sched_on_node = 0;
    const GpuIndex first = ctx.ledger.first_gpu(n);
    const auto count = static_cast<GpuIndex>(ctx.ledger.node(n).gpus.size());
    for (GpuIndex g = first; g < first + count; ++g) {
      const GpuInfo& info = ctx.ledger.gpu(g);
      if (!r.types.test(static_cast<std::size_t>(info.type))) continue;
      f.any_type = true;
      if (info.total_mib > f.largest_total) {
        f.largest_total = info.total_mib;
        f.largest_type = info.type;
      }
      if (NeedOn(r, info.total_mib) > info.total_mib) continue;
      ++f.fitting;
      ++on_node;
      if (view.schedulable(g)) {
        ++f.schedulable;
        ++sched_on_node;
      }
    }
    f.most_on_node = std::max(f.most_on_node, on_node);
    f.most_schedulable_on_node = std::max(f.most_schedulable_on_node, sched_on_node);
  }
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
  return fmt::format("; {} on {} is reserved for job {}, predicted to start in {}",
                     FormatMib(view.held_left(g)), ctx.ledger.GpuName(g), view.held_for(g),
                     FormatDuration(view.held_from(g) - ctx.now));
}

NoFit SingleGpuCapacity(const Request& r, const CycleContext& ctx, const FreeView& view) {
  MiB best = -1;
  GpuIndex where = -1, reserved_gpu = -1;
  for (GpuIndex g = 0; g < ctx.ledger.gpu_count(); ++g) {
    const GpuInfo& info = ctx.ledger.gpu(g);
    if (!view.schedulable(g) || !r.types.test(static_cast<std::size_t>(info.type))) continue;
    if (view.avail(g) > best) best = view.avail(g), where = g;
    const MiB need = NeedOn(r, info.total_mib);
    if (reserved_gpu < 0 && view.avail(g) + view.held_left(g) >= need) reserved_gpu = g;
  }
  NoFit out;
  out.reason = fmt::format("needs {} on one GPU{}; largest free slice is {} on {}", DescribeNeed(r),
                           TypeList(r, ctx), FormatMib(std::max<MiB>(best, 0)),
                           ctx.ledger.GpuName(where));
  if (reserved_gpu >= 0) {
    out.code = WaitCode::kBehindReservation;
    out.reason += ReservedNote(ctx, view, reserved_gpu);
  }
  return out;
}

NoFit GangCapacity(const Request& r, const CycleContext& ctx, const FreeView& view) {
  int best = -1;
  NodeIndex where = 0;
  for (NodeIndex n = 0; n < ctx.ledger.node_count(); ++n) {
    int fits = 0;
    const GpuIndex first = ctx.ledger.first_gpu(n);
    const auto count = static_cast<GpuIndex>(ctx.ledger.node(n).gpus.size());
    for (GpuIndex g = first; g < first + count; ++g) {
      const GpuInfo& info = ctx.ledger.gpu(g);
      if (view.schedulable(g) && r.types.test(static_cast<std::size_t>(info.type)) &&
          NeedOn(r, info.total_mib) <= view.avail(g)) {
        ++fits;
      }
    }
    if (fits > best) best = fits, where = n;
  }
  NoFit out;
  out.reason = fmt::format("needs {} GPUs{} with {} free each {}; at most {} on {}", r.gpus,
                           TypeList(r, ctx), DescribeNeed(r),
                           r.multi_node ? "in the fleet" : "on one node", best,
                           ctx.ledger.node(where).name);
  return out;
}

// Whether some node has enough free memory in total over acceptable GPUs,
// though no single GPU has enough (single-GPU, fixed-size requests only).
bool Fragmented(const Request& r, const CycleContext& ctx, const FreeView& view) {
  if (r.gpus != 1 || r.exclusive || r.permille > 0) return false;
  for (NodeIndex n = 0; n < ctx.ledger.node_count(); ++n) {
    MiB sum = 0;
    bool big_enough_card = false;
    const GpuIndex first = ctx.ledger.first_gpu(n);
    const auto count = static_cast<GpuIndex>(ctx.ledger.node(n).gpus.size());
    for (GpuIndex g = first; g < first + count; ++g) {
      const GpuInfo& info = ctx.ledger.gpu(g);
      if (!view.schedulable(g) || !r.types.test(static_cast<std::size_t>(info.type))) continue;
      sum += view.avail(g);
      big_enough_card = big_enough_card || info.total_mib >= r.mib;
    }
    if (big_enough_card && sum >= r.mib) return true;
  }
  return false;
}

}  // namespace

NoFit ExplainNoFit(const Request& r, const CycleContext& ctx, const FreeView& view) {
  const Fleet fleet = Survey(r, ctx, view);
  if (auto infeasible = Infeasible(r, ctx, fleet)) return *infeasible;
  NoFit out = r.gpus == 1 ? SingleGpuCapacity(r, ctx, view) : GangCapacity(r, ctx, view);
  out.fragmented = Fragmented(r, ctx, view);
  if (out.fragmented) out.reason += "; enough memory is free on one node but split across GPUs";
  return out;
}

}  // namespace gpusched::internal
