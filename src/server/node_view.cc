#include "server/node_view.h"

#include <algorithm>

#include "server/server_impl.h"

namespace gpusched::server {
namespace {

using nlohmann::json;


std::string NodeStateName(const NodeState& n) {
  return n.lost ? "lost" : n.drained ? "drained" : "ready";
}

// The jobs on ledger GPU `g` that `caller` may see.
std::vector<NodeJobSnapshot> JobsOn(const Control& c, GpuIndex g, const Caller& caller,
                                    Instant now) {
  std::vector<NodeJobSnapshot> out;
  const auto ids = c.ledger().jobs_on(g);
  const auto mibs = c.ledger().mib_on(g);
  out.reserve(ids.size());
  for (std::size_t k = 0; k < ids.size(); ++k) {
    const JobRecord* r = c.Find(ids[k]);
    if (!r || !MaySee(caller, r->job.tenant)) continue;
    NodeJobSnapshot& j = out.emplace_back();
    j.id = ids[k];
    j.name = r->job.name;
    j.class_name = r->job.class_name;
    if (r->job.boost && r->job.boost->expires_at > now) j.boost_class = r->job.boost->class_name;
    j.tenant = r->job.tenant;
    j.mib = mibs[k];
  }
  return out;
}

// GPU `i` of node `n` (ledger GPU `g`), with what its agent last reported.
GpuSnapshot GpuOf(const Control& c, const NodeState& n, int i, GpuIndex g) {
  const ClusterLedger& ledger = c.ledger();
  const GpuInfo& info = ledger.gpu(g);
  GpuSnapshot s;
  s.index = i;
  s.type = ledger.catalog().type(info.type).name;
  s.memory_mib = info.total_mib;
  s.allocated_mib = info.total_mib - ledger.free_mib(g);
  const auto a =
      std::find_if(n.gpus.begin(), n.gpus.end(), [&](const AgentGpu& x) { return x.index == i; });
  if (a != n.gpus.end()) {
    s.uuid = a->uuid;
    s.healthy = a->healthy;
    s.health_reason = a->health_reason;
    s.memory_used_mib = a->memory_used_mib;
    s.utilization_pct = a->utilization_pct;
    s.temperature_c = a->temperature_c;
  }
  return s;
}

json JobJson(const NodeJobSnapshot& j) {
  json out{{"id", j.id},
           {"name", j.name},
           {"class", j.class_name},
           {"tenant", j.tenant},
           {"mib", j.mib}};
  if (!j.boost_class.empty()) out["boost_class"] = j.boost_class;
  return out;
}

json GpuJson(const GpuSnapshot& g) {
  json jobs = json::array();
  for (const NodeJobSnapshot& j : g.jobs) jobs.push_back(JobJson(j));
  return json{{"index", g.index},
              {"uuid", g.uuid},
              {"type", g.type},
              {"memory_mib", g.memory_mib},
              {"allocated_mib", g.allocated_mib},
              {"healthy", g.healthy},
              {"health_reason", g.health_reason},
              {"memory_used_mib", g.memory_used_mib},
              {"utilization_pct", g.utilization_pct},
              {"temperature_c", g.temperature_c},
              {"jobs", std::move(jobs)}};
}

}  // namespace

NodeSnapshot SnapshotNode(const Control& c, const NodeState& n, const Caller& caller, Instant now) {
  NodeSnapshot s;
  s.name = n.name;
  s.state = NodeStateName(n);
  s.drained = n.drained;
  s.generation = n.generation;
  s.registered_at = n.registered_at;
  s.lease_expires = n.lease_expires;
  s.labels = n.labels;
  const ClusterLedger& ledger = c.ledger();
  const std::optional<NodeIndex> index = ledger.FindNode(n.name);
  if (index) s.gpus.reserve(static_cast<std::size_t>(ledger.node_gpu_count(*index)));
  for (int i = 0; index && i < ledger.node_gpu_count(*index); ++i) {
    const GpuIndex g = ledger.first_gpu(*index) + i;
    s.gpus.push_back(GpuOf(c, n, i, g));
    s.gpus.back().jobs = JobsOn(c, g, caller, now);
  }
  return s;
}

std::vector<NodeSnapshot> SnapshotNodes(const Control& c, const Caller& caller, Instant now) {
  std::vector<NodeSnapshot> out;
  out.reserve(c.fleet().nodes().size());
  for (const auto& [name, n] : c.fleet().nodes()) out.push_back(SnapshotNode(c, n, caller, now));
  return out;
}

json NodeJson(const NodeSnapshot& n) {
  json gpus = json::array();
  for (const GpuSnapshot& g : n.gpus) gpus.push_back(GpuJson(g));
  return json{{"name", n.name},
              {"state", n.state},
              {"drained", n.drained},
              {"generation", n.generation},
              {"registered_at", SecondsOf(n.registered_at)},
              {"lease_expires_at", SecondsOf(n.lease_expires)},
              {"labels", n.labels},
              {"gpus", std::move(gpus)}};
}

json NodesJson(const std::vector<NodeSnapshot>& nodes) {
  json out = json::array();
  for (const NodeSnapshot& n : nodes) out.push_back(NodeJson(n));
  return json{{"nodes", std::move(out)}};
}

}  // namespace gpusched::server
