// The cycle's driver: walks the queue in order and decides for each job.
// Internal; the public entry point is RunCycle (include/gpusched/cycle.h).
#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "core/cycle_context.h"
#include "core/free_view.h"
#include "core/placement.h"
#include "gpusched/decision.h"

namespace gpusched::internal {

// Jobs with the same Shape fit the same places; a failed search for one
// holds for all of them for the rest of the cycle (free memory only shrinks
// during a cycle).
struct Shape {
  int gpus;
  MiB mib;
  int permille;
  bool exclusive;
  bool multi_node;
  TypeMask types;
  bool operator==(const Shape&) const = default;
};
struct ShapeHash {
  std::size_t operator()(const Shape& s) const;
};
// A failed preemption search holds for jobs of the same shape, priority and
// tenant (guarantees depend on the tenant).
struct PreemptKey {
  Shape shape;
  std::int64_t priority;
  int tenant;
  bool operator==(const PreemptKey&) const = default;
};
struct PreemptKeyHash {
  std::size_t operator()(const PreemptKey& k) const;
};

class Cycle {
 public:
  Cycle(CycleContext& ctx, FreeView& view);
  CycleResult Run();

 private:
  void Consider(int idx, int position);
  bool NeedsApproval(int idx, const Request& r, int position);
  bool IsCriticalClass(const PriorityClass& cls) const;
  GpuTypeId LikelyType(const Request& r) const;
  // Adds the job's predicted critical GPU-seconds (set by NeedsApproval) to
  // its tenant's use in this cycle, when it starts or preempts.
  void ChargeCritical(int idx);
  // Counts the job's GPUs for its tenant (it starts, or capacity is being
  // freed for it) and charges its critical GPU-seconds.
  void Charge(int idx);
  bool TryNomination(int idx, int position);
  std::optional<std::string> TenantLimit(const JobInfo& ji) const;
  bool TryBind(int idx, const Request& r);
  bool TryBackfill(int idx, const Request& r);
  std::string NodesOf(const Placement& p) const;
  void Blocked(int idx, const Request& r, int position);
  bool TryDefrag(int idx, const Request& r, const NoFit& nf);
  bool TryPreempt(int idx, const Request& r, const NoFit& nf, int position, std::string* note);
  void Reserve(int idx, const Request& r, const NoFit& nf, int position, const std::string& note);

  void Bind(int idx, const Found& found, std::string reason);
  void AddWait(int idx, WaitCode code, std::string reason, int position,
               std::optional<Instant> start = std::nullopt);
  const NoFit& Explain(const Request& r);

  CycleContext& ctx_;
  FreeView& view_;
  CycleResult result_;
  std::unordered_map<Shape, NoFit, ShapeHash> no_fit_;
  std::unordered_map<PreemptKey, std::string, PreemptKeyHash> no_preempt_;
  std::optional<JobId> fifo_head_;  // first blocked job when backfill is off
  int reservations_ = 0;
  EndByType backfill_ends_;  // scratch for TryBackfill
  std::vector<std::int64_t> critical_gpu_s_;  // per tenant, started this cycle
  std::int64_t pending_critical_gpu_s_ = 0;   // of the job being considered
};

Shape ShapeOf(const Request& r);

}  // namespace gpusched::internal
