#include "core/cycle_context.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <tuple>
#include <string_view>

#include "core/queue_order.h"
#include "core/victims.h"

namespace gpusched::internal {

Request MakeRequest(const Job& job, const GpuCatalog& catalog) {
  Request r;
  r.gpus = std::max(1, job.gpus);
  r.mib = job.memory_per_gpu_mib;
  r.permille = job.memory_fraction_permille;
  r.exclusive = job.exclusive;
  r.multi_node = job.multi_node;
  if (job.gpu_types.empty()) {
    for (std::size_t t = 0; t < catalog.size() && t < kMaxGpuTypes; ++t) r.types.set(t);
  } else {
    for (GpuTypeId t : job.gpu_types) {
      if (t >= 0 && static_cast<std::size_t>(t) < kMaxGpuTypes) r.types.set(static_cast<std::size_t>(t));
    }
  }
  if (!job.image.empty()) r.image = &job.image;
  if (!job.dataset.empty()) r.dataset = &job.dataset;
  return r;
}

MiB NeedOn(const Request& r, MiB total) {
  if (r.exclusive) return total;
  if (r.permille > 0) return (total * r.permille + 999) / 1000;
  return r.mib;
}

namespace {

bool IsPending(const Job& j) { return j.phase == JobPhase::kPending; }

// Equality of names, fast for the short names classes and tenants have: two
// (overlapping) 8-byte words compare any name of 8..16 bytes at once.
bool SameName(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  if (n > 16) return a == b;
  std::uint64_t a0, a1, b0, b1;
  std::memcpy(&a0, a.data(), 8);
  std::memcpy(&b0, b.data(), 8);
  std::memcpy(&a1, a.data() + n - 8, 8);
  std::memcpy(&b1, b.data() + n - 8, 8);
  return a0 == b0 && a1 == b1;
}

}  // namespace

CycleContext::CycleContext(const Snapshot& s)
    : snap(s),
      ledger(*s.ledger),
      catalog(s.ledger->catalog()),
      policy(s.policy),
      now(s.now),
      tenant_gpus(s.tenants.size(), 0) {
  std::unordered_map<std::string_view, int> tenant_index;
  for (std::size_t t = 0; t < s.tenants.size(); ++t) {
    tenant_index.emplace(s.tenants[t].name, static_cast<int>(t));
  }
  // Three passes. 1: ids and phases (the index the ledger's slices are
  // mapped through). 2: who runs where (occupancy, from the ledger).
  // 3: everything else per job, victim facts of running jobs included, in
  // snapshot order so the jobs' memory is read sequentially, once.
  jobs.resize(s.jobs.size());
  is_running_.assign(s.jobs.size(), 0);
  std::vector<JobId> ids(s.jobs.size());
  constexpr std::size_t kAhead = 8;  // jobs are large: fetch ahead of the loops
  for (std::size_t i = 0; i < s.jobs.size(); ++i) {
    if (i + kAhead < s.jobs.size()) __builtin_prefetch(&s.jobs[i + kAhead]);
    ids[i] = s.jobs[i].id;
    is_running_[i] = IsPending(s.jobs[i]) ? 0 : 1;
  }
  index_of.Reserve(ids);
  for (std::size_t i = 0; i < s.jobs.size(); ++i) index_of.Insert(ids[i], static_cast<int>(i));
  BuildOccupancy();
  facts_.assign(s.jobs.size(), VictimFacts{});
  for (std::size_t i = 0; i < s.jobs.size(); ++i) {
    if (i + kAhead < s.jobs.size()) {
      const char* ahead = reinterpret_cast<const char*>(&s.jobs[i + kAhead]);
      // The fields read below sit in the first five cache lines of a Job.
      for (std::size_t line = 0; line < 5 * 64 && line < sizeof(Job); line += 64) __builtin_prefetch(ahead + line);
    }
    if (i + kAhead / 2 < s.jobs.size()) {  // its Job lines arrived: fetch its history too
      const Job& soon = s.jobs[i + kAhead / 2];
      if (!soon.preempted_at.empty()) __builtin_prefetch(soon.preempted_at.data());
    }
    const Job& job = s.jobs[i];
    JobInfo& info = jobs[i];
    info.job = &job;
    info.id = job.id;
    info.phase = job.phase;
    info.tenant = FindTenant(job.tenant, tenant_index);
    info.cls = job.boost ? EffectiveClass(job, *s.classes, now) : FindClass(job.class_name);
    info.priority = info.cls ? info.cls->value : std::numeric_limits<std::int32_t>::min();
    info.class_value = info.priority;
    if (IsPending(job)) {
      if (info.cls) info.priority += SlaPressure(job, *info.cls, *s.classes, policy, now);
      pending.push_back(static_cast<int>(i));
    } else {
      running.push_back(static_cast<int>(i));
      ComputeFacts(static_cast<int>(i));
    }
    // What each tenant holds going forward: running jobs, and pending jobs
    // with capacity nominated to them; not jobs already stopping.
    const bool holds = job.phase == JobPhase::kRunning ||
                       (IsPending(job) && NominationHolds(job));
    if (holds && info.tenant >= 0) tenant_gpus[static_cast<std::size_t>(info.tenant)] += std::max(1, job.gpus);
  }
  min_total_by_type.assign(catalog.size(), std::numeric_limits<MiB>::max());
  node_types.assign(static_cast<std::size_t>(ledger.node_count()), TypeMask{});
  node_min_card.assign(static_cast<std::size_t>(ledger.node_count()), std::numeric_limits<MiB>::max());
  node_max_card.assign(static_cast<std::size_t>(ledger.node_count()), 0);
  node_max_type.assign(static_cast<std::size_t>(ledger.node_count()), 0);
  for (GpuIndex g = 0; g < ledger.gpu_count(); ++g) {
    const GpuInfo& info = ledger.gpu(g);
    MiB& m = min_total_by_type[static_cast<std::size_t>(info.type)];
    m = std::min(m, info.total_mib);
    node_types[static_cast<std::size_t>(info.node)].set(static_cast<std::size_t>(info.type));
    const auto node = static_cast<std::size_t>(info.node);
    node_min_card[node] = std::min(node_min_card[node], info.total_mib);
    if (info.total_mib > node_max_card[node]) {
      node_max_card[node] = info.total_mib;
      node_max_type[node] = info.type;
    }
  }
  nodes_by_card.resize(static_cast<std::size_t>(ledger.node_count()));
  for (NodeIndex n = 0; n < ledger.node_count(); ++n) nodes_by_card[static_cast<std::size_t>(n)] = n;
  std::stable_sort(nodes_by_card.begin(), nodes_by_card.end(), [&](NodeIndex a, NodeIndex b) {
    return node_min_card[static_cast<std::size_t>(a)] < node_min_card[static_cast<std::size_t>(b)];
  });
  for (std::size_t t = 0; t < catalog.size() && t < kMaxGpuTypes; ++t) {
    types_by_size.push_back(static_cast<GpuTypeId>(t));
  }
  std::stable_sort(types_by_size.begin(), types_by_size.end(), [&](GpuTypeId a, GpuTypeId b) {
    const GpuType& x = catalog.type(a);
    const GpuType& y = catalog.type(b);
    if (x.memory_mib != y.memory_mib) return x.memory_mib < y.memory_mib;
    return x.speed_milli < y.speed_milli;
  });
}

void CycleContext::BuildOccupancy() {
  const auto n = static_cast<std::size_t>(ledger.gpu_count());
  occ_begin_.assign(n + 1, 0);
  for (GpuIndex g = 0; g < ledger.gpu_count(); ++g) {
    occ_begin_[static_cast<std::size_t>(g) + 1] = occ_begin_[static_cast<std::size_t>(g)] + ledger.jobs_on(g).size();
  }
  occupants_.clear();
  occupants_.reserve(occ_begin_[n]);
  node_of_.assign(jobs.size(), -1);
  type_of_.assign(jobs.size(), 0);
  for (GpuIndex g = 0; g < ledger.gpu_count(); ++g) {
    const auto ids = ledger.jobs_on(g);
    const auto mibs = ledger.mib_on(g);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const int idx = index_of.Find(ids[i]);
      // A slice of a job the snapshot does not list is capacity nobody may
      // preempt: it stays out of the occupant lists.
      if (idx < 0 || !is_running_[static_cast<std::size_t>(idx)]) continue;
      occupants_.push_back({idx, mibs[i]});
      if (node_of_[static_cast<std::size_t>(idx)] < 0) {
        node_of_[static_cast<std::size_t>(idx)] = ledger.gpu(g).node;
        type_of_[static_cast<std::size_t>(idx)] = ledger.gpu(g).type;
      }
    }
    occ_begin_[static_cast<std::size_t>(g) + 1] = occupants_.size();
  }
}

