#include "agent/fake_gpus.h"

#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace gpusched::agent {
namespace {

constexpr int kFakeUtilizationPct = 0;
constexpr int kFakeTemperatureC = 40;

class FakeGpuSource final : public GpuSource {
 public:
  FakeGpuSource(std::vector<GpuInfo> gpus, std::string description)
      : gpus_(std::move(gpus)), description_(std::move(description)) {}

  Result<std::vector<GpuInfo>> Discover() override { return gpus_; }
  std::string Describe() const override { return description_; }

 private:
  const std::vector<GpuInfo> gpus_;
  const std::string description_;
};

GpuInfo FakeGpu(int index, const GpuType& type, std::string_view node) {
  GpuInfo gpu;
  gpu.index = index;
  gpu.uuid = fmt::format("GPU-fake-{}-{}", node, index);
  gpu.name = type.name;
  gpu.product_name = "Fake " + type.name;
  gpu.memory_total_mib = type.memory_mib;
  gpu.memory_used_mib = 0;
  gpu.utilization_pct = kFakeUtilizationPct;
  gpu.temperature_c = kFakeTemperatureC;
  return gpu;
}

}  // namespace

Result<std::unique_ptr<GpuSource>> MakeFakeGpus(std::string_view list, const GpuCatalog& catalog,
                                                std::string_view node) {
  if (node.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--fake-gpus needs a node name: it makes the fake GPU UUIDs unique");
  }
  Result<std::vector<GpuGroup>> groups = ParseGpuList(list, catalog);
  if (!groups) {
    return MakeError(groups.error().code,
                     fmt::format("--fake-gpus \"{}\": {}", list, groups.error().message));
  }
  std::vector<GpuInfo> gpus;
  for (const GpuGroup& group : *groups) {
    for (int i = 0; i < group.count; ++i) {
      gpus.push_back(FakeGpu(static_cast<int>(gpus.size()), catalog.type(group.type), node));
    }
  }
  return std::make_unique<FakeGpuSource>(std::move(gpus), fmt::format("fake: {}", list));
}

}  // namespace gpusched::agent
