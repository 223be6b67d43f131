#include "core/cycle.h"

#include <algorithm>
#include <functional>
#include <limits>

#include <fmt/format.h>

#include "core/format.h"
#include "core/queue_order.h"
#include "gpusched/admission.h"
#include "gpusched/cycle.h"

namespace gpusched {

CycleResult RunCycle(const Snapshot& snapshot) {
  GPUSCHED_CHECK(snapshot.ledger != nullptr, "snapshot has no ledger");
  GPUSCHED_CHECK(snapshot.classes != nullptr, "snapshot has no class table");
  internal::CycleContext ctx(snapshot);
  internal::FreeView view(ctx);
  internal::Cycle cycle(ctx, view);
  return cycle.Run();
}

namespace internal {

std::size_t ShapeHash::operator()(const Shape& s) const {
  std::size_t h = std::hash<TypeMask>()(s.types);
  for (std::int64_t v : {std::int64_t{s.gpus}, s.mib, std::int64_t{s.permille},
                         std::int64_t{s.exclusive}, std::int64_t{s.multi_node}}) {
    h = h * 1000003u ^ std::hash<std::int64_t>()(v);
  }
  return h;
}

std::size_t PreemptKeyHash::operator()(const PreemptKey& k) const {
  return ShapeHash()(k.shape) * 31u ^ std::hash<std::int64_t>()(k.priority * 8191 + k.tenant);
}

Shape ShapeOf(const Request& r) {
  return Shape{r.gpus, r.mib, r.permille, r.exclusive, r.multi_node, r.types};
}

Cycle::Cycle(CycleContext& ctx, FreeView& view)
    : ctx_(ctx), view_(view), critical_gpu_s_(ctx.snap.tenants.size(), 0) {}

CycleResult Cycle::Run() {
  result_.stats.pending = static_cast<int>(ctx_.pending.size());
  result_.stats.running = static_cast<int>(ctx_.running.size());
  const std::vector<int> order = SortPending(ctx_);
  result_.waits.reserve(order.size());
  // The queue order visits jobs in no memory order: fetch ahead.
  constexpr std::size_t kAhead = 8;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i + kAhead < order.size()) {
      const JobInfo& ahead = ctx_.jobs[order[i + kAhead]];
      __builtin_prefetch(ahead.job);
      __builtin_prefetch(reinterpret_cast<const char*>(ahead.job) + 64);
      if (i + 2 * kAhead < order.size()) __builtin_prefetch(&ctx_.jobs[order[i + 2 * kAhead]]);
    }
    Consider(order[i], static_cast<int>(i) + 1);
  }
  return std::move(result_);
}

namespace {

// What makes a request impossible whatever the fleet: nonsense sizes.
std::optional<std::string> InvalidRequest(const Job& job) {
  if (job.gpus < 1) return fmt::format("requests {} GPUs; a job needs at least 1", job.gpus);
  if (job.memory_fraction_permille < 0 || job.memory_fraction_permille > 1000) {
    return fmt::format("memory share {} permille is outside 1..1000", job.memory_fraction_permille);
  }
  if (!job.exclusive && job.memory_fraction_permille == 0 && job.memory_per_gpu_mib <= 0) {
    return fmt::format("memory per GPU is {} MiB; it must be positive", job.memory_per_gpu_mib);
  }
  return std::nullopt;
}

}  // namespace

// Steps for one pending job, in order; the first that decides ends it.
void Cycle::Consider(int idx, int position) {
  pending_critical_gpu_s_ = 0;
  JobInfo& ji = ctx_.jobs[idx];
  const Job& job = *ji.job;
  // 1. Its class and tenant must be known and its request make sense.
  if (!ji.cls) {
    AddWait(idx, WaitCode::kInfeasible, fmt::format("unknown class \"{}\"", job.class_name), position);
    return;
  }
  if (ji.tenant < 0) {
    AddWait(idx, WaitCode::kInfeasible, fmt::format("unknown tenant \"{}\"", job.tenant), position);
    return;
  }
  if (auto invalid = InvalidRequest(job)) {
    AddWait(idx, WaitCode::kInfeasible, *invalid, position);
    return;
  }
  // 2. Without backfill (FIFO), nothing passes the first blocked job.
  if (fifo_head_) {
    AddWait(idx, WaitCode::kNoCapacity,
            fmt::format("waits behind job {} (strict order, no backfill)", *fifo_head_), position);
    return;
  }
  const Request r = MakeRequest(job, ctx_.catalog);
  // 3. Approval: class above the tenant's allowance, or critical budget spent.
  if (NeedsApproval(idx, r, position)) return;
  // 4. Capacity freed for it by an earlier preemption or defragmentation.
  if (TryNomination(idx, position)) return;
  // 5. Tenant limit: guarantee plus borrowing limit.
  if (auto limit = TenantLimit(ji)) {
    AddWait(idx, WaitCode::kTenantLimit, *limit, position);
    return;
  }
  // 6. Filter and score on free capacity; then backfill on reserved capacity.
  if (TryBind(idx, r) || TryBackfill(idx, r)) return;
  // 7. Nothing fits: defragment, preempt, reserve, or wait with the reason.
  Blocked(idx, r, position);
}

