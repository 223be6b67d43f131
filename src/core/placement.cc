#include "core/placement.h"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "core/format.h"

namespace gpusched::internal {
namespace {

// A GPU that passed Filter for one job, with what it scores on.
struct Candidate {
  MiB total = 0;
  MiB leftover = 0;
  GpuIndex gpu = 0;
  MiB need = 0;
  bool held = false;
  bool operator<(const Candidate& o) const {
    return std::tie(total, leftover, gpu) < std::tie(o.total, o.leftover, o.gpu);
  }
};

MiB UsableOn(const FreeView& view, GpuIndex g, GpuTypeId type, const EndByType* ends) {
  MiB usable = view.avail(g);
  if (ends && view.held_left(g) > 0 && view.held_from(g) != kNever &&
      (*ends)[static_cast<std::size_t>(type)] <= view.held_from(g)) {
    usable += view.held_left(g);
  }
  return usable;
}

// Filter for one node: candidates sorted best first.
// Filter for one node: fills `out` with its candidates, best first.
void NodeCandidates(const Request& r, const CycleContext& ctx, const FreeView& view, NodeIndex n,
                    const EndByType* ends, std::vector<Candidate>& out) {
  out.clear();
  if ((ctx.node_types[static_cast<std::size_t>(n)] & r.types).none()) return;
  const GpuIndex first = ctx.ledger.first_gpu(n);
  const auto count = ctx.ledger.node_gpu_count(n);
  for (GpuIndex g = first; g < first + count; ++g) {
    const GpuInfo& info = ctx.ledger.gpu(g);
    if (!view.schedulable(g) || !r.types.test(static_cast<std::size_t>(info.type))) continue;
    const MiB need = NeedOn(r, info.total_mib);
    const MiB usable = UsableOn(view, g, info.type, ends);
    if (need <= 0 || need > usable) continue;
    out.push_back({info.total_mib, usable - need, g, need, need > view.avail(g)});
  }
  std::sort(out.begin(), out.end());
}

Found MakeFound(const std::vector<Candidate>& chosen, int locality) {
  Found f;
  f.locality = locality;
  for (const Candidate& c : chosen) {
    f.placement.slices.push_back({c.gpu, c.need});
    f.used_held = f.used_held || c.held;
  }
  std::sort(f.placement.slices.begin(), f.placement.slices.end(),
            [](const Slice& a, const Slice& b) { return a.gpu < b.gpu; });
  return f;
}

using SingleKey = std::tuple<MiB, int, MiB, GpuIndex>;  // card, -locality, leftover, gpu

// Single GPU on free capacity, through the per-type index. Within a type the
// index lists GPUs by free memory, so the first that fits leaves the least;
// with a locality wish the walk goes on until a GPU with the best locality
// the fleet offers turns up. Types are compared on the same key as
// ScanSingle, so both give the same answer. Sets *gave_up (the caller then
// scans) when a walk grows long.
std::optional<Found> FindSingle(const Request& r, const CycleContext& ctx, const FreeView& view,
                                bool* gave_up) {
  const bool wants_locality = r.image || r.dataset;
  const int best_possible = wants_locality ? ctx.MaxLocality(r.image, r.dataset) : 0;
  std::optional<SingleKey> best;
  Candidate best_c;
  for (GpuTypeId t : ctx.types_by_size) {
    const MiB min_card = ctx.min_total_by_type[static_cast<std::size_t>(t)];
    if (!r.types.test(static_cast<std::size_t>(t)) || (best && min_card > std::get<0>(*best))) continue;
    const auto& index = view.by_type(t);
    if (index.empty()) continue;
    const MiB floor = std::max<MiB>(1, NeedOn(r, min_card));
    int visited = 0;
    for (auto it = index.lower_bound({floor, -1}); it != index.end(); ++it) {
      if (++visited > 4096) {
        *gave_up = true;
        return std::nullopt;
      }
      const GpuInfo& info = ctx.ledger.gpu(it->second);
      const MiB need = NeedOn(r, info.total_mib);
      if (need > it->first) continue;
      const int locality = wants_locality ? ctx.Locality(info.node, r.image, r.dataset) : 0;
      const SingleKey key{info.total_mib, -locality, it->first - need, it->second};
      if (!best || key < *best) {
        best = key;
        best_c = Candidate{info.total_mib, it->first - need, it->second, need, false};
      }
      if (locality >= best_possible) break;  // later GPUs of this type leave more
    }
  }
  if (!best) return std::nullopt;
  return MakeFound({best_c}, -std::get<1>(*best));
}

using NodeScore = std::tuple<MiB, int, MiB, NodeIndex>;  // card, -locality, leftover, node

std::optional<Found> ScanNodes(const Request& r, const CycleContext& ctx, const FreeView& view,
                               const std::vector<NodeIndex>& nodes, const EndByType* ends) {
  const MiB floor = (r.exclusive || r.permille > 0) ? 1 : r.mib;
  std::optional<NodeScore> best_score;
  std::vector<Candidate> best, cands;
  for (NodeIndex n : nodes) {
    // Nodes come smallest card first: none after this one can score better.
    if (best_score && ctx.node_min_card[static_cast<std::size_t>(n)] > std::get<0>(*best_score)) break;
    if (!ends && view.NodeKth(n, r.gpus) < floor) continue;
    NodeCandidates(r, ctx, view, n, ends, cands);
    if (static_cast<int>(cands.size()) < r.gpus) continue;
    cands.resize(static_cast<std::size_t>(r.gpus));
    MiB card = 0, leftover = 0;
    for (const Candidate& c : cands) {
      card = std::max(card, c.total);
      leftover += c.leftover;
    }
    NodeScore score{card, -ctx.Locality(n, r.image, r.dataset), leftover, n};
    if (!best_score || score < *best_score) {
      best_score = score;
      best.swap(cands);
    }
  }
  if (!best_score) return std::nullopt;
  return MakeFound(best, -std::get<1>(*best_score));
}

// A gang allowed to span nodes: fewest nodes first, best GPUs within each.
std::optional<Found> ScanMultiNode(const Request& r, const CycleContext& ctx, const FreeView& view) {
  std::vector<std::vector<Candidate>> per_node;
  for (NodeIndex n = 0; n < ctx.ledger.node_count(); ++n) {
    std::vector<Candidate> cands;
    NodeCandidates(r, ctx, view, n, nullptr, cands);
    if (!cands.empty()) per_node.push_back(std::move(cands));
  }
  std::stable_sort(per_node.begin(), per_node.end(),
                   [](const auto& a, const auto& b) { return a.size() > b.size(); });
  std::vector<Candidate> chosen;
  for (const auto& cands : per_node) {
    for (const Candidate& c : cands) {
      if (static_cast<int>(chosen.size()) == r.gpus) break;
      chosen.push_back(c);
    }
  }
  if (static_cast<int>(chosen.size()) < r.gpus) return std::nullopt;
  return MakeFound(chosen, 0);
}

std::vector<NodeIndex> HeldNodes(const CycleContext& ctx, const FreeView& view) {
  std::vector<NodeIndex> nodes;
  for (GpuIndex g : view.held_gpus()) nodes.push_back(ctx.ledger.gpu(g).node);
  std::sort(nodes.begin(), nodes.end(), [&](NodeIndex a, NodeIndex b) {
    return std::make_pair(ctx.node_min_card[static_cast<std::size_t>(a)], a) <
           std::make_pair(ctx.node_min_card[static_cast<std::size_t>(b)], b);
  });
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  return nodes;
}

}  // namespace

// Single GPU without the index: one pass over all GPUs. Cheaper than building
// the index when a cycle makes only a few searches.
std::optional<Found> ScanSingle(const Request& r, const CycleContext& ctx, const FreeView& view) {
  std::optional<Candidate> best;
  int best_locality = -1;
  for (GpuIndex g = 0; g < ctx.ledger.gpu_count(); ++g) {
    const GpuInfo& info = ctx.ledger.gpu(g);
    if (!view.schedulable(g) || !r.types.test(static_cast<std::size_t>(info.type))) continue;
    const MiB need = NeedOn(r, info.total_mib);
    if (need <= 0 || need > view.avail(g)) continue;
    const Candidate c{info.total_mib, view.avail(g) - need, g, need, false};
    const int locality = ctx.Locality(info.node, r.image, r.dataset);
    // Same key as FindSingle: card size, locality, leftover, GPU index.
    if (!best || SingleKey{c.total, -locality, c.leftover, c.gpu} <
                     SingleKey{best->total, -best_locality, best->leftover, best->gpu}) {
      best = c;
      best_locality = locality;
    }
  }
  if (!best) return std::nullopt;
  return MakeFound({*best}, best_locality);
}

constexpr int kScansBeforeIndex = 8;

std::optional<Found> FindPlacement(const Request& r, const CycleContext& ctx, const FreeView& view,
                                   const EndByType* ends) {
  if (ends) {
    if (view.held_gpus().empty()) return std::nullopt;
    return ScanNodes(r, ctx, view, HeldNodes(ctx, view), ends);
  }
  if (r.gpus == 1) {
    if (!view.index_built() && view.CountScan() <= kScansBeforeIndex) return ScanSingle(r, ctx, view);
    bool gave_up = false;
    auto found = FindSingle(r, ctx, view, &gave_up);
    if (!found && gave_up) return ScanSingle(r, ctx, view);
    return found;
  }
  if (auto found = ScanNodes(r, ctx, view, ctx.nodes_by_card, nullptr)) return found;
  if (r.multi_node) return ScanMultiNode(r, ctx, view);
  return std::nullopt;
}

std::string DescribeNeed(const Request& r) {
  if (r.exclusive) return "a whole GPU";
  if (r.permille > 0) return fmt::format("{:.1f} % of a GPU", r.permille / 10.0);
  return FormatMib(r.mib);
}

}  // namespace gpusched::internal
