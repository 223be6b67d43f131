#include "agent/nvml.h"

#include <dlfcn.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "agent/nvml_abi.h"

namespace gpusched::agent {
namespace {

using namespace nvml_abi;  // NOLINT: the C ABI's own names

// Buffer sizes from nvml.h (NVML_DEVICE_UUID_V2_BUFFER_SIZE and friends).
constexpr unsigned int kUuidBufferSize = 96;
constexpr unsigned int kNameBufferSize = 96;
constexpr unsigned int kDriverVersionBufferSize = 80;

// How often the process list is asked again when it grew between the call
// that sized the buffer and the call that fills it.
constexpr int kProcessListAttempts = 4;

// The NVML functions the agent calls, resolved with dlsym.
struct NvmlApi {
  nvmlReturn_t (*init)() = nullptr;
  nvmlReturn_t (*shutdown)() = nullptr;
  const char* (*error_string)(nvmlReturn_t) = nullptr;
  nvmlReturn_t (*driver_version)(char*, unsigned int) = nullptr;
  nvmlReturn_t (*device_count)(unsigned int*) = nullptr;
  nvmlReturn_t (*handle_by_index)(unsigned int, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*uuid)(nvmlDevice_t, char*, unsigned int) = nullptr;
  nvmlReturn_t (*name)(nvmlDevice_t, char*, unsigned int) = nullptr;
  nvmlReturn_t (*memory_info)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
  nvmlReturn_t (*utilization)(nvmlDevice_t, nvmlUtilization_t*) = nullptr;
  nvmlReturn_t (*temperature)(nvmlDevice_t, int, unsigned int*) = nullptr;
  nvmlReturn_t (*compute_processes)(nvmlDevice_t, unsigned int*, nvmlProcessInfo_t*) = nullptr;
};

// --- Loading -----------------------------------------------------------------

struct Dlclose {
  void operator()(void* library) const { dlclose(library); }
};
using LibraryHandle = std::unique_ptr<void, Dlclose>;

std::string DlError() {
  const char* text = dlerror();
  return text != nullptr ? text : "unknown dynamic loader error";
}

std::string LibraryPath(const NvmlOptions& options) {
  if (!options.library.empty()) return options.library;
  const char* from_env = std::getenv("GPUSCHED_NVML_LIB");
  if (from_env != nullptr && *from_env != '\0') return from_env;
  return "libnvidia-ml.so.1";
}

// Looks `name` up in `library`; null when it is missing.
template <typename Fn>
Fn* FindSymbol(void* library, const char* name) {
  dlerror();
  return reinterpret_cast<Fn*>(dlsym(library, name));
}

// Resolves `name` into `out`; on failure the error names the library, the
// function and the loader's explanation.
template <typename Fn>
Status Resolve(void* library, const std::string& path, const char* name, Fn*& out) {
  out = FindSymbol<Fn>(library, name);
  if (out != nullptr) return OkStatus();
  return MakeError(ErrorCode::kNotFound,
                   fmt::format("NVML library \"{}\" lacks {}: {}", path, name, DlError()));
}

// nvmlDeviceGetComputeRunningProcesses_v3, or _v2 on drivers older than 510.
Status ResolveProcessList(void* library, const std::string& path, NvmlApi& api) {
  using Fn = std::remove_pointer_t<decltype(api.compute_processes)>;
  api.compute_processes = FindSymbol<Fn>(library, "nvmlDeviceGetComputeRunningProcesses_v3");
  if (api.compute_processes != nullptr) return OkStatus();
  return Resolve(library, path, "nvmlDeviceGetComputeRunningProcesses_v2", api.compute_processes);
}

Result<NvmlApi> ResolveApi(void* library, const std::string& path) {
  NvmlApi api;
  const Status resolved[] = {
      Resolve(library, path, "nvmlInit_v2", api.init),
      Resolve(library, path, "nvmlShutdown", api.shutdown),
      Resolve(library, path, "nvmlErrorString", api.error_string),
      Resolve(library, path, "nvmlSystemGetDriverVersion", api.driver_version),
      Resolve(library, path, "nvmlDeviceGetCount_v2", api.device_count),
      Resolve(library, path, "nvmlDeviceGetHandleByIndex_v2", api.handle_by_index),
      Resolve(library, path, "nvmlDeviceGetUUID", api.uuid),
      Resolve(library, path, "nvmlDeviceGetName", api.name),
      Resolve(library, path, "nvmlDeviceGetMemoryInfo", api.memory_info),
      Resolve(library, path, "nvmlDeviceGetUtilizationRates", api.utilization),
      Resolve(library, path, "nvmlDeviceGetTemperature", api.temperature),
      ResolveProcessList(library, path, api),
  };
  for (const Status& status : resolved) {
    if (!status) return tl::unexpected(status.error());
  }
  return api;
}

std::string ErrorText(const NvmlApi& api, nvmlReturn_t code) {
  const char* text = api.error_string(code);
  return text != nullptr ? text : fmt::format("NVML error {}", code);
}

// A C string from a buffer NVML filled, even if it left it unterminated.
std::string FromBuffer(const char* buffer, std::size_t size) {
  return std::string(buffer, strnlen(buffer, size));
}

MiB BytesToMiB(unsigned long long bytes) { return static_cast<MiB>(bytes >> 20); }

// --- Reading one GPU ---------------------------------------------------------

// Keeps the first failed NVML call among one GPU's readings.
class FirstFailure {
 public:
  // True when `code` is a success; otherwise remembers the first failure.
  bool Ok(nvmlReturn_t code, const char* function) {
    if (code == NVML_SUCCESS) return true;
    if (!code_) {
      code_ = code;
      function_ = function;
    }
    return false;
  }
  // As Ok(), but "Not Supported" is no failure (the reading stays unknown).
  bool OkOrUnsupported(nvmlReturn_t code, const char* function) {
    return code == NVML_ERROR_NOT_SUPPORTED ? false : Ok(code, function);
  }
  // "lost: GPU is lost (nvmlDeviceGetMemoryInfo)", or "" when all went well.
  std::string Reason(const NvmlApi& api) const {
    if (!code_) return "";
    return fmt::format("lost: {} ({})", ErrorText(api, *code_), function_);
  }

