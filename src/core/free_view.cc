#include "core/free_view.h"

#include <algorithm>
#include <functional>

namespace gpusched::internal {

FreeView::FreeView(const CycleContext& ctx) : ctx_(ctx) {
  const ClusterLedger& ledger = ctx.ledger;
  const auto n = static_cast<std::size_t>(ledger.gpu_count());
  avail_.resize(n);
  held_.assign(n, 0);
  claim_.assign(n, 0);
  prior_nom_.assign(n, 0);
  deduct_.assign(n, 0);
  held_used_.assign(n, 0);
  held_from_.assign(n, kNever);
  held_for_.assign(n, 0);
  schedulable_.resize(n);
  for (GpuIndex g = 0; g < ledger.gpu_count(); ++g) {
    avail_[u(g)] = ledger.free_mib(g);
    schedulable_[u(g)] = ledger.Schedulable(g) ? 1 : 0;
  }
  // Capacity nominated to pending jobs by earlier cycles is not free for others.
  for (int idx : ctx.pending) {
    const Job& job = *ctx.jobs[idx].job;
    if (!ctx.NominationHolds(job)) continue;
    for (const Slice& s : job.nomination->placement.slices) {
      if (s.gpu < 0 || s.gpu >= ledger.gpu_count()) continue;
      prior_nom_[u(s.gpu)] += s.memory_mib;
      avail_[u(s.gpu)] = std::max<MiB>(0, ledger.free_mib(s.gpu) - prior_nom_[u(s.gpu)]);
      nominations_.push_back({s.gpu, {job.id, s.memory_mib}});
    }
  }
  node_sorted_.assign(n, 0);
  node_first_.resize(static_cast<std::size_t>(ledger.node_count()));
  node_schedulable_.assign(static_cast<std::size_t>(ledger.node_count()), 0);
  node_held_.assign(static_cast<std::size_t>(ledger.node_count()), 0);
  for (NodeIndex node = 0; node < ledger.node_count(); ++node) {
    node_first_[static_cast<std::size_t>(node)] = static_cast<std::size_t>(ledger.first_gpu(node));
  }
  for (NodeIndex node = 0; node < ledger.node_count(); ++node) RefreshNode(node);
}

void FreeView::BuildIndex() const {
  by_type_.resize(std::max<std::size_t>(1, ctx_.catalog.size()));
  for (GpuIndex g = 0; g < ctx_.ledger.gpu_count(); ++g) {
    if (schedulable_[u(g)] && avail_[u(g)] > 0) {
      by_type_[static_cast<std::size_t>(ctx_.ledger.gpu(g).type)].emplace_hint(
          by_type_[static_cast<std::size_t>(ctx_.ledger.gpu(g).type)].end(), avail_[u(g)], g);
    }
  }
}

MiB FreeView::nominated_for(GpuIndex g, JobId job) const {
  MiB total = 0;
  for (const auto& [gpu, nom] : nominations_) {
    if (gpu == g && nom.first == job) total += nom.second;
  }
  return total;
}

void FreeView::SetAvail(GpuIndex g, MiB value) {
  const MiB old = avail_[u(g)];
  if (old == value) return;
  avail_[u(g)] = value;
  if (!by_type_.empty() && schedulable_[u(g)]) {
    auto& index = by_type_[static_cast<std::size_t>(ctx_.ledger.gpu(g).type)];
    if (old > 0) index.erase({old, g});
    if (value > 0) index.emplace(value, g);
  }
  RefreshNode(ctx_.ledger.gpu(g).node);
}

void FreeView::RefreshNode(NodeIndex n) {
  const ClusterLedger& ledger = ctx_.ledger;
  const GpuIndex first = ledger.first_gpu(n);
  const auto count = ledger.node_gpu_count(n);
  const auto node = static_cast<std::size_t>(n);
  MiB* sorted = node_sorted_.data() + node_first_[node];
  int k = 0;
  for (GpuIndex g = first; g < first + count; ++g) {
    if (schedulable_[u(g)]) sorted[k++] = avail_[u(g)];
  }
  node_schedulable_[node] = k;
  std::sort(sorted, sorted + k, std::greater<>());
}

void FreeView::Take(GpuIndex g, MiB mib) {
  GPUSCHED_CHECK(mib > 0, "bind of a non-positive slice");
  const MiB from_avail = std::min(mib, avail_[u(g)]);
  const MiB from_held = mib - from_avail;
  GPUSCHED_CHECK(from_held <= held_left(g), "bind exceeds the cycle's free view");
  held_used_[u(g)] += from_held;
  deduct_[u(g)] += from_avail;
  Recompute(g);
}

void FreeView::Nominate(GpuIndex g, MiB mib) {
  deduct_[u(g)] += std::min(mib, avail_[u(g)]);
  Recompute(g);
}

MiB FreeView::UsableByNominee(GpuIndex g, JobId job) const {
  const MiB others = prior_nom_[u(g)] - nominated_for(g, job);
  return ctx_.ledger.free_mib(g) - others - deduct_[u(g)];
}

void FreeView::TakeNominated(GpuIndex g, MiB mib, JobId job) {
  GPUSCHED_CHECK(mib <= UsableByNominee(g, job), "nominee bind exceeds its usable memory");
  prior_nom_[u(g)] -= nominated_for(g, job);
  for (auto& [gpu, nom] : nominations_) {
    if (gpu == g && nom.first == job) nom.second = 0;
  }
  deduct_[u(g)] += mib;
  Recompute(g);
}

void FreeView::Recompute(GpuIndex g) {
  SetAvail(g, std::max<MiB>(0, ctx_.ledger.free_mib(g) - prior_nom_[u(g)] - deduct_[u(g)]));
}

void FreeView::Reserve(GpuIndex g, MiB mib, Instant from, JobId job) {
  claim_[u(g)] += mib;
  const MiB moved = std::min(mib, avail_[u(g)]);
  if (moved <= 0) return;
  if (held_[u(g)] == 0) held_gpus_.push_back(g);
  node_held_[static_cast<std::size_t>(ctx_.ledger.gpu(g).node)] = 1;
  held_types_.set(static_cast<std::size_t>(ctx_.ledger.gpu(g).type));
  latest_held_from_ = std::max(latest_held_from_, from);
  held_[u(g)] += moved;
  if (from < held_from_[u(g)]) {
    held_from_[u(g)] = from;
    held_for_[u(g)] = job;
  }
  deduct_[u(g)] += moved;
  Recompute(g);
}

}  // namespace gpusched::internal
