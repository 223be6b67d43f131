// The built-in clusters, as a specification, built from the real files where
// the preset reads one (philly_vc.csv, openb_node_list_gpu_node.csv).
#include "sim/presets.h"

#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gpusched/cluster.h"
#include "sim/real_traces_testing.h"
#include "sim/trace_readers.h"

namespace gpusched::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using testing::ReadTrace;

int GpuCount(const Preset& p) {
  int gpus = 0;
  for (const NodeSpec& node : p.config.nodes) gpus += static_cast<int>(node.gpus.size());
  return gpus;
}

// Nodes and GPUs per type name.
std::map<std::string, std::pair<int, int>> ByType(const Preset& p) {
  std::map<std::string, std::pair<int, int>> by_type;
  for (const NodeSpec& node : p.config.nodes) {
    auto& [nodes, gpus] = by_type[p.catalog.type(node.gpus.at(0).type).name];
    ++nodes;
    gpus += static_cast<int>(node.gpus.size());
  }
  return by_type;
}

// Every preset is open to the trace's tenants, with the default classes,
// and its nodes form a valid ledger over its own catalog.
void ExpectUsable(const Preset& p) {
  SCOPED_TRACE(p.name);
  EXPECT_TRUE(p.config.open_tenants);
  ASSERT_EQ(p.config.tenants.size(), 1u);
  EXPECT_EQ(p.config.tenants[0].name, "default");
  EXPECT_EQ(p.config.classes.classes().size(), ClassTable::Defaults().classes().size());
  EXPECT_FALSE(p.description.empty());
  const Result<ClusterLedger> ledger = ClusterLedger::Create(&p.catalog, p.config.nodes);
  ASSERT_TRUE(ledger.has_value()) << ledger.error().message;
  EXPECT_EQ(ledger->gpu_count(), GpuCount(p));
}

TEST(PhillyPreset, Is352NodesOf8P100For2816Gpus) {
  const Preset p = PhillyPreset();
  EXPECT_EQ(p.name, "philly");
  ASSERT_EQ(p.config.nodes.size(), 352u);
  EXPECT_EQ(GpuCount(p), 2816);
  EXPECT_THAT(ByType(p), ElementsAre(Pair("P100", Pair(352, 2816))));
  EXPECT_EQ(p.config.nodes.front().name, "philly-0");
  EXPECT_EQ(p.config.nodes.back().name, "philly-351");
  ExpectUsable(p);
}

TEST(PhillyVcPresets, AreTheElevenVcsOfHeliosTotalling352Nodes) {
  const Result<std::vector<Preset>> presets =
      PhillyVcPresets(ReadTrace("philly-helios-qssf/philly_vc.csv"));
  ASSERT_TRUE(presets.has_value()) << presets.error().message;
  ASSERT_EQ(presets->size(), 11u);
  std::map<std::string, int> nodes;
  int total_nodes = 0;
  for (const Preset& p : *presets) {
    nodes[p.name] = static_cast<int>(p.config.nodes.size());
    total_nodes += static_cast<int>(p.config.nodes.size());
    EXPECT_EQ(GpuCount(p), 8 * static_cast<int>(p.config.nodes.size()));
    ExpectUsable(p);
  }
  EXPECT_EQ(total_nodes, 352);
  const std::map<std::string, int> expected = {
      {"philly-vc-6214e9", 64}, {"philly-vc-7f04ca", 32}, {"philly-vc-11cb48", 16},
      {"philly-vc-b436b2", 64}, {"philly-vc-ee9e8c", 64}, {"philly-vc-e13805", 16},
      {"philly-vc-6c71a0", 32}, {"philly-vc-2869ce", 16}, {"philly-vc-ed69ec", 8},
      {"philly-vc-103959", 8},  {"philly-vc-0e4a51", 32}};
  EXPECT_EQ(nodes, expected);
  EXPECT_EQ(presets->front().name, "philly-vc-6214e9") << "file order";
  EXPECT_EQ(presets->front().config.nodes.front().name, "philly-vc-6214e9-0");
}

TEST(PhillyVcList, ErrorsNameTheLineAndTheColumn) {
  const auto error = [](std::string_view text) {
    const Result<std::vector<PhillyVc>> vcs = ParsePhillyVcList(text);
    return vcs ? std::string("parsed") : vcs.error().message;
  };
  EXPECT_EQ(error("vc,node num\na,0\n"),
            "line 2: \"node num\": must be an integer in 1..1000000, got \"0\"");
  EXPECT_EQ(error("vc,node num\na,1\na,2\n"), "line 3: \"vc\": must be unique, got \"a\"");
  EXPECT_EQ(error("vc,nodes\n"), "line 1: header must be \"vc,node num\", got \"vc,nodes\"");
}