 private:
  std::optional<nvmlReturn_t> code_;
  const char* function_ = "";
};

void ReadIdentity(const NvmlApi& api, nvmlDevice_t device, GpuInfo& info, FirstFailure& failure) {
  char uuid[kUuidBufferSize] = {};
  if (failure.Ok(api.uuid(device, uuid, kUuidBufferSize), "nvmlDeviceGetUUID")) {
    info.uuid = FromBuffer(uuid, sizeof uuid);
  }
  char name[kNameBufferSize] = {};
  if (failure.Ok(api.name(device, name, kNameBufferSize), "nvmlDeviceGetName")) {
    info.product_name = FromBuffer(name, sizeof name);
  }
}

void ReadReadings(const NvmlApi& api, nvmlDevice_t device, GpuInfo& info, FirstFailure& failure) {
  nvmlMemory_t memory{};
  if (failure.Ok(api.memory_info(device, &memory), "nvmlDeviceGetMemoryInfo")) {
    info.memory_total_mib = BytesToMiB(memory.total);
    info.memory_used_mib = BytesToMiB(memory.used);
  }
  nvmlUtilization_t utilization{};
  if (failure.OkOrUnsupported(api.utilization(device, &utilization),
                              "nvmlDeviceGetUtilizationRates")) {
    info.utilization_pct = static_cast<int>(utilization.gpu);
  }
  unsigned int temperature = 0;
  if (failure.OkOrUnsupported(api.temperature(device, NVML_TEMPERATURE_GPU, &temperature),
                              "nvmlDeviceGetTemperature")) {
    info.temperature_c = static_cast<int>(temperature);
  }
}

// Asks for the compute processes with a buffer that grows while NVML answers
// "Insufficient Size" (processes may start between two calls).
nvmlReturn_t ListProcesses(const NvmlApi& api, nvmlDevice_t device,
                           std::vector<nvmlProcessInfo_t>& out) {
  nvmlReturn_t code = NVML_SUCCESS;
  for (int attempt = 0; attempt < kProcessListAttempts; ++attempt) {
    unsigned int count = static_cast<unsigned int>(out.size());
    code = api.compute_processes(device, &count, out.empty() ? nullptr : out.data());
    if (code == NVML_ERROR_INSUFFICIENT_SIZE) {
      out.resize(std::max<std::size_t>(count, out.size()) + 4);
      continue;
    }
    if (code == NVML_SUCCESS) out.resize(count);
    return code;
  }
  return code;
}

void ReadProcesses(const NvmlApi& api, nvmlDevice_t device, GpuInfo& info, FirstFailure& failure) {
  std::vector<nvmlProcessInfo_t> listed;
  const nvmlReturn_t code = ListProcesses(api, device, listed);
  if (!failure.OkOrUnsupported(code, "nvmlDeviceGetComputeRunningProcesses")) return;
  for (const nvmlProcessInfo_t& process : listed) {
    const bool known = process.usedGpuMemory != NVML_VALUE_NOT_AVAILABLE;
    info.processes.push_back(
        GpuProcess{static_cast<int>(process.pid), known ? BytesToMiB(process.usedGpuMemory) : 0});
  }
}

// --- The source ----------------------------------------------------------------

class NvmlSource final : public GpuSource {
 public:
  NvmlSource(LibraryHandle library, NvmlApi api, std::string description, GpuCatalog catalog,
             int max_temperature_c)
      : library_(std::move(library)),
        api_(api),
        description_(std::move(description)),
        catalog_(std::move(catalog)),
        max_temperature_c_(max_temperature_c) {}

