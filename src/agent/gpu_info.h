// What the agent knows about one GPU of its machine, from NVML or from the
// `--fake-gpus` list, and the interface both sources share.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gpusched/status.h"
#include "gpusched/types.h"

namespace gpusched::agent {

// A process using a GPU, as NVML lists compute processes.
struct GpuProcess {
  int pid = 0;
  MiB used_mib = 0;  // 0 when the driver does not say
};

struct GpuInfo {
  int index = 0;             // NVML / CUDA index in PCI bus order
  std::string uuid;          // "GPU-…"; fake GPUs get a stable made-up one
  std::string name;          // catalog type name when known ("A100-40"), else the product name
  std::string product_name;  // what the driver calls it ("NVIDIA A100-SXM4-40GB")
  MiB memory_total_mib = 0;
  MiB memory_used_mib = 0;
  int utilization_pct = -1;  // -1: unknown
  int temperature_c = -1;    // -1: unknown
  bool healthy = true;
  std::string health_reason;  // why not healthy ("lost: ...", "too hot: 97 C >= 90 C")
  std::vector<GpuProcess> processes;
};

// A source of GPU facts. Discover() is called at start and then every few
// seconds; a GPU that cannot be read is returned unhealthy with the reason,
// never silently dropped. Errors are for a source that cannot work at all.
class GpuSource {
 public:
  virtual ~GpuSource() = default;
  virtual Result<std::vector<GpuInfo>> Discover() = 0;
  // One line for logs: "NVML 12.535.104.05 (libnvidia-ml.so.1)", "fake: 2xT4".
  virtual std::string Describe() const = 0;
};

}  // namespace gpusched::agent
