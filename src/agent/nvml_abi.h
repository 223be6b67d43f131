// The slice of the NVML C ABI that the agent uses (src/agent/nvml.cc) and
// that the tests' stand-in library exports (tests/agent/fake_nvml.cc).
// Declared here because no NVIDIA header is packaged; names, values and
// layouts follow nvml.h (CUDA 11+ drivers).
#pragma once

#include <climits>

namespace gpusched::agent::nvml_abi {

using nvmlReturn_t = int;
struct nvmlDevice_st;
using nvmlDevice_t = nvmlDevice_st*;

struct nvmlMemory_t {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

struct nvmlUtilization_t {
  unsigned int gpu;
  unsigned int memory;
};

// nvmlProcessInfo_v2_t, the layout of the _v2 and _v3 process lists.
struct nvmlProcessInfo_t {
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
};

constexpr nvmlReturn_t NVML_SUCCESS = 0;
constexpr nvmlReturn_t NVML_ERROR_UNINITIALIZED = 1;
constexpr nvmlReturn_t NVML_ERROR_INVALID_ARGUMENT = 2;
constexpr nvmlReturn_t NVML_ERROR_NOT_SUPPORTED = 3;
constexpr nvmlReturn_t NVML_ERROR_INSUFFICIENT_SIZE = 7;
constexpr nvmlReturn_t NVML_ERROR_DRIVER_NOT_LOADED = 9;
constexpr nvmlReturn_t NVML_ERROR_GPU_IS_LOST = 15;
constexpr nvmlReturn_t NVML_ERROR_UNKNOWN = 999;
constexpr int NVML_TEMPERATURE_GPU = 0;
// usedGpuMemory when the driver cannot say (no permission, MIG, WDDM).
constexpr unsigned long long NVML_VALUE_NOT_AVAILABLE = ULLONG_MAX;

}  // namespace gpusched::agent::nvml_abi
