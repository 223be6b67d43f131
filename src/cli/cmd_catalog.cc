// `gpusched catalog`: the built-in GPU types, as a table or as JSON.
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "gpusched/gpu_catalog.h"
#include "gpusched/types.h"

namespace gpusched::cli {
namespace {

double GiBOf(MiB mib) { return static_cast<double>(mib) / static_cast<double>(kMiBPerGiB); }
double SpeedVsT4(const GpuType& type) { return static_cast<double>(type.speed_milli) / 1000.0; }

nlohmann::ordered_json TypeToJson(const GpuType& type) {
  return nlohmann::ordered_json{
      {"name", type.name},
      {"memory_mib", type.memory_mib},
      {"memory_gib", GiBOf(type.memory_mib)},
      {"speed_milli", type.speed_milli},
      {"speed_vs_t4", SpeedVsT4(type)},
      {"aliases", type.aliases},
  };
}

void PrintTable(const GpuCatalog& catalog) {
  std::size_t name_width = 4;  // "NAME"
  for (const GpuType& type : catalog.types()) name_width = std::max(name_width, type.name.size());
  fmt::print("{:<{}}  {:>10}  {:>10}  {}\n", "NAME", name_width, "MEMORY GiB", "SPEED (T4)",
             "ALIASES");
  for (const GpuType& type : catalog.types()) {
    fmt::print("{:<{}}  {:>10.1f}  {:>10.2f}  {}\n", type.name, name_width, GiBOf(type.memory_mib),
               SpeedVsT4(type), fmt::join(type.aliases, ", "));
  }
}

}  // namespace

int RunCatalog(const CatalogOptions& options) {
  const GpuCatalog catalog = GpuCatalog::BuiltIn();
  if (options.output == OutputFormat::kJson) {
    nlohmann::ordered_json types = nlohmann::ordered_json::array();
    for (const GpuType& type : catalog.types()) types.push_back(TypeToJson(type));
    PrintJson(nlohmann::ordered_json{{"gpu_types", types}});
  } else {
    PrintTable(catalog);
  }
  return kExitOk;
}

}  // namespace gpusched::cli