// The GPU type a job would most likely run on: the smallest card of an
// acceptable type in the fleet that can hold it (what placement prefers).
GpuTypeId Cycle::LikelyType(const Request& r) const {
  for (GpuTypeId t : ctx_.types_by_size) {
    const MiB card = ctx_.min_total_by_type[static_cast<std::size_t>(t)];
    if (r.types.test(static_cast<std::size_t>(t)) && card != std::numeric_limits<MiB>::max() &&
        NeedOn(r, card) <= card) {
      return t;
    }
  }
  return ctx_.types_by_size.empty() ? 0 : ctx_.types_by_size.front();
}

bool Cycle::NeedsApproval(int idx, const Request& r, int position) {
  const JobInfo& ji = ctx_.jobs[idx];
  const Job& job = *ji.job;
  if (job.approved || ctx_.catalog.size() == 0) return false;
  const std::int64_t gpu_s =
      PredictTotal(job, LikelyType(r), ctx_.catalog, ctx_.snap.runtime).count() * r.gpus;
  // Critical work started earlier in this cycle counts against the budget.
  Tenant tenant = *ctx_.tenant(ji.tenant);
  tenant.critical_used_gpu_s += critical_gpu_s_[static_cast<std::size_t>(ji.tenant)];
  auto why = ApprovalNeeded(job, tenant, *ctx_.snap.classes, gpu_s);
  if (!why) {
    pending_critical_gpu_s_ = IsCriticalClass(*ji.cls) ? gpu_s : 0;
    return false;
  }
  AddWait(idx, WaitCode::kAwaitingApproval, *why, position);
  return true;
}

bool Cycle::IsCriticalClass(const PriorityClass& cls) const {
  const PriorityClass* critical = ctx_.snap.classes->Find("critical");
  if (!critical && !ctx_.snap.classes->classes().empty()) critical = &ctx_.snap.classes->classes().front();
  return critical && critical->name == cls.name;
}

// Binds the job on capacity freed for it, or keeps it waiting for its
// victims, while its nomination holds (CycleContext::NominationHolds).
bool Cycle::TryNomination(int idx, int position) {
  const Job& job = *ctx_.jobs[idx].job;
  if (!ctx_.NominationHolds(job)) return false;
  const Placement& nominated = job.nomination->placement;
  const std::string where = ctx_.ledger.GpuName(nominated.slices[0].gpu);
  const bool ready = std::all_of(nominated.slices.begin(), nominated.slices.end(), [&](const Slice& s) {
    return s.memory_mib <= view_.UsableByNominee(s.gpu, job.id);
  });
  if (ready) {
    // Its GPUs were counted for its tenant when it was nominated.
    for (const Slice& s : nominated.slices) view_.TakeNominated(s.gpu, s.memory_mib, job.id);
    ChargeCritical(idx);
    result_.binds.push_back({job.id, nominated, fmt::format("starts on the capacity freed for it on {}", where)});
    return true;
  }
  std::vector<JobId> leaving;
  for (const Slice& s : nominated.slices) {
    for (const Occupant& o : ctx_.occupants(s.gpu)) {
      if (ctx_.jobs[o.job].phase == JobPhase::kPreempting) leaving.push_back(ctx_.jobs[o.job].id);
    }
  }
  std::sort(leaving.begin(), leaving.end());
  leaving.erase(std::unique(leaving.begin(), leaving.end()), leaving.end());
  AddWait(idx, WaitCode::kAwaitingVictims,
          leaving.empty() ? fmt::format("capacity on {} is held for it until jobs there exit", where)
                          : fmt::format("waiting for preempted job(s) {} to checkpoint and exit on {}",
                                        fmt::join(leaving, ", "), where),
          position, job.nomination->expires_at);
  return true;
}

void Cycle::Charge(int idx) {
  const JobInfo& ji = ctx_.jobs[idx];
  if (ji.tenant >= 0) ctx_.tenant_gpus[static_cast<std::size_t>(ji.tenant)] += ji.job->gpus;
  ChargeCritical(idx);
}

void Cycle::ChargeCritical(int idx) {
  const JobInfo& ji = ctx_.jobs[idx];
  if (ji.tenant >= 0 && !ji.job->approved) {
    critical_gpu_s_[static_cast<std::size_t>(ji.tenant)] += pending_critical_gpu_s_;
  }
  pending_critical_gpu_s_ = 0;
}

