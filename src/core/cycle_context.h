// Cycle-local state shared by the phases of one scheduling cycle. Internal to
// the core: built from a Snapshot at the start of RunCycle, dropped at the end.
#pragma once

#include <bitset>
#include <string>
#include <unordered_map>
#include <vector>

#include "gpusched/snapshot.h"

namespace gpusched::internal {

constexpr std::size_t kMaxGpuTypes = 256;
using TypeMask = std::bitset<kMaxGpuTypes>;

// What a job asks of the cluster, resolved against the catalog.
struct Request {
  int gpus = 1;
  MiB mib = 0;
  int permille = 0;
  bool exclusive = false;
  bool multi_node = false;
  TypeMask types;  // acceptable types (all set when the job accepts any)
  const std::string* image = nullptr;
  const std::string* dataset = nullptr;
};

Request MakeRequest(const Job& job, const GpuCatalog& catalog);

// Memory the request needs on one GPU of `total` MiB.
MiB NeedOn(const Request& r, MiB total);

// Per-job facts computed once per cycle.
struct JobInfo {
  const Job* job = nullptr;
  int tenant = -1;                      // index into snapshot.tenants, -1 unknown
  const PriorityClass* cls = nullptr;   // effective class (boost applied)
  std::int64_t priority = 0;            // effective priority
  bool doomed = false;                  // chosen to stop in this cycle
};

// A running job's slice on one GPU.
struct Occupant {
  int job = 0;  // index into CycleContext::jobs
  MiB mib = 0;
};

struct CycleContext {
  explicit CycleContext(const Snapshot& s);

  const Snapshot& snap;
  const ClusterLedger& ledger;
  const GpuCatalog& catalog;
  const PolicyConfig& policy;
  Instant now;

  std::vector<JobInfo> jobs;   // parallel to snap.jobs
  std::vector<int> pending;    // indices of pending jobs, snapshot order
  std::vector<int> running;    // indices of running and preempting jobs
  std::unordered_map<JobId, int> index_of;
  std::vector<int> tenant_gpus;  // GPUs held per tenant (running + bound)
  std::vector<GpuTypeId> types_by_size;  // smallest card first
  std::vector<MiB> min_total_by_type;    // smallest card of each type in the ledger

  const Tenant* tenant(int idx) const {
    return idx < 0 ? nullptr : &snap.tenants[static_cast<std::size_t>(idx)];
  }
  const JobInfo& info(JobId id) const { return jobs[static_cast<std::size_t>(index_of.at(id))]; }
  JobInfo& info(JobId id) { return jobs[static_cast<std::size_t>(index_of.at(id))]; }
  // Running and preempting jobs on each GPU, with their slices (built on
  // first use; the ledger does not change during a cycle).
  const std::vector<std::vector<Occupant>>& occupancy() const;
  // Predicted remaining run time of running job `idx` (cached).
  Duration Remaining(int idx) const;

  // GPU type a running job runs on (its first slice's GPU).
  GpuTypeId RunningType(const Job& job) const;
  // Whether the node holds the job's image and dataset (labels).
  int Locality(NodeIndex n, const std::string* image, const std::string* dataset) const;

 private:
  mutable std::vector<std::vector<Occupant>> occupancy_;
  mutable bool occupancy_built_ = false;
  mutable std::vector<Duration> remaining_;  // Duration::min(): not computed
};

}  // namespace gpusched::internal
