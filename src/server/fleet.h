// The server's view of its nodes: who registered them, with which GPUs,
// under which generation, and until when their lease holds. Owned by the
// Control thread together with the ledger it keeps in step; no I/O, time is
// passed in.
//
// Protocol (docs/control-plane.md): every registration of a node starts a
// new generation; later agent messages must carry it, so a stale agent
// process (an older generation) is refused and cannot overwrite newer
// state. A heartbeat renews the lease; a node whose lease lapses is marked
// unhealthy in the ledger (no new work), and the caller requeues its jobs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gpusched/cluster.h"
#include "gpusched/gpu_catalog.h"
#include "gpusched/status.h"
#include "gpusched/types.h"

namespace gpusched::server {

// One GPU as an agent reports it.
struct AgentGpu {
  AgentGpu() = default;
  AgentGpu(int i, std::string u, std::string n, MiB memory, bool ok)
      : index(i), uuid(std::move(u)), name(std::move(n)), memory_mib(memory), healthy(ok) {}

  int index = 0;          // the NVML / CUDA index on the node (PCI bus order)
  std::string uuid;       // may be empty for fake GPUs
  std::string name;       // NVML product name or catalog name ("NVIDIA A10", "T4")
  MiB memory_mib = 0;     // total; 0: the catalog's figure for the type
  bool healthy = true;
  // What the agent last saw (heartbeats); shown, never scheduled on.
  std::string health_reason;  // why not healthy ("too hot: 97 C (limit 90 C)")
  MiB memory_used_mib = -1;   // -1: unknown
  int utilization_pct = -1;
  int temperature_c = -1;
};

struct Registration {
  std::string node;
  std::string agent_id;  // random per agent process start
  std::vector<AgentGpu> gpus;
  std::vector<std::string> labels;  // "image:...", "dataset:...", free-form
};

struct NodeState {
  std::string name;
  std::string agent_id;
  std::uint64_t generation = 0;
  Instant registered_at{};
  Instant lease_expires{};
  bool lost = false;  // the lease lapsed and the node has not registered again
  bool drained = false;  // an operator's drain: no new work (kept across registrations)
  std::vector<AgentGpu> gpus;
  std::vector<std::string> labels;
};

class Fleet {
 public:
  // REQUIRES: lease > 0.
  explicit Fleet(Duration lease) : lease_(lease) {}

  // Registers `r` at `now`: a node seen for the first time is added to the
  // ledger; a known node must report the same GPU types in the same order
  // (its slots in the ledger are fixed). Returns the new generation. Fails,
  // changing nothing, on an empty or malformed registration (no GPUs,
  // duplicate or negative indices, a GPU name the catalog does not know) or
  // a changed GPU set, naming what is wrong.
  Result<std::uint64_t> Register(const Registration& r, Instant now, ClusterLedger& ledger);

  // Renews the lease of `node` and records GPU health. Fails with
  // kFailedPrecondition when `generation` is not the node's current one
  // (the agent must register again) and kNotFound for an unknown node.
  Result<Instant> Heartbeat(const std::string& node, std::uint64_t generation,
                            const std::vector<AgentGpu>& gpus, Instant now, ClusterLedger& ledger);

  // Checks that `generation` is current for `node` (for other agent calls).
  Status CheckGeneration(const std::string& node, std::uint64_t generation) const;

  // Nodes whose lease ended before `now` (a lease of L s from second t
  // holds through second t + L) and that were not lost yet:
  // marks them lost and unhealthy in the ledger, and returns their names.
  std::vector<std::string> ExpireLeases(Instant now, ClusterLedger& ledger);

  // Drains (no new work is placed; running work stays) or undrains `node`.
  // Fails with kNotFound for an unknown node.
  Status SetDrained(const std::string& node, bool drained, ClusterLedger& ledger);

  // Restores a node from the store at startup: known, generation kept,
  // lease running from `now` so that its agent has one lease to return.
  Status Restore(NodeState state, Instant now, ClusterLedger& ledger);

  const NodeState* Find(const std::string& node) const;
  const std::map<std::string, NodeState>& nodes() const { return nodes_; }
  Duration lease() const { return lease_; }

 private:
  Result<NodeSpec> ToSpec(const Registration& r, const GpuCatalog& catalog) const;
  Status ApplyHealth(const NodeState& n, ClusterLedger& ledger) const;

  Duration lease_;
  std::map<std::string, NodeState> nodes_;
};

}  // namespace gpusched::server