std::span<const Occupant> CycleContext::occupants(GpuIndex g) const {
  const auto i = static_cast<std::size_t>(g);
  return {occupants_.data() + occ_begin_[i], occupants_.data() + occ_begin_[i + 1]};
}

// Facts about a running job that preemption, reservations and
// defragmentation need, computed in the constructor's pass over the jobs (in
// snapshot order, so their memory is read sequentially); the searches after
// it read only these compact arrays.
void CycleContext::ComputeFacts(int r) {
  const auto i = static_cast<std::size_t>(r);
  const Job& job = *jobs[r].job;
  VictimFacts& f = facts_[i];
  f.shield = static_cast<std::int8_t>(JobShield(job, jobs[r].cls, *this));
  std::tie(f.lost_gpu_s, f.restart_gpu_s) = StopCost(job, node_of_[i], *this);
  if (node_of_[i] >= 0) f.remaining = PredictRemaining(job, type_of_[i], now, catalog, snap.runtime);
  if (f.remaining > Duration(0) && f.remaining < soonest_end) soonest_end = f.remaining;
}

const CycleContext::VictimFacts& CycleContext::Facts(int idx) const {
  return facts_[static_cast<std::size_t>(idx)];
}

Duration CycleContext::Remaining(int idx) const { return Facts(idx).remaining; }

