// The cycle's working view of free GPU memory. Starts from the ledger, less
// the capacity nominated to pending jobs by earlier cycles; then shrinks as
// the cycle binds, nominates and reserves. Only this object changes it.
//
// Three amounts per GPU:
//   avail      free for anyone now (the strict view);
//   held       reserved for a blocked job from `held_from` on; a backfill
//              job that ends by then may use it meanwhile;
//   held_used  the part of `held` backfill jobs took in this cycle.
// Invariant: avail + (held - held_used) <= the ledger's free memory.
//
// An index of avail per GPU type (ordered by avail) answers "the
// smallest-leftover GPU of this type with at least N MiB" in log time.
#pragma once

#include <set>
#include <span>
#include <utility>
#include <vector>

#include "core/cycle_context.h"

namespace gpusched::internal {

class FreeView {
 public:
  explicit FreeView(const CycleContext& ctx);

  MiB avail(GpuIndex g) const { return avail_[u(g)]; }
  MiB held_left(GpuIndex g) const { return held_[u(g)] - held_used_[u(g)]; }
  Instant held_from(GpuIndex g) const { return held_from_[u(g)]; }
  JobId held_for(GpuIndex g) const { return held_for_[u(g)]; }
  // Memory that reservations on `g` will claim when running jobs free it
  // (their need beyond what was free and is already held).
  MiB unheld_claim(GpuIndex g) const { return claim_[u(g)] - held_[u(g)]; }
  // Nominated capacity this GPU holds for `job` from earlier cycles.
  MiB nominated_for(GpuIndex g, JobId job) const;
  bool schedulable(GpuIndex g) const { return schedulable_[u(g)]; }
  // The k-th largest avail among the schedulable GPUs of node `n` (k >= 1);
  // 0 when the node has fewer than k such GPUs. A gang of k GPUs needing m
  // each can only fit on nodes where NodeKth(n, k) >= m.
  MiB NodeKth(NodeIndex n, int k) const {
    const auto node = static_cast<std::size_t>(n);
    return k <= node_schedulable_[node] ? node_sorted_[node_first_[node] + static_cast<std::size_t>(k - 1)]
                                        : 0;
  }
  const std::vector<GpuIndex>& held_gpus() const { return held_gpus_; }
  // The avail of node `n`'s schedulable GPUs, descending.
  std::span<const MiB> NodeSorted(NodeIndex n) const {
    const auto node = static_cast<std::size_t>(n);
    return {node_sorted_.data() + node_first_[node], static_cast<std::size_t>(node_schedulable_[node])};
  }
  bool node_has_held(NodeIndex n) const { return node_held_[static_cast<std::size_t>(n)] != 0; }
  // Types of the GPUs with held capacity, and the latest reservation start.
  const TypeMask& held_types() const { return held_types_; }
  Instant latest_held_from() const { return latest_held_from_; }

  // (avail, gpu) of schedulable GPUs of `type` with avail > 0, ascending.
  bool index_built() const { return !by_type_.empty(); }
  // Counts a linear scan made instead of using the index; returns the count.
  int CountScan() const { return ++scans_; }
  // Built on first use (a cycle without single-GPU searches never needs it).
  const std::set<std::pair<MiB, GpuIndex>>& by_type(GpuTypeId type) const {
    if (by_type_.empty()) BuildIndex();
    return by_type_[static_cast<std::size_t>(type)];
  }

  // A bind: takes `mib` from avail, then from unused held capacity.
  // REQUIRES: mib <= avail + held_left.
  void Take(GpuIndex g, MiB mib);
  // A nomination: the part of `mib` that is free now is held for the
  // nominee; the rest will come from its victims.
  void Nominate(GpuIndex g, MiB mib);
  // A reservation for `job` starting at `from`: moves up to `mib` of avail
  // into held.
  void Reserve(GpuIndex g, MiB mib, Instant from, JobId job);

  // Memory a nominee may use on `g` now: the ledger's free memory less what
  // is nominated to others and what this cycle already took.
  MiB UsableByNominee(GpuIndex g, JobId job) const;
  // Binds a nominee on its nominated GPU: its nomination there ends.
  // REQUIRES: mib <= UsableByNominee(g, job).
  void TakeNominated(GpuIndex g, MiB mib, JobId job);

 private:
  static std::size_t u(GpuIndex g) { return static_cast<std::size_t>(g); }
  void SetAvail(GpuIndex g, MiB value);
  // avail = max(0, ledger free - prior nominations - this cycle's deductions)
  void Recompute(GpuIndex g);
  void RefreshNode(NodeIndex n);
  void BuildIndex() const;

  const CycleContext& ctx_;
  std::vector<MiB> avail_, held_, held_used_;
  std::vector<MiB> prior_nom_;  // nominated by earlier cycles, still held
  std::vector<MiB> deduct_;     // taken, nominated or reserved in this cycle
  std::vector<MiB> claim_;  // total need of this cycle's reservations
  std::vector<Instant> held_from_;
  std::vector<JobId> held_for_;
  std::vector<char> schedulable_;
  // Per node, the avail of its schedulable GPUs in descending order, stored
  // flat at node_first_[n] (the node's first GPU index).
  std::vector<MiB> node_sorted_;
  std::vector<std::size_t> node_first_;
  std::vector<int> node_schedulable_;
  std::vector<char> node_held_;  // some GPU of the node has held capacity
  std::vector<GpuIndex> held_gpus_;
  TypeMask held_types_;
  Instant latest_held_from_{};
  mutable std::vector<std::set<std::pair<MiB, GpuIndex>>> by_type_;
  mutable int scans_ = 0;
  // Nominations from earlier cycles: gpu -> (job, MiB), few.
  std::vector<std::pair<GpuIndex, std::pair<JobId, MiB>>> nominations_;
};

}  // namespace gpusched::internal
