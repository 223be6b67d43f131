// GPU discovery through NVML, the NVIDIA Management Library, loaded at run
// time with dlopen: the agent builds and runs on machines without NVIDIA
// headers or drivers, and only `OpenNvml` fails there (use `--fake-gpus`).
//
// Health rules applied by Discover():
//   - a GPU whose handle or readings fail (NVML_ERROR_GPU_IS_LOST or any other
//     error except "Not Supported") is listed with healthy = false and
//     health_reason "lost: <NVML error string> (<function>)"; the readings
//     that did succeed (often the UUID and the name) are still filled in;
//   - a reading the GPU does not support (utilization, temperature or the
//     process list on some boards) stays unknown (-1, or no processes) and
//     does not make the GPU unhealthy;
//   - a GPU at or above `max_temperature_c` is unhealthy with health_reason
//     "too hot: 97 C (limit 90 C)".
#pragma once

#include <memory>
#include <string>

#include "agent/gpu_info.h"
#include "gpusched/gpu_catalog.h"
#include "gpusched/status.h"

namespace gpusched::agent {

struct NvmlOptions {
  // The shared library to dlopen. Empty: $GPUSCHED_NVML_LIB when set and not
  // empty, else "libnvidia-ml.so.1" (found through the dynamic loader's path).
  std::string library;
  // A GPU at or above this temperature (degrees Celsius) is unhealthy.
  int max_temperature_c = 90;
};

// Loads the NVML library, resolves the functions the agent uses and calls
// nvmlInit_v2. The returned source owns the library: its destructor calls
// nvmlShutdown and then dlclose. `catalog` is copied; Discover() maps product
// names ("NVIDIA A100-SXM4-40GB") to catalog type names ("A100-40") with
// `GpuCatalog::Find`, keeping the product name when the catalog lacks it.
//
// Fails (kNotFound) when the library cannot be loaded or lacks a function,
// and (kFailedPrecondition) when nvmlInit_v2 fails; the message names the
// library and the dlerror() or nvmlErrorString() text.
//
// The source is not thread-safe: call Discover() from one thread at a time.
// Discover() fails only when the GPU count cannot be read; GPUs that cannot
// be read are returned unhealthy (see the rules above).
Result<std::unique_ptr<GpuSource>> OpenNvml(const NvmlOptions& options, const GpuCatalog& catalog);

}  // namespace gpusched::agent
