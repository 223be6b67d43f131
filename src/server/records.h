// The control plane's rows as the store keeps them: one JSON document per
// job and per node, and the counters. Placements are written by node name
// and GPU index (not ledger indices, which depend on registration order), so
// a restart rebuilds the ledger from the rows whatever order nodes return in.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "gpusched/cluster.h"
#include "gpusched/gpu_catalog.h"
#include "gpusched/status.h"
#include "server/control.h"
#include "server/fleet.h"

namespace gpusched::server {

// A job record with the slices it holds in the ledger (empty when none).
struct StoredJob {
  JobRecord record;
  std::vector<AssignedGpu> held;    // where its slices are
  std::vector<MiB> held_mib;        // parallel to `held`
  std::vector<AssignedGpu> nominated;  // the nomination's slices, if any
  std::vector<MiB> nominated_mib;
};

// REQUIRES: every GPU the job holds or is nominated on is in `ledger`.
std::string JobToJson(const JobRecord& r, const ClusterLedger& ledger);
// Fails naming the field when the document is not a job record.
Result<StoredJob> JobFromJson(std::string_view json, const GpuCatalog& catalog);

std::string NodeToJson(const NodeState& n);
Result<NodeState> NodeFromJson(std::string_view json);

struct Counters {
  std::uint64_t next_job = 1;
  std::uint64_t next_assignment = 1;
  std::uint64_t next_seq = 1;
};
std::string FreezesToJson(const std::vector<Freeze>& freezes);
Result<std::vector<Freeze>> FreezesFromJson(std::string_view json);

// What the control plane learned from agents: peak memory per model key,
// and epoch times per model key and GPU type (by name).
struct LearnedFigures {
  std::map<std::string, MiB, std::less<>> peaks;
  std::vector<RuntimeModel::Learned> epochs;
};
std::string LearnedToJson(const MemoryEstimator& estimator, const RuntimeModel& runtime);
Result<LearnedFigures> LearnedFromJson(std::string_view json, const GpuCatalog& catalog);

std::string CountersToJson(const Counters& c);
Result<Counters> CountersFromJson(std::string_view json);

}  // namespace gpusched::server
