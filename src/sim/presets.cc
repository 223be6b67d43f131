#include "sim/presets.h"

#include <array>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "sim/csv_rows.h"
#include "sim/trace_readers.h"

namespace gpusched::sim {
namespace {

constexpr int kPhillyGpusPerNode = 8;  // Helios's --num_gpus_per_node default
constexpr int kPhillyNodes = 352;      // the sum of philly_vc.csv's node counts
constexpr int kTiresiasNodes = 16;     // cluster_spec.csv: 1 switch x 16 nodes
constexpr int kTiresiasGpusPerNode = 4;

// The defaults every preset shares; see the header.
ClusterConfig OpenConfig(std::vector<NodeSpec> nodes) {
  ClusterConfig config{std::move(nodes), {}, ClassTable::Defaults(), PolicyConfig{}, true};
  Tenant fallback;
  fallback.name = "default";
  config.tenants.push_back(std::move(fallback));
  return config;
}

// Nodes "<prefix>0".."<prefix><count - 1>" of `gpus` cards of `type_name`.
std::vector<NodeSpec> UniformNodes(std::string_view prefix, int count, int gpus,
                                   std::string_view type_name, const GpuCatalog& catalog) {
  const std::optional<GpuTypeId> type = catalog.Find(type_name);
  GPUSCHED_CHECK(type.has_value(), fmt::format("no GPU type {} in the catalog", type_name));
  std::vector<NodeSpec> nodes(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    NodeSpec& node = nodes[static_cast<std::size_t>(i)];
    node.name = fmt::format("{}{}", prefix, i);
    node.gpus.assign(static_cast<std::size_t>(gpus), GpuSpec{*type, 0, "", true});
  }
  return nodes;
}

Preset P100Preset(std::string name, std::string description, int nodes, int gpus_per_node) {
  GpuCatalog catalog = GpuCatalog::BuiltIn();
  ClusterConfig config =
      OpenConfig(UniformNodes(name + "-", nodes, gpus_per_node, "P100", catalog));
  return Preset{std::move(name), std::move(description), std::move(catalog), std::move(config)};
}

}  // namespace

Preset PhillyPreset() {
  return P100Preset("philly",
                    "Microsoft Philly as sized by Helios (SC'21): 352 nodes x 8 P100 = 2,816 GPUs",
                    kPhillyNodes, kPhillyGpusPerNode);
}

Result<std::vector<PhillyVc>> ParsePhillyVcList(std::string_view philly_vc_csv) {
  constexpr std::array<std::string_view, 2> kColumns = {"vc", "node num"};
  const Result<csv::Table> table = csv::Split(philly_vc_csv, kColumns);
  if (!table) return tl::unexpected(table.error());
  std::vector<PhillyVc> vcs;
  std::set<std::string_view> seen;
  for (const csv::Row& row : table->rows) {
    const csv::Fields f(*table, row);
    const Result<std::string_view> vc = f.NonEmpty(0);
    if (!vc) return tl::unexpected(vc.error());
    if (!seen.insert(*vc).second) return f.Bad(0, "unique");
    const Result<std::int64_t> nodes = f.Int(1, 1, 1'000'000, "an integer in 1..1000000");
    if (!nodes) return tl::unexpected(nodes.error());
    vcs.push_back(PhillyVc{std::string(*vc), static_cast<int>(*nodes)});
  }
  return vcs;
}

Result<std::vector<Preset>> PhillyVcPresets(std::string_view philly_vc_csv) {
  const Result<std::vector<PhillyVc>> vcs = ParsePhillyVcList(philly_vc_csv);
  if (!vcs) return tl::unexpected(vcs.error());
  std::vector<Preset> presets;
  for (const PhillyVc& vc : *vcs) {
    presets.push_back(P100Preset(
        "philly-vc-" + vc.vc,
        fmt::format("Philly VC {} as Helios (SC'21) simulates it: {} nodes x 8 P100 = {} GPUs",
                    vc.vc, vc.nodes, vc.nodes * kPhillyGpusPerNode),
        vc.nodes, kPhillyGpusPerNode));
  }
  return presets;
}

GpuCatalog PaiCatalog() {
  GpuCatalog catalog = GpuCatalog::BuiltIn();
  for (const char* model : {"G2", "G3"}) {
    const Result<GpuTypeId> added =
        catalog.Add(GpuType{fmt::format("PAI-{}", model), 24576, 1000, {model}});
    GPUSCHED_CHECK(added.has_value(), added.error().message);
  }
  return catalog;
}

Result<Preset> PaiPreset(std::string_view gpu_node_csv) {
  GpuCatalog catalog = PaiCatalog();
  Result<std::vector<NodeSpec>> nodes = ParsePaiNodes(gpu_node_csv, catalog);
  if (!nodes) return tl::unexpected(nodes.error());
  int gpus = 0;
  for (const NodeSpec& node : *nodes) gpus += static_cast<int>(node.gpus.size());
  std::string description = fmt::format(
      "Alibaba PAI 2023 (openb) GPU nodes: {} nodes holding {} GPUs", nodes->size(), gpus);
  ClusterConfig config = OpenConfig(std::move(*nodes));
  return Preset{"pai", std::move(description), std::move(catalog), std::move(config)};
}

Preset TiresiasPreset() {
  return P100Preset("tiresias",
                    "Tiresias (NSDI'19) simulator's cluster_spec.csv: 16 nodes x 4 P100 = 64 GPUs",
                    kTiresiasNodes, kTiresiasGpusPerNode);
}

}  // namespace gpusched::sim
