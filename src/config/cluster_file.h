// The simulator's cluster file: nodes, tenants, priority classes and policy
// knobs in one YAML document.
//
//   nodes:
//     # count > 1: a group named a100-0 .. a100-3 (name is the prefix)
//     - {name: a100-, count: 4, gpus: "8xA100-80",
//        labels: ["image:ultralytics", "dataset:coco"]}
//     # count defaults to 1: the name is used as is
//     - {name: edge-1, gpus: "2xT4, 1xL4"}
//   tenants:            # optional; one tenant "default" when absent
//     - {name: quality, guaranteed_gpus: 8, borrow_limit_gpus: 16,
//        default_class: high, max_class_without_approval: critical,
//        critical_budget_gpu_hours: 40, credit: 100}
//   classes:            # optional; replaces ClassTable::Defaults() when present
//     - {name: critical, value: 1000, policy: PreemptLowerPriority,
//        sla: {percentile: 95, max_wait_s: 300}, min_runtime_s: 0, grace_s: 60,
//        save_period: 5}   # most epochs between checkpoints (default 5, >= 1)
//   policy:             # optional; any subset overrides PolicyConfig{}
//     max_preemptions_per_window: 1
//     preemption_window_s: 86400
//     restart_overhead_s: 60
//     restart_overhead_uncached_s: 240
//     enable_preemption: true
//     enable_backfill: true
//     enable_defrag: true
//     reclaim_equal_priority: false
//     enable_reservations: true
//     enforce_preemption_limits: true
//     enforce_guarantees: true
//     wait_instead: true       # wait for a job about to end rather than preempt
//     respect_min_runtime: true
//     nomination_ttl_s: 600
//     max_reservations: 16
//
// `gpus` uses the compact GPU list of ParseGpuList; `policy` of a class is
// PreemptLowerPriority or Never. Every key but `name` and `gpus` (nodes) and
// `name` (tenants, classes) and `value` (classes) is optional. A tenant's
// default_class and max_class_without_approval must name a class of the file
// (or of the defaults). critical_budget_gpu_hours may be fractional; it is
// rounded to whole GPU-seconds.
#pragma once

#include <string_view>
#include <vector>

#include "gpusched/cluster.h"
#include "gpusched/gpu_catalog.h"
#include "gpusched/policy.h"
#include "gpusched/priority.h"
#include "gpusched/status.h"
#include "gpusched/tenant.h"

namespace gpusched::config {

struct ClusterConfig {
  std::vector<NodeSpec> nodes;  // expanded; each GPU's memory from the catalog
  std::vector<Tenant> tenants;  // at least one ("default" when none given)
  ClassTable classes = ClassTable::Defaults();  // replaced by the file's `classes:`
  PolicyConfig policy;          // defaults, overridden by the file's `policy:`
  // True when the file names no tenants: the replay then adds every tenant a
  // trace names, with default settings, instead of rejecting it.
  bool open_tenants = false;
};

// Parses a cluster file's YAML text. Errors name the path of the offending
// field, e.g. `nodes[2].gpus: unknown GPU type "Z9" ...`,
// `tenants[0].guaranteed_gpus: must be >= 0`, `unknown key "nodez"`.
// Unknown keys, wrong types, duplicate node or tenant names and malformed
// YAML are errors; nothing partial is returned and no exception escapes.
// Thread safety: none needed; pure function of its arguments.
Result<ClusterConfig> ParseClusterFile(std::string_view yaml_text, const GpuCatalog& catalog);

}  // namespace gpusched::config