  // nvmlShutdown here; dlclose afterwards, when `library_` is destroyed.
  ~NvmlSource() override { api_.shutdown(); }

  Result<std::vector<GpuInfo>> Discover() override {
    unsigned int count = 0;
    const nvmlReturn_t code = api_.device_count(&count);
    if (code != NVML_SUCCESS) {
      return MakeError(
          ErrorCode::kFailedPrecondition,
          fmt::format("{}: nvmlDeviceGetCount_v2 failed: {}", description_, ErrorText(api_, code)));
    }
    std::vector<GpuInfo> gpus;
    gpus.reserve(count);
    for (unsigned int index = 0; index < count; ++index) gpus.push_back(ReadGpu(index));
    return gpus;
  }

  std::string Describe() const override { return description_; }

 private:
  GpuInfo ReadGpu(unsigned int index) const {
    GpuInfo info;
    info.index = static_cast<int>(index);
    FirstFailure failure;
    nvmlDevice_t device = nullptr;
    if (failure.Ok(api_.handle_by_index(index, &device), "nvmlDeviceGetHandleByIndex_v2")) {
      ReadIdentity(api_, device, info, failure);
      ReadReadings(api_, device, info, failure);
      ReadProcesses(api_, device, info, failure);
    }
    info.name = CatalogName(info.product_name);
    info.health_reason = failure.Reason(api_);
    info.healthy = info.health_reason.empty();
    if (info.healthy && info.temperature_c >= 0 && info.temperature_c >= max_temperature_c_) {
      info.healthy = false;
      info.health_reason =
          fmt::format("too hot: {} C (limit {} C)", info.temperature_c, max_temperature_c_);
    }
    return info;
  }

  std::string CatalogName(const std::string& product_name) const {
    const std::optional<GpuTypeId> type = catalog_.Find(product_name);
    return type ? catalog_.type(*type).name : product_name;
  }

  LibraryHandle library_;  // declared first: closed after everything else
  NvmlApi api_;
  std::string description_;
  GpuCatalog catalog_;
  int max_temperature_c_;
};

std::string DriverVersion(const NvmlApi& api) {
  char version[kDriverVersionBufferSize] = {};
  if (api.driver_version(version, kDriverVersionBufferSize) != NVML_SUCCESS) return "unknown";
  return FromBuffer(version, sizeof version);
}

}  // namespace

Result<std::unique_ptr<GpuSource>> OpenNvml(const NvmlOptions& options, const GpuCatalog& catalog) {
  // 1. Load the library.
  const std::string path = LibraryPath(options);
  dlerror();
  LibraryHandle library(dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (!library) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("cannot load NVML from \"{}\": {}: is the NVIDIA driver "
                                 "installed? (or use --fake-gpus)",
                                 path, DlError()));
  }
  // 2. Resolve the functions.
  Result<NvmlApi> api = ResolveApi(library.get(), path);
  if (!api) return tl::unexpected(std::move(api.error()));
  // 3. Initialise NVML.
  const nvmlReturn_t code = api->init();
  if (code != NVML_SUCCESS) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("NVML from \"{}\": nvmlInit_v2 failed: {}: is the NVIDIA "
                                 "driver loaded? (or use --fake-gpus)",
                                 path, ErrorText(*api, code)));
  }
  // 4. From here on the source owns the library and the NVML session.
  std::string description = fmt::format("NVML, driver {} ({})", DriverVersion(*api), path);
  return std::make_unique<NvmlSource>(std::move(library), *api, std::move(description), catalog,
                                      options.max_temperature_c);
}

}  // namespace gpusched::agent
