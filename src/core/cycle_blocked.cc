// Step 7 of a job's turn in the cycle: it fits nowhere now. In order: say so
// if nothing will ever help; open a slice by defragmentation; preempt; hold a
// reservation; or wait with the binding constraint as the reason.
#include <algorithm>

#include <fmt/format.h>

#include "core/cycle.h"
#include "core/defrag.h"
#include "core/format.h"
#include "core/preemption.h"
#include "core/reservation.h"
#include "core/victims.h"

namespace gpusched::internal {

void Cycle::Blocked(int idx, const Request& r, int position) {
  const NoFit nf = Explain(r);
  if (nf.code == WaitCode::kInfeasible) {
    AddWait(idx, nf.code, nf.reason, position);
    return;
  }
  if (!ctx_.policy.enable_backfill) fifo_head_ = ctx_.jobs[idx].job->id;
  if (nf.fragmented && TryDefrag(idx, r, nf)) return;
  std::string note;
  if (TryPreempt(idx, r, nf, position, &note)) return;
  Reserve(idx, r, nf, position, note);
}

bool Cycle::TryDefrag(int idx, const Request& r, const NoFit& nf) {
  // Moving a job stops it like a preemption: the same permission applies.
  if (!ctx_.policy.enable_defrag || !ctx_.policy.enable_preemption ||
      ctx_.jobs[idx].cls->policy == PreemptionPolicy::kNever ||
      result_.stats.defrag_attempts >= ctx_.policy.max_defrag_attempts) {
    return false;
  }
  ++result_.stats.defrag_attempts;
  auto plan = FindDefrag(r, idx, ctx_, view_);
  if (!plan) return false;
  const Job& job = *ctx_.jobs[idx].job;
  DefragPlan out;
  out.beneficiary = job.id;
  out.nominated.slices.push_back({plan->target, plan->need});
  out.nomination_expires_at = ctx_.now + ctx_.policy.nomination_ttl;
  for (const Move& m : plan->moves) {
    JobInfo& mover = ctx_.jobs[m.job];
    mover.doomed = true;
    view_.Nominate(m.to.gpu, m.to.memory_mib);
    out.moves.push_back({mover.job->id, Placement{{m.to}}, m.lost_gpu_s,
                         fmt::format("moves from {} to {} to open {} for job {}; loses {} GPU-s since "
                                     "its checkpoint",
                                     ctx_.ledger.GpuName(plan->target), ctx_.ledger.GpuName(m.to.gpu),
                                     FormatMib(plan->need), job.id, m.lost_gpu_s)});
  }
  view_.Nominate(plan->target, plan->need);
  Charge(idx);
  out.reason = fmt::format("{}; moving {} job(s) opens {} on {}", nf.reason, plan->moves.size(),
                           FormatMib(plan->need), ctx_.ledger.GpuName(plan->target));
  result_.defrags.push_back(std::move(out));
  return true;
}

bool Cycle::TryPreempt(int idx, const Request& r, const NoFit& nf, int position, std::string* note) {
  const JobInfo& ji = ctx_.jobs[idx];
  if (!ctx_.policy.enable_preemption) return false;
  if (ji.cls->policy == PreemptionPolicy::kNever) {
    *note = fmt::format("; class {} never preempts", ji.cls->name);
    return false;
  }
  if (ClusterFrozen(ctx_)) {
    *note = "; preemption is frozen cluster-wide";
    return false;
  }
  const PreemptKey key{ShapeOf(r), ji.class_value, ji.tenant};
  if (auto it = no_preempt_.find(key); it != no_preempt_.end()) {
    *note = "; no preemption: " + it->second;
    return false;
  }
  if (result_.stats.preemption_attempts >= ctx_.policy.max_preemption_attempts) {
    *note = "; preemption deferred to a later cycle (this cycle's limit reached)";
    return false;
  }
  ++result_.stats.preemption_attempts;
  PreemptionOutcome out = FindPreemption(r, idx, ctx_, view_);
  if (out.wait_instead) {
    AddWait(idx, WaitCode::kWaitInstead, nf.reason + "; " + *out.wait_instead, position, out.wait_until);
    return true;
  }
  if (!out.plan) {
    no_preempt_.emplace(key, out.why_not);
    *note = "; no preemption: " + out.why_not;
    return false;
  }
  Preemption p;
  p.preemptor = ji.job->id;
  p.nominated = out.plan->nominated;
  p.nomination_expires_at = ctx_.now + out.plan->grace + ctx_.policy.nomination_ttl;
  p.grace = out.plan->grace;
  p.cost = out.plan->cost;
  for (int v : out.plan->victims) {
    JobInfo& vi = ctx_.jobs[v];
    vi.doomed = true;
    if (vi.tenant >= 0) ctx_.tenant_gpus[static_cast<std::size_t>(vi.tenant)] -= vi.job->gpus;
    const VictimCost c = CostOf(v, ji.class_value, ctx_);
    p.victims.push_back({vi.job->id, c.lost_gpu_s, c.restart_gpu_s,
                         fmt::format("preempted for job {} ({} > {}); loses {} GPU-s since its last "
                                     "checkpoint, restart {} GPU-s",
                                     ji.job->id, ji.cls->name, vi.cls ? vi.cls->name : "?",
                                     c.lost_gpu_s, c.restart_gpu_s)});
  }
  for (const Slice& s : p.nominated.slices) view_.Nominate(s.gpu, s.memory_mib);
  Charge(idx);
  p.reason = fmt::format("{}; preempting {} job(s) on {} at a cost of {:.0f} weighted GPU-s", nf.reason,
                         p.victims.size(), ctx_.ledger.GpuName(p.nominated.slices[0].gpu), p.cost);
  result_.preemptions.push_back(std::move(p));
  return true;
}

void Cycle::Reserve(int idx, const Request& r, const NoFit& nf, int position, const std::string& note) {
  const Job& job = *ctx_.jobs[idx].job;
  if (ctx_.policy.enable_reservations && ctx_.policy.enable_backfill &&
      reservations_ < ctx_.policy.max_reservations) {
    if (auto plan = PlanReservation(r, ctx_, view_)) {
      ++reservations_;
      for (const Slice& s : plan->slices.slices) view_.Reserve(s.gpu, s.memory_mib, plan->start, job.id);
      const bool known = plan->start != kNever;
      AddWait(idx, WaitCode::kReserved,
              fmt::format("{}{}; holds a reservation on {}, {}", nf.reason, note,
                          ctx_.ledger.GpuName(plan->slices.slices[0].gpu),
                          known ? "predicted to start in " + FormatDuration(plan->start - ctx_.now)
                                : std::string("start unknown: jobs there have no runtime estimate")),
              position, known ? std::optional<Instant>(plan->start) : std::nullopt);
      return;
    }
  }
  // A job that would have tried preemption but for this cycle's bound says
  // so in its code: the next cycle tries again.
  const bool deferred = note.find("preemption deferred") != std::string::npos;
  AddWait(idx, deferred ? WaitCode::kDeferred : nf.code, nf.reason + note, position);
}

}  // namespace gpusched::internal
