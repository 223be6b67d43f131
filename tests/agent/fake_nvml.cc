// A stand-in for libnvidia-ml.so.1: exports, with C linkage, the NVML
// functions the agent resolves with dlsym, and answers them like NVML does
// (return codes, "Insufficient Size" for short buffers, reference-counted
// init/shutdown) from a text file. Test support only.
//
// nvmlInit_v2 reads the file named by $FAKE_NVML_CONFIG (when the reference
// count goes from 0 to 1); without it, init fails with "Driver Not Loaded".
// One item per line; '#' starts a comment; values may be "quoted":
//
//   driver=535.104.05                 # nvmlSystemGetDriverVersion
//   init_error=9                      # nvmlInit_v2 returns this code
//   gpu uuid=GPU-1111 name="NVIDIA A100-SXM4-40GB" total_mib=40960 used_mib=1024 util=35 temp=51
//   gpu uuid=GPU-3333 name="NVIDIA A10" total_mib=23028 lost=1
//   gpu uuid=GPU-4444 name="Tesla T4" util=na temp=na   # "na": Not Supported
//   proc gpu=0 pid=4242 used_mib=3000                   # used_mib=na: not available
//
// A lost GPU keeps its handle, UUID and name (the driver caches them) and
// answers every reading with NVML_ERROR_GPU_IS_LOST.
//
// fake_nvml_init_count() (not part of NVML) lets a test check that a user
// shut NVML down.
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "agent/nvml_abi.h"

using namespace gpusched::agent::nvml_abi;  // NOLINT: the C ABI's own names

namespace {

constexpr unsigned long long kNotAvailable = NVML_VALUE_NOT_AVAILABLE;
constexpr unsigned long long kBytesPerMiB = 1ULL << 20;

struct FakeProcess {
  unsigned int pid = 0;
  unsigned long long used_bytes = 0;
};

struct FakeGpu {
  std::string uuid;
  std::string name;
  unsigned long long total_bytes = 0;
  unsigned long long used_bytes = 0;
  std::optional<unsigned int> util = 0;  // nullopt: Not Supported
  std::optional<unsigned int> temp = 40;
  bool lost = false;
  std::vector<FakeProcess> processes;
};

struct FakeDriver {
  int init_count = 0;
  std::string version = "535.104.05";
  std::vector<FakeGpu> gpus;  // not resized while initialised: handles point here
};

FakeDriver& Driver() {
  static FakeDriver driver;
  return driver;
}

// --- The config file -----------------------------------------------------------

using Fields = std::map<std::string, std::string>;

// Splits `key=value key="quoted value"` into fields.
Fields ParseFields(std::istream& in) {
  Fields fields;
  std::string key;
  while (std::getline(in >> std::ws, key, '=')) {
    std::string value;
    if (in.peek() == '"') {
      in.get();
      std::getline(in, value, '"');
    } else {
      in >> value;
    }
    fields[key] = value;
  }
  return fields;
}

std::optional<unsigned int> OptionalNumber(const Fields& fields, const std::string& key,
                                           unsigned int otherwise) {
  const auto it = fields.find(key);
  if (it == fields.end()) return otherwise;
  if (it->second == "na") return std::nullopt;
  return static_cast<unsigned int>(std::stoul(it->second));
}

unsigned long long MiBField(const Fields& fields, const std::string& key) {
  const auto it = fields.find(key);
  if (it == fields.end()) return 0;
  if (it->second == "na") return kNotAvailable;
  return std::stoull(it->second) * kBytesPerMiB;
}

std::string Field(const Fields& fields, const std::string& key) {
  const auto it = fields.find(key);
  return it == fields.end() ? "" : it->second;
}

FakeGpu ParseGpu(const Fields& fields) {
  FakeGpu gpu;
  gpu.uuid = Field(fields, "uuid");
  gpu.name = Field(fields, "name");
  gpu.total_bytes = MiBField(fields, "total_mib");
  gpu.used_bytes = MiBField(fields, "used_mib");
  gpu.util = OptionalNumber(fields, "util", 0);
  gpu.temp = OptionalNumber(fields, "temp", 40);
  gpu.lost = Field(fields, "lost") == "1";
  return gpu;
}

// Loads the file into `driver`; returns the code nvmlInit_v2 answers.
nvmlReturn_t LoadConfig(const char* path, FakeDriver& driver) {
  std::ifstream file(path != nullptr ? path : "");
  if (!file) return NVML_ERROR_DRIVER_NOT_LOADED;
  nvmlReturn_t result = NVML_SUCCESS;
  std::string line;
  while (std::getline(file, line)) {
    const std::string text = line.substr(0, line.find('#'));
    std::istringstream in(text);
    std::string word;
    if (!(in >> word)) continue;
    if (word == "gpu") {
      driver.gpus.push_back(ParseGpu(ParseFields(in)));
    } else if (word == "proc") {
      const Fields fields = ParseFields(in);
      const unsigned long gpu = std::stoul(Field(fields, "gpu"));
      const auto pid = static_cast<unsigned int>(std::stoul(Field(fields, "pid")));
      driver.gpus.at(gpu).processes.push_back({pid, MiBField(fields, "used_mib")});
    } else {
      std::istringstream setting(text);
      const Fields fields = ParseFields(setting);
      if (fields.count("driver") != 0) driver.version = fields.at("driver");
      if (fields.count("init_error") != 0) result = std::stoi(fields.at("init_error"));
    }
  }
  return result;
}

}  // namespace

