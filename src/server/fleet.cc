#include "server/fleet.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace gpusched::server {
namespace {

tl::unexpected<Error> Invalid(const std::string& node, const std::string& why) {
  return MakeError(ErrorCode::kInvalidArgument, fmt::format("node \"{}\": {}", node, why));
}

}  // namespace

Result<NodeSpec> Fleet::ToSpec(const Registration& r, const GpuCatalog& catalog) const {
  if (r.node.empty()) return MakeError(ErrorCode::kInvalidArgument, "node: must not be empty");
  if (r.gpus.empty()) return Invalid(r.node, "reports no GPU");
  NodeSpec spec;
  spec.name = r.node;
  spec.labels = r.labels;
  std::vector<AgentGpu> gpus = r.gpus;
  std::sort(gpus.begin(), gpus.end(),
            [](const AgentGpu& a, const AgentGpu& b) { return a.index < b.index; });
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    const AgentGpu& g = gpus[i];
    if (g.index != static_cast<int>(i)) {
      return Invalid(r.node, fmt::format("GPU indices must be 0..{} without gaps or repeats",
                                         gpus.size() - 1));
    }
    const std::optional<GpuTypeId> type = catalog.Find(g.name);
    if (!type) {
      return Invalid(r.node, fmt::format("GPU {}: unknown GPU type \"{}\" (see gpusched catalog)",
                                         g.index, g.name));
    }
    if (g.memory_mib < 0) return Invalid(r.node, fmt::format("GPU {}: negative memory", g.index));
    spec.gpus.push_back(GpuSpec{*type, g.memory_mib > 0 ? g.memory_mib : catalog.type(*type).memory_mib,
                                g.uuid, g.healthy});
  }
  return spec;
}

Result<std::uint64_t> Fleet::Register(const Registration& r, Instant now, ClusterLedger& ledger) {
  Result<NodeSpec> spec = ToSpec(r, ledger.catalog());
  if (!spec) return tl::unexpected(spec.error());
  auto it = nodes_.find(r.node);
  if (it == nodes_.end()) {
    Result<NodeIndex> added = ledger.AddNode(*spec);
    if (!added) return tl::unexpected(added.error());
  } else {
    const std::optional<NodeIndex> n = ledger.FindNode(r.node);
    GPUSCHED_CHECK(n.has_value(), "fleet and ledger disagree on " + r.node);
    const NodeSpec& known = ledger.node(*n);
    bool same = known.gpus.size() == spec->gpus.size();
    for (std::size_t i = 0; same && i < known.gpus.size(); ++i) {
      same = known.gpus[i].type == spec->gpus[i].type;
    }
    if (!same) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       fmt::format("node \"{}\": its GPUs differ from its earlier registration; "
                                   "drain it and remove it before it joins with new GPUs",
                                   r.node));
    }
  }
  NodeState& state = nodes_[r.node];
  state.name = r.node;
  state.agent_id = r.agent_id;
  state.generation += 1;
  state.registered_at = now;
  state.lease_expires = now + lease_;
  state.lost = false;
  state.gpus = r.gpus;
  state.labels = r.labels;
  GPUSCHED_CHECK(ledger.SetNodeHealthy(r.node, true).has_value(), r.node);
  GPUSCHED_CHECK(ledger.SetDrained(r.node, state.drained).has_value(), r.node);
  GPUSCHED_CHECK(ApplyHealth(state, ledger).has_value(), r.node);
  return state.generation;
}

Status Fleet::ApplyHealth(const NodeState& n, ClusterLedger& ledger) const {
  const std::optional<NodeIndex> index = ledger.FindNode(n.name);
  if (!index) return MakeError(ErrorCode::kNotFound, fmt::format("no node \"{}\"", n.name));
  const GpuIndex first = ledger.first_gpu(*index);
  const GpuIndex count = ledger.node_gpu_count(*index);
  for (const AgentGpu& g : n.gpus) {
    if (g.index < 0 || g.index >= count) continue;
    if (Status s = ledger.SetGpuHealthy(first + g.index, g.healthy); !s) return s;
  }
  return OkStatus();
}

Status Fleet::CheckGeneration(const std::string& node, std::uint64_t generation) const {
  const NodeState* n = Find(node);
  if (!n) return MakeError(ErrorCode::kNotFound, fmt::format("no node \"{}\"; register first", node));
  if (n->generation != generation) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("node \"{}\": generation {} is stale (current {}); register again",
                                 node, generation, n->generation));
  }
  return OkStatus();
}

Result<Instant> Fleet::Heartbeat(const std::string& node, std::uint64_t generation,
                                 const std::vector<AgentGpu>& gpus, Instant now,
                                 ClusterLedger& ledger) {
  if (Status s = CheckGeneration(node, generation); !s) return tl::unexpected(s.error());
  NodeState& n = nodes_.at(node);
  if (n.lost) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("node \"{}\": its lease lapsed and its jobs were requeued; "
                                 "register again",
                                 node));
  }
  for (const AgentGpu& g : gpus) {
    auto it = std::find_if(n.gpus.begin(), n.gpus.end(),
                           [&](const AgentGpu& k) { return k.index == g.index; });
    if (it == n.gpus.end()) {
      return Invalid(node, fmt::format("heartbeat names GPU {}, which it did not register", g.index));
    }
    it->healthy = g.healthy;
    it->health_reason = g.health_reason;
    it->memory_used_mib = g.memory_used_mib;
    it->utilization_pct = g.utilization_pct;
    it->temperature_c = g.temperature_c;
  }
  n.lease_expires = now + lease_;
  if (Status s = ApplyHealth(n, ledger); !s) return tl::unexpected(s.error());
  return n.lease_expires;
}

std::vector<std::string> Fleet::ExpireLeases(Instant now, ClusterLedger& ledger) {
  std::vector<std::string> lost;
  for (auto& [name, n] : nodes_) {
    // Strictly after: the clock counts whole seconds, so a heartbeat late in
    // second t still holds its node for at least the full lease.
    if (n.lost || n.lease_expires >= now) continue;
    n.lost = true;
    GPUSCHED_CHECK(ledger.SetNodeHealthy(name, false).has_value(), name);
    lost.push_back(name);
  }
  return lost;
}

Status Fleet::Restore(NodeState state, Instant now, ClusterLedger& ledger) {
  Registration r{state.name, state.agent_id, state.gpus, state.labels};
  Result<NodeSpec> spec = ToSpec(r, ledger.catalog());
  if (!spec) return tl::unexpected(spec.error());
  if (nodes_.count(state.name)) {
    return MakeError(ErrorCode::kAlreadyExists, fmt::format("node \"{}\" restored twice", state.name));
  }
  Result<NodeIndex> added = ledger.AddNode(*spec);
  if (!added) return tl::unexpected(added.error());
  state.lease_expires = now + lease_;
  state.lost = false;
  const std::string name = state.name;
  const bool drained = state.drained;
  nodes_[name] = std::move(state);
  if (Status s = ledger.SetDrained(name, drained); !s) return s;
  return ApplyHealth(nodes_[name], ledger);
}

Status Fleet::SetDrained(const std::string& node, bool drained, ClusterLedger& ledger) {
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return MakeError(ErrorCode::kNotFound, fmt::format("no node \"{}\"", node));
  if (Status s = ledger.SetDrained(node, drained); !s) return s;
  it->second.drained = drained;
  return OkStatus();
}

const NodeState* Fleet::Find(const std::string& node) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() ? nullptr : &it->second;
}

}  // namespace gpusched::server