TEST(PaiPreset, Is1213GpuNodesHolding6212Gpus) {
  const Result<Preset> p = PaiPreset(ReadTrace("alibaba-pai-2023/openb_node_list_gpu_node.csv"));
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->name, "pai");
  EXPECT_EQ(p->config.nodes.size(), 1213u);
  EXPECT_EQ(GpuCount(*p), 6212);
  // Nodes and GPUs per model (awk: NR>1 {n[$5]++; g[$5]+=$4}), as the
  // README lists the nodes: G2 549, T4 404, P100 134, V100M16 55, G3 39,
  // V100M32 30, A10 2.
  EXPECT_THAT(ByType(*p),
              ElementsAre(Pair("A10", Pair(2, 2)), Pair("P100", Pair(134, 265)),
                          Pair("PAI-G2", Pair(549, 4392)), Pair("PAI-G3", Pair(39, 312)),
                          Pair("T4", Pair(404, 842)), Pair("V100-16", Pair(55, 195)),
                          Pair("V100-32", Pair(30, 204))));
  // openb-node-0000,64000,262144,2,P100
  EXPECT_EQ(p->config.nodes.front().name, "openb-node-0000");
  EXPECT_EQ(p->config.nodes.front().gpus.size(), 2u);
  ExpectUsable(*p);
}

TEST(PaiPreset, TheAllNodeListSkipsCpuOnlyNodes) {
  const Result<Preset> p = PaiPreset(ReadTrace("alibaba-pai-2023/openb_node_list_all_node.csv"));
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(GpuCount(*p), 6212);
  for (const NodeSpec& node : p->config.nodes) EXPECT_FALSE(node.gpus.empty()) << node.name;
}

TEST(PaiCatalog, AddsTheUndisclosedModelsAsPlaceholders) {
  const GpuCatalog catalog = PaiCatalog();
  EXPECT_EQ(catalog.size(), GpuCatalog::BuiltIn().size() + 2);
  for (const char* alias : {"G2", "G3"}) {
    const std::optional<GpuTypeId> id = catalog.Find(alias);
    ASSERT_TRUE(id.has_value()) << alias;
    EXPECT_EQ(catalog.type(*id).name, std::string("PAI-") + alias);
    EXPECT_EQ(catalog.type(*id).memory_mib, 24576);
    EXPECT_EQ(catalog.type(*id).speed_milli, 1000);
  }
}

TEST(PaiNodes, AnUnknownModelOrOneMissingFromTheCatalogIsAnError) {
  const std::string h = "sn,cpu_milli,memory_mib,gpu,model\n";
  const Result<std::vector<NodeSpec>> unknown = ParsePaiNodes(h + "n,1,1,2,K80\n", PaiCatalog());
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(
      unknown.error().message,
      "line 2: \"model\": must be one of V100M16, V100M32, P100, T4, A10, G2, G3, got \"K80\"");
  const Result<std::vector<NodeSpec>> missing =
      ParsePaiNodes(h + "n,1,1,2,G2\n", GpuCatalog::BuiltIn());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(
      missing.error().message,
      "line 2: \"model\": must be a model whose type \"PAI-G2\" is in the catalog, got \"G2\"");
}

TEST(TiresiasPreset, MatchesTheShippedClusterSpecWithP100s) {
  const Preset p = TiresiasPreset();
  EXPECT_EQ(p.name, "tiresias");
  EXPECT_THAT(ByType(p), ElementsAre(Pair("P100", Pair(16, 64))));
  // cluster_spec.csv: num_switch,num_node_p_switch,num_gpu_p_node,... = 1,16,4,...
  const std::string spec = ReadTrace("tiresias/cluster_spec.csv");
  EXPECT_NE(spec.find("\n1,16,4,"), std::string::npos) << spec;
  for (const NodeSpec& node : p.config.nodes) EXPECT_EQ(node.gpus.size(), 4u);
  EXPECT_EQ(p.config.nodes.back().name, "tiresias-15");
  ExpectUsable(p);
}

}  // namespace
}  // namespace gpusched::sim
