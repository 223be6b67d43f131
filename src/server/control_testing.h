// Test support for the control plane's unit tests: the built-in catalog,
// two tenants (quality, research), job requests and T4 nodes.
#pragma once

#include <string>

#include "server/control.h"

namespace gpusched::server::testing {

inline const GpuCatalog& Catalog() {
  static const GpuCatalog catalog = GpuCatalog::BuiltIn();
  return catalog;
}

inline Control::Settings Defaults() {
  Control::Settings s;
  for (const char* name : {"quality", "research"}) {
    Tenant t;
    t.name = name;
    s.tenants.push_back(t);
  }
  return s;
}

// A 10-epoch job of `tenant` and class `cls` needing `mib` per GPU, 600 s
// per epoch on a T4.
inline JobRequest Request(std::string tenant, std::string cls, MiB mib) {
  JobRequest r;
  r.tenant = std::move(tenant);
  r.class_name = std::move(cls);
  r.memory_per_gpu_mib = mib;
  r.epochs = 10;
  r.epoch_t4 = Duration(600);
  return r;
}

// Node `name` with `t4s` T4 GPUs.
inline Registration Node(std::string name, int t4s) {
  Registration r;
  r.node = std::move(name);
  r.agent_id = "a";
  for (int i = 0; i < t4s; ++i) {
    r.gpus.push_back(AgentGpu{i, "GPU-" + std::to_string(i), "T4", 0, true});
  }
  return r;
}

}  // namespace gpusched::server::testing