// --- The NVML functions ----------------------------------------------------------

namespace {

// The GPU behind `device`, or null when NVML is not initialised.
FakeGpu* Gpu(nvmlDevice_t device) {
  if (Driver().init_count == 0 || device == nullptr) return nullptr;
  return reinterpret_cast<FakeGpu*>(device);
}

nvmlReturn_t CheckGpu(const FakeGpu* gpu) {
  if (Driver().init_count == 0) return NVML_ERROR_UNINITIALIZED;
  return gpu == nullptr ? NVML_ERROR_INVALID_ARGUMENT : NVML_SUCCESS;
}

nvmlReturn_t CopyString(const std::string& text, char* buffer, unsigned int length) {
  if (buffer == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (text.size() + 1 > length) return NVML_ERROR_INSUFFICIENT_SIZE;
  std::memcpy(buffer, text.c_str(), text.size() + 1);
  return NVML_SUCCESS;
}

}  // namespace

extern "C" {

int fake_nvml_init_count() { return Driver().init_count; }

nvmlReturn_t nvmlInit_v2() {
  FakeDriver& driver = Driver();
  if (driver.init_count > 0) {
    ++driver.init_count;
    return NVML_SUCCESS;
  }
  driver = FakeDriver{};
  nvmlReturn_t result = NVML_ERROR_UNKNOWN;
  try {
    result = LoadConfig(std::getenv("FAKE_NVML_CONFIG"), driver);
  } catch (const std::exception& e) {  // a malformed number or a proc for no gpu
    std::fprintf(stderr, "fake NVML: bad config: %s\n", e.what());
  }
  if (result != NVML_SUCCESS) {
    driver = FakeDriver{};
    return result;
  }
  driver.init_count = 1;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlShutdown() {
  FakeDriver& driver = Driver();
  if (driver.init_count == 0) return NVML_ERROR_UNINITIALIZED;
  if (--driver.init_count == 0) driver = FakeDriver{};
  return NVML_SUCCESS;
}

const char* nvmlErrorString(nvmlReturn_t result) {
  switch (result) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
    case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
    case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
    default: return "Unknown Error";
  }
}

nvmlReturn_t nvmlSystemGetDriverVersion(char* version, unsigned int length) {
  if (Driver().init_count == 0) return NVML_ERROR_UNINITIALIZED;
  return CopyString(Driver().version, version, length);
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* count) {
  if (Driver().init_count == 0) return NVML_ERROR_UNINITIALIZED;
  if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *count = static_cast<unsigned int>(Driver().gpus.size());
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* device) {
  FakeDriver& driver = Driver();
  if (driver.init_count == 0) return NVML_ERROR_UNINITIALIZED;
  if (device == nullptr || index >= driver.gpus.size()) return NVML_ERROR_INVALID_ARGUMENT;
  *device = reinterpret_cast<nvmlDevice_t>(&driver.gpus[index]);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid, unsigned int length) {
  const FakeGpu* gpu = Gpu(device);
  if (const nvmlReturn_t bad = CheckGpu(gpu); bad != NVML_SUCCESS) return bad;
  return CopyString(gpu->uuid, uuid, length);
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char* name, unsigned int length) {
  const FakeGpu* gpu = Gpu(device);
  if (const nvmlReturn_t bad = CheckGpu(gpu); bad != NVML_SUCCESS) return bad;
  return CopyString(gpu->name, name, length);
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t* memory) {
  const FakeGpu* gpu = Gpu(device);
  if (const nvmlReturn_t bad = CheckGpu(gpu); bad != NVML_SUCCESS) return bad;
  if (gpu->lost) return NVML_ERROR_GPU_IS_LOST;
  if (memory == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *memory = {gpu->total_bytes, gpu->total_bytes - gpu->used_bytes, gpu->used_bytes};
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t* rates) {
  const FakeGpu* gpu = Gpu(device);
  if (const nvmlReturn_t bad = CheckGpu(gpu); bad != NVML_SUCCESS) return bad;
  if (gpu->lost) return NVML_ERROR_GPU_IS_LOST;
  if (!gpu->util) return NVML_ERROR_NOT_SUPPORTED;
  if (rates == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *rates = {*gpu->util, 0};
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, int sensor, unsigned int* temp) {
  const FakeGpu* gpu = Gpu(device);
  if (const nvmlReturn_t bad = CheckGpu(gpu); bad != NVML_SUCCESS) return bad;
  if (gpu->lost) return NVML_ERROR_GPU_IS_LOST;
  if (!gpu->temp) return NVML_ERROR_NOT_SUPPORTED;
  if (sensor != 0 || temp == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *temp = *gpu->temp;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int* count,
                                                     nvmlProcessInfo_t* infos) {
  const FakeGpu* gpu = Gpu(device);
  if (const nvmlReturn_t bad = CheckGpu(gpu); bad != NVML_SUCCESS) return bad;
  if (gpu->lost) return NVML_ERROR_GPU_IS_LOST;
  if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  const auto needed = static_cast<unsigned int>(gpu->processes.size());
  if (*count < needed || (needed > 0 && infos == nullptr)) {
    *count = needed;
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  for (unsigned int i = 0; i < needed; ++i) {
    infos[i] = {gpu->processes[i].pid, gpu->processes[i].used_bytes, 0, 0};
  }
  *count = needed;
  return NVML_SUCCESS;
}

}  // extern "C"
