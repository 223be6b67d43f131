// Cycle-local state shared by the phases of one scheduling cycle. Internal to
// the core: built from a Snapshot at the start of RunCycle, dropped at the end.
#pragma once

#include <bitset>
#include <map>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/job_index.h"
#include "gpusched/snapshot.h"

namespace gpusched::internal {

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
  JobId id = 0;                         // copy of job->id (hot loops)
  int tenant = -1;                      // index into snapshot.tenants, -1 unknown
  const PriorityClass* cls = nullptr;   // effective class (boost applied)
  std::int64_t priority = 0;            // effective priority (queue order)
  // Value of the effective class (boost applied, no SLA pressure): what the
  // preemption rules compare.
  std::int64_t class_value = 0;
  JobPhase phase = JobPhase::kPending;  // copy of job->phase (hot loops)
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
  JobIndexMap index_of;
  // GPUs each tenant holds going forward: running jobs, nominated pending
  // jobs, and what this cycle binds or preempts for; less victims chosen in
  // this cycle. Jobs already stopping do not count.
  std::vector<int> tenant_gpus;
  std::vector<GpuTypeId> types_by_size;  // smallest card first
  std::vector<MiB> min_total_by_type;    // smallest card of each type in the ledger
  std::vector<TypeMask> node_types;      // GPU types present on each node
  // The shortest positive predicted remaining time of any running job.
  Duration soonest_end = kUnknownRuntime;
  std::vector<MiB> node_min_card;        // smallest card on each node
  std::vector<MiB> node_max_card;        // largest card on each node
  std::vector<GpuTypeId> node_max_type;  // type of that card
  std::vector<NodeIndex> nodes_by_card;  // nodes by smallest card, then index

  const Tenant* tenant(int idx) const {
    return idx < 0 ? nullptr : &snap.tenants[static_cast<std::size_t>(idx)];
  }
  // Running and preempting jobs on GPU `g`, with their slices.
  std::span<const Occupant> occupants(GpuIndex g) const;
  // Predicted remaining run time of running job `idx` on the GPUs it holds.
  Duration Remaining(int idx) const;

  // Victim facts of running job `idx` that do not depend on the preemptor:
  // its Shield code from the job-only rules (not preemptible, frozen,
  // minimum runtime, preemption limit).
  std::int8_t BaseShield(int idx) const;
  // GPU-seconds lost since its checkpoint, and restart overhead.
  std::pair<std::int64_t, std::int64_t> BaseCost(int idx) const;

  // Whether pending job `job` holds a nomination this cycle honours: not
  // expired, one slice per GPU it asks for, each on an existing schedulable
  // GPU of an acceptable type and at least its need there. Others hold
  // nothing: neither capacity nor tenant share.
  bool NominationHolds(const Job& job) const;

  // The class named `name`, or nullptr (a fast ClassTable::Find).
  const PriorityClass* FindClass(std::string_view name) const;
  // Index of the tenant named `name` in snap.tenants, or -1.
  int FindTenant(std::string_view name, const std::unordered_map<std::string_view, int>& index) const;

  // Whether the node holds the job's image and dataset (labels).
  int Locality(NodeIndex n, const std::string* image, const std::string* dataset) const;
  // The best Locality any node offers for this image and dataset (cached).
  int MaxLocality(const std::string* image, const std::string* dataset) const;

 private:
  void BuildOccupancy();
  std::vector<char> is_running_;         // by job index: running or preempting
  std::vector<Occupant> occupants_;      // CSR: all GPUs' occupants
  std::vector<NodeIndex> node_of_;       // by job index
  std::vector<GpuTypeId> type_of_;       // by job index
  std::vector<std::size_t> occ_begin_;   // per GPU, plus one end entry
  struct VictimFacts {
    std::int8_t shield = 0;  // Shield from the job-only rules
    std::int64_t lost_gpu_s = 0;
    std::int64_t restart_gpu_s = 0;
    Duration remaining = kUnknownRuntime;
  };
  void ComputeFacts(int idx);
  const VictimFacts& Facts(int idx) const;
  std::vector<VictimFacts> facts_;  // by job index (running jobs)
  mutable std::map<std::pair<std::string, std::string>, int> max_locality_;  // cache
};

}  // namespace gpusched::internal
