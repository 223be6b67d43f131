// The nodes view of the REST API (GET /v1/nodes, drain and undrain), in two
// steps so that the owner thread does as little as possible:
//   1. SnapshotNodes / SnapshotNode, on the owner thread (inside
//      Server::Impl::Exec): copies what the view shows into plain structs,
//      with the caller's job filtering applied. No JSON.
//   2. NodesJson / NodeJson, on any thread (the HTTP thread, after Exec
//      returns): builds the JSON from the copy.
// bench/nodes_bench.cc measures both for a 2,000-node fleet.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/control.h"

namespace gpusched::server {

struct Caller;  // server_impl.h

// One job on a GPU, as the nodes view shows it.
struct NodeJobSnapshot {
  JobId id = 0;
  std::string name;
  std::string class_name;
  std::string boost_class;  // empty: no unexpired boost
  std::string tenant;
  MiB mib = 0;  // its slice of this GPU
};

// One GPU of a node; the agent's figures are -1 (and the strings empty)
// when the agent never reported the GPU.
struct GpuSnapshot {
  int index = 0;
  std::string uuid;
  std::string type;  // the catalog's name
  MiB memory_mib = 0;
  MiB allocated_mib = 0;  // everyone's slices, also those the caller may not see
  bool healthy = true;
  std::string health_reason;
  MiB memory_used_mib = -1;
  int utilization_pct = -1;
  int temperature_c = -1;
  std::vector<NodeJobSnapshot> jobs;  // only those the caller may see
};

struct NodeSnapshot {
  std::string name;
  std::string state;  // "ready", "drained" or "lost"
  bool drained = false;
  std::uint64_t generation = 0;
  Instant registered_at{};
  Instant lease_expires{};
  std::vector<std::string> labels;
  std::vector<GpuSnapshot> gpus;
};

// Owner thread. `n` is a node of `c.fleet()`; a tenant caller's copy holds
// only its own jobs (the memory figures count everyone's). A boost counts
// while it expires after `now`.
NodeSnapshot SnapshotNode(const Control& c, const NodeState& n, const Caller& caller, Instant now);
// Owner thread: every node of the fleet, by name.
std::vector<NodeSnapshot> SnapshotNodes(const Control& c, const Caller& caller, Instant now);

// Any thread: the API view of one node (docs/openapi.yaml, Node), and
// `{"nodes": [...]}` for GET /v1/nodes.
nlohmann::json NodeJson(const NodeSnapshot& n);
nlohmann::json NodesJson(const std::vector<NodeSnapshot>& nodes);

}  // namespace gpusched::server
