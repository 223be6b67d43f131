#include "fleet.h"

#include <algorithm>
#include <array>
#include <random>
#include <string>

namespace gpusched::bench {
namespace {

constexpr std::array<const char*, 6> kPools = {"T4", "A10", "L4", "V100-32", "A100-40", "A100-80"};
constexpr std::array<int, 6> kPoolPercent = {30, 20, 15, 15, 12, 8};
constexpr std::array<MiB, 7> kSizes = {GiB(4), GiB(6), GiB(9), GiB(12), GiB(18), GiB(24), GiB(40)};
constexpr std::array<const char*, 5> kClasses = {"critical", "high", "medium", "low", "batch"};

const char* PickPool(int node, int nodes) {
  int acc = 0;
  const int pct = node * 100 / nodes;
  for (std::size_t i = 0; i < kPools.size(); ++i) {
    acc += kPoolPercent[i];
    if (pct < acc) return kPools[i];
  }
  return kPools.back();
}

Job BaseJob(JobId id, std::mt19937_64& rng, Instant now) {
  Job j;
  j.id = id;
  j.tenant = "tenant-" + std::to_string(rng() % 8);
  j.progress.epochs_total = 50 + static_cast<int>(rng() % 250);
  j.progress.epoch_t4 = Duration(60 + static_cast<std::int64_t>(rng() % 540));
  j.model_key = "yolov8" + std::string(1, "nsmlx"[rng() % 5]) + "/detect";
  j.submit_time = j.eligible_since = now - Duration(static_cast<std::int64_t>(rng() % 86400));
  return j;
}

void AddRunning(Fleet& f, Job j, const Placement& p, std::mt19937_64& rng) {
  j.phase = JobPhase::kRunning;
  static constexpr std::array<int, 5> kRunningClassPermille = {0, 100, 450, 300, 150};
  int roll = static_cast<int>(rng() % 1000), c = 0;
  while (c < 4 && roll >= kRunningClassPermille[static_cast<std::size_t>(c)]) roll -= kRunningClassPermille[static_cast<std::size_t>(c++)];
  j.class_name = kClasses[static_cast<std::size_t>(c)];
  j.gpus = static_cast<int>(p.slices.size());
  j.started_at = f.now - Duration(300 + static_cast<std::int64_t>(rng() % 36000));
  j.last_checkpoint_at = f.now - Duration(static_cast<std::int64_t>(rng() % 1800));
  // At least five epochs left: no running job is about to finish.
  j.progress.epochs_done = static_cast<int>(rng() % static_cast<std::uint64_t>(j.progress.epochs_total - 5));
  if (rng() % 10 == 0) j.preempted_at.push_back(f.now - Duration(3600));
  if (f.ledger->Allocate(j.id, p)) {
    f.jobs.push_back(std::move(j));
    ++f.running;
  }
}

// Fills one node: sometimes one 8-GPU gang, else per GPU an exclusive job or
// shared jobs packed up to a random fill level.
void FillNode(Fleet& f, NodeIndex n, int target_pct, std::mt19937_64& rng, JobId& next_id) {
  const GpuIndex first = f.ledger->first_gpu(n);
  const auto count = static_cast<GpuIndex>(f.ledger->node(n).gpus.size());
  if (rng() % 100 < 12) {
    Placement p;
    for (GpuIndex g = first; g < first + count; ++g) p.slices.push_back({g, f.ledger->gpu(g).total_mib});
    Job j = BaseJob(next_id++, rng, f.now);
    j.exclusive = true;
    AddRunning(f, std::move(j), p, rng);
    return;
  }
  for (GpuIndex g = first; g < first + count; ++g) {
    const MiB total = f.ledger->gpu(g).total_mib;
    if (rng() % 100 < 25) {
      Job j = BaseJob(next_id++, rng, f.now);
      j.exclusive = true;
      AddRunning(f, std::move(j), Placement{{{g, total}}}, rng);
      continue;
    }
    const MiB limit = total * (target_pct - 10 + static_cast<int>(rng() % 20)) / 100;
    const int tries = target_pct >= 100 ? 64 : 8;  // a full fleet leaves < 4 GiB per GPU
    for (int t = 0; t < tries; ++t) {
      const MiB size = kSizes[rng() % 5];
      if (total - f.ledger->free_mib(g) + size > limit) continue;
      Job j = BaseJob(next_id++, rng, f.now);
      j.memory_per_gpu_mib = size;
      AddRunning(f, std::move(j), Placement{{{g, size}}}, rng);
    }
  }
}

Job PendingJob(JobId id, std::mt19937_64& rng, const Fleet& f) {
  Job j = BaseJob(id, rng, f.now);
  static constexpr std::array<int, 5> kPendingClassPermille = {10, 100, 400, 300, 190};
  int roll = static_cast<int>(rng() % 1000), c = 0;
  while (c < 4 && roll >= kPendingClassPermille[static_cast<std::size_t>(c)]) roll -= kPendingClassPermille[static_cast<std::size_t>(c++)];
  j.class_name = kClasses[static_cast<std::size_t>(c)];
  const int g = static_cast<int>(rng() % 100);
  j.gpus = g < 80 ? 1 : g < 88 ? 2 : g < 95 ? 4 : 8;
  j.memory_per_gpu_mib = kSizes[rng() % kSizes.size()];
  if (rng() % 5 == 0) {
    j.gpu_types.push_back(*f.catalog.Find(kPools[rng() % kPools.size()]));
    j.gpu_types.push_back(*f.catalog.Find("A100-80"));
  }
  return j;
}

}  // namespace

Snapshot Fleet::Snap() const {
  Snapshot s;
  s.now = now;
  s.ledger = ledger.get();
  s.classes = &classes;
  s.runtime = runtime.get();
  s.jobs = jobs;
  s.tenants = tenants;
  return s;
}

std::unique_ptr<Fleet> MakeFleet(const FleetOptions& o) {
  auto f = std::make_unique<Fleet>();
  f->ledger = std::make_unique<ClusterLedger>(&f->catalog);
  f->runtime = std::make_unique<RuntimeModel>(&f->catalog);
  std::mt19937_64 rng(o.seed);
  for (int n = 0; n < o.nodes; ++n) {
    NodeSpec spec;
    spec.name = "node-" + std::to_string(n);
    const GpuTypeId type = *f->catalog.Find(PickPool(n, o.nodes));
    spec.gpus.assign(static_cast<std::size_t>(o.gpus_per_node), GpuSpec{type, 0, "", true});
    if (n % 3 == 0) spec.labels = {"image:ultralytics", "dataset:coco"};
    (void)f->ledger->AddNode(std::move(spec));
  }
  for (int t = 0; t < 8; ++t) {
    Tenant tenant;
    tenant.name = "tenant-" + std::to_string(t);
    tenant.guaranteed_gpus = o.nodes * o.gpus_per_node / 16;
    f->tenants.push_back(tenant);
  }
  JobId next_id = 1;
  for (NodeIndex n = 0; n < f->ledger->node_count(); ++n) FillNode(*f, n, o.allocated_percent, rng, next_id);
  MiB total = 0, free = 0;
  for (GpuIndex g = 0; g < f->ledger->gpu_count(); ++g) {
    total += f->ledger->gpu(g).total_mib;
    free += f->ledger->free_mib(g);
  }
  f->allocated_fraction = 1.0 - static_cast<double>(free) / static_cast<double>(total);
  for (int i = 0; i < o.pending; ++i) f->jobs.push_back(PendingJob(next_id++, rng, *f));
  return f;
}

}  // namespace gpusched::bench