std::optional<std::string> Cycle::TenantLimit(const JobInfo& ji) const {
  const Tenant* t = ctx_.tenant(ji.tenant);
  if (!t || !t->borrow_limit_gpus) return std::nullopt;
  const int limit = t->guaranteed_gpus + *t->borrow_limit_gpus;
  const int used = ctx_.tenant_gpus[static_cast<std::size_t>(ji.tenant)];
  if (used + ji.job->gpus <= limit) return std::nullopt;
  return fmt::format("tenant \"{}\" uses {} GPUs; {} more would pass its limit of {} (guarantee {} + borrowing {})",
                     t->name, used, ji.job->gpus, limit, t->guaranteed_gpus, *t->borrow_limit_gpus);
}

bool Cycle::TryBind(int idx, const Request& r) {
  const Shape shape = ShapeOf(r);
  if (no_fit_.contains(shape)) {
    ++result_.stats.shape_cache_hits;
    return false;
  }
  ++result_.stats.placement_searches;
  auto found = FindPlacement(r, ctx_, view_);
  if (!found) return false;
  const GpuInfo& g = ctx_.ledger.gpu(found->placement.slices[0].gpu);
  std::string reason =
      r.gpus == 1 ? fmt::format("fits on {} ({}, {} left): smallest card that fits",
                                ctx_.ledger.GpuName(found->placement.slices[0].gpu),
                                ctx_.catalog.type(g.type).name,
                                FormatMib(view_.avail(found->placement.slices[0].gpu) -
                                          found->placement.slices[0].memory_mib))
                  : fmt::format("fits on {} GPUs of {} ({})", r.gpus, NodesOf(found->placement),
                                ctx_.catalog.type(g.type).name);
  if (found->locality > 0) reason += "; image/dataset cached there";
  Bind(idx, *found, std::move(reason));
  return true;
}

// "node-a" or "node-a, node-b": the nodes a placement spans.
std::string Cycle::NodesOf(const Placement& p) const {
  std::vector<NodeIndex> nodes;
  for (const Slice& s : p.slices) nodes.push_back(ctx_.ledger.gpu(s.gpu).node);
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  std::vector<std::string_view> names;
  for (NodeIndex n : nodes) names.push_back(ctx_.ledger.node(n).name);
  return fmt::format("{}", fmt::join(names, ", "));
}

bool Cycle::TryBackfill(int idx, const Request& r) {
  if (!ctx_.policy.enable_backfill || view_.held_gpus().empty()) return false;
  const Job& job = *ctx_.jobs[idx].job;
  // When it would end on each type that holds reserved capacity; a job that
  // cannot end before the last reservation starts cannot backfill.
  EndByType& ends = backfill_ends_;
  ends.assign(ctx_.catalog.size(), kNever);
  Instant earliest = kNever;
  for (std::size_t t = 0; t < ctx_.catalog.size(); ++t) {
    if (!view_.held_types().test(t)) continue;
    const Duration d = PredictTotal(job, static_cast<GpuTypeId>(t), ctx_.catalog, ctx_.snap.runtime);
    if (d.count() <= 0) continue;
    ends[t] = ctx_.now + d;
    earliest = std::min(earliest, ends[t]);
  }
  if (earliest > view_.latest_held_from()) return false;
  auto found = FindPlacement(r, ctx_, view_, &ends);
  if (!found) return false;
  const GpuIndex g0 = found->placement.slices[0].gpu;
  Bind(idx, *found,
       found->used_held
           ? fmt::format("backfills on {}: predicted to finish before job {}'s reservation there starts",
                         ctx_.ledger.GpuName(g0), view_.held_for(g0))
           : fmt::format("fits on {}", ctx_.ledger.GpuName(g0)));
  return true;
}

void Cycle::Bind(int idx, const Found& found, std::string reason) {
  for (const Slice& s : found.placement.slices) view_.Take(s.gpu, s.memory_mib);
  Charge(idx);
  const JobInfo& ji = ctx_.jobs[idx];
  result_.binds.push_back({ji.job->id, found.placement, std::move(reason)});
}

void Cycle::AddWait(int idx, WaitCode code, std::string reason, int position,
                    std::optional<Instant> start) {
  result_.waits.push_back({ctx_.jobs[idx].job->id, code, std::move(reason), position, start});
}

const NoFit& Cycle::Explain(const Request& r) {
  const Shape shape = ShapeOf(r);
  auto it = no_fit_.find(shape);
  if (it == no_fit_.end()) it = no_fit_.emplace(shape, ExplainNoFit(r, ctx_, view_)).first;
  return it->second;
}

}  // namespace internal
}  // namespace gpusched
