// A synthetic large fleet for benchmarks: 2,000 nodes x 8 GPUs of mixed
// types, running jobs filling a target share of GPU memory, and a queue of
// pending jobs with a realistic mix of classes, sizes and tenants. Seeded:
// the same seed gives the same fleet.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "gpusched/cluster.h"
#include "gpusched/job.h"
#include "gpusched/priority.h"
#include "gpusched/runtime_model.h"
#include "gpusched/snapshot.h"
#include "gpusched/tenant.h"

namespace gpusched::bench {

struct FleetOptions {
  int nodes = 2000;
  int gpus_per_node = 8;
  int allocated_percent = 90;  // of all GPU memory, by running jobs
  int pending = 50000;
  std::uint64_t seed = 42;
};

struct Fleet {
  GpuCatalog catalog = GpuCatalog::BuiltIn();
  ClassTable classes = ClassTable::Defaults();
  std::unique_ptr<ClusterLedger> ledger;
  std::unique_ptr<RuntimeModel> runtime;
  std::vector<Job> jobs;
  std::vector<Tenant> tenants;
  Instant now = AtSecond(10'000'000);
  double allocated_fraction = 0;  // measured after filling
  int running = 0;

  Snapshot Snap() const;
};

// REQUIRES: options.nodes > 0. The catalog is the built-in one.
std::unique_ptr<Fleet> MakeFleet(const FleetOptions& options);

}  // namespace gpusched::bench