std::int8_t CycleContext::BaseShield(int idx) const { return Facts(idx).shield; }

std::pair<std::int64_t, std::int64_t> CycleContext::BaseCost(int idx) const {
  const VictimFacts& f = Facts(idx);
  return {f.lost_gpu_s, f.restart_gpu_s};
}

int CycleContext::MaxLocality(const std::string* image, const std::string* dataset) const {
  std::pair<std::string, std::string> key{image ? *image : "", dataset ? *dataset : ""};
  auto it = max_locality_.find(key);
  if (it != max_locality_.end()) return it->second;
  int best = 0;
  for (NodeIndex n = 0; n < ledger.node_count(); ++n) best = std::max(best, Locality(n, image, dataset));
  max_locality_.emplace(std::move(key), best);
  return best;
}

bool CycleContext::NominationHolds(const Job& job) const {
  if (!job.nomination || job.nomination->expires_at <= now) return false;
  const auto& slices = job.nomination->placement.slices;
  if (static_cast<int>(slices.size()) != job.gpus || job.gpus < 1) return false;
  const Request r = MakeRequest(job, catalog);
  return std::all_of(slices.begin(), slices.end(), [&](const Slice& s) {
    if (s.gpu < 0 || s.gpu >= ledger.gpu_count() || !ledger.Schedulable(s.gpu)) return false;
    const GpuInfo& info = ledger.gpu(s.gpu);
    const MiB need = NeedOn(r, info.total_mib);
    return r.types.test(static_cast<std::size_t>(info.type)) && need > 0 && s.memory_mib >= need;
  });
}

const PriorityClass* CycleContext::FindClass(std::string_view name) const {
  for (const PriorityClass& c : snap.classes->classes()) {
    if (SameName(c.name, name)) return &c;
  }
  return nullptr;
}

int CycleContext::FindTenant(std::string_view name,
                             const std::unordered_map<std::string_view, int>& index) const {
  // A handful of tenants: a scan beats hashing.
  if (snap.tenants.size() <= 16) {
    for (std::size_t t = 0; t < snap.tenants.size(); ++t) {
      if (SameName(snap.tenants[t].name, name)) return static_cast<int>(t);
    }
    return -1;
  }
  auto it = index.find(name);
  return it == index.end() ? -1 : it->second;
}

int CycleContext::Locality(NodeIndex n, const std::string* image,
                           const std::string* dataset) const {
  if (!image && !dataset) return 0;
  int score = 0;
  for (const std::string& label : ledger.node(n).labels) {
    std::string_view l = label;
    if (image && l.starts_with("image:") && l.substr(6) == *image) ++score;
    if (dataset && l.starts_with("dataset:") && l.substr(8) == *dataset) ++score;
  }
  return score;
}

}  // namespace gpusched::internal
