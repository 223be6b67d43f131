#include "config/cluster_file.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gpusched::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const GpuCatalog& Catalog() {
  static const GpuCatalog catalog = GpuCatalog::BuiltIn();
  return catalog;
}

ClusterConfig ParseOk(const std::string& yaml) {
  Result<ClusterConfig> config = ParseClusterFile(yaml, Catalog());
  EXPECT_TRUE(config.has_value()) << (config ? "" : config.error().message);
  return config ? std::move(*config) : ClusterConfig{};
}

std::string ParseError(const std::string& yaml) {
  Result<ClusterConfig> config = ParseClusterFile(yaml, Catalog());
  EXPECT_FALSE(config.has_value()) << "expected an error for:\n" << yaml;
  return config ? std::string() : config.error().message;
}

std::vector<std::string> NodeNames(const ClusterConfig& c) {
  std::vector<std::string> names;
  for (const NodeSpec& n : c.nodes) names.push_back(n.name);
  return names;
}

constexpr const char* kOneNode = "nodes:\n  - {name: n, gpus: T4}\n";

TEST(ClusterFileNodes, GroupWithCountExpandsToNumberedNames) {
  const ClusterConfig c = ParseOk("nodes:\n  - {name: a100-, count: 3, gpus: \"8xA100-80\"}\n");
  EXPECT_THAT(NodeNames(c), ElementsAre("a100-0", "a100-1", "a100-2"));
  for (const NodeSpec& n : c.nodes) EXPECT_EQ(n.gpus.size(), 8u);
}

TEST(ClusterFileNodes, SingleNodeKeepsItsNameAndMixedGpus) {
  const ClusterConfig c = ParseOk("nodes:\n  - {name: edge-1, gpus: \"2xT4, 1xL4\"}\n");
  ASSERT_THAT(NodeNames(c), ElementsAre("edge-1"));
  ASSERT_EQ(c.nodes[0].gpus.size(), 3u);
  EXPECT_EQ(c.nodes[0].gpus[0].type, *Catalog().Find("T4"));
  EXPECT_EQ(c.nodes[0].gpus[2].type, *Catalog().Find("L4"));
}

TEST(ClusterFileNodes, LabelsAreCarriedToEveryNodeOfAGroup) {
  const ClusterConfig c = ParseOk(
      "nodes:\n  - {name: g, count: 2, gpus: T4, labels: [\"image:ultralytics\", "
      "\"dataset:coco\"]}\n");
  ASSERT_EQ(c.nodes.size(), 2u);
  for (const NodeSpec& n : c.nodes)
    EXPECT_THAT(n.labels, ElementsAre("image:ultralytics", "dataset:coco"));
}

TEST(ClusterFileNodes, GpuMemoryComesFromTheCatalog) {
  const ClusterConfig c = ParseOk("nodes:\n  - {name: n, gpus: \"1xA100-80, 1xT4\"}\n");
  ASSERT_EQ(c.nodes[0].gpus.size(), 2u);
  EXPECT_EQ(c.nodes[0].gpus[0].memory_mib, Catalog().type(*Catalog().Find("A100-80")).memory_mib);
  EXPECT_EQ(c.nodes[0].gpus[1].memory_mib, Catalog().type(*Catalog().Find("T4")).memory_mib);
  EXPECT_GT(c.nodes[0].gpus[0].memory_mib, 0);
}

TEST(ClusterFileTenants, AllFieldsAreParsed) {
  const ClusterConfig c = ParseOk(std::string(kOneNode) +
                                  "tenants:\n"
                                  "  - {name: quality, guaranteed_gpus: 8, borrow_limit_gpus: 16,"
                                  " default_class: high, max_class_without_approval: critical,"
                                  " critical_budget_gpu_hours: 40, credit: 90}\n"
                                  "  - {name: research, critical_budget_gpu_hours: 0.5}\n");
  ASSERT_EQ(c.tenants.size(), 2u);
  const Tenant& q = c.tenants[0];
  EXPECT_EQ(q.name, "quality");
  EXPECT_EQ(q.guaranteed_gpus, 8);
  EXPECT_EQ(q.borrow_limit_gpus, 16);
  EXPECT_EQ(q.default_class, "high");
  EXPECT_EQ(q.max_class_without_approval, "critical");
  EXPECT_EQ(q.critical_budget_gpu_s, 40 * 3600);
  EXPECT_EQ(q.credit, 90);
  const Tenant& r = c.tenants[1];
  EXPECT_EQ(r.critical_budget_gpu_s, 1800);
  EXPECT_EQ(r.borrow_limit_gpus, std::nullopt);
  EXPECT_EQ(r.guaranteed_gpus, 0);
  EXPECT_EQ(r.credit, 100);
}

TEST(ClusterFileDefaults, MissingSectionsGiveDefaultTenantClassesAndPolicy) {
  const ClusterConfig c = ParseOk(kOneNode);
  ASSERT_EQ(c.tenants.size(), 1u);
  EXPECT_EQ(c.tenants[0].name, "default");
  ASSERT_EQ(c.classes.classes().size(), ClassTable::Defaults().classes().size());
  EXPECT_NE(c.classes.Find("critical"), nullptr);
  EXPECT_NE(c.classes.Find("batch"), nullptr);
  const PolicyConfig d;
  EXPECT_EQ(c.policy.max_preemptions_per_window, d.max_preemptions_per_window);
  EXPECT_EQ(c.policy.preemption_window, d.preemption_window);
  EXPECT_EQ(c.policy.enable_preemption, d.enable_preemption);
  EXPECT_EQ(c.policy.restart_overhead, d.restart_overhead);
}

TEST(ClusterFileClasses, ClassesReplaceTheDefaults) {
  const ClusterConfig c =
      ParseOk(std::string(kOneNode) +
              "classes:\n"
              "  - {name: urgent, value: 900, policy: PreemptLowerPriority,"
              " sla: {percentile: 99, max_wait_s: 120}, min_runtime_s: 0, grace_s: 60,"
              " save_period: 2}\n"
              "  - {name: medium, value: 10, policy: Never}\n");
  ASSERT_EQ(c.classes.classes().size(), 2u);
  EXPECT_EQ(c.classes.Find("critical"), nullptr);
  const PriorityClass* urgent = c.classes.Find("urgent");
  ASSERT_NE(urgent, nullptr);
  EXPECT_EQ(urgent->value, 900);
  EXPECT_EQ(urgent->policy, PreemptionPolicy::kPreemptLowerPriority);
  ASSERT_TRUE(urgent->sla.has_value());
  EXPECT_EQ(urgent->sla->percentile, 99);
  EXPECT_EQ(urgent->sla->max_wait, Duration(120));
  EXPECT_EQ(urgent->min_runtime, Duration(0));
  EXPECT_EQ(urgent->preemption_grace, Duration(60));
  EXPECT_EQ(urgent->save_period, 2);
  EXPECT_EQ(c.classes.Find("medium")->policy, PreemptionPolicy::kNever);
  EXPECT_EQ(c.classes.Find("medium")->save_period, 5) << "the default";
}

TEST(ClusterFileErrors, ASavePeriodBelowOneEpochIsRejected) {
  EXPECT_EQ(ParseError(std::string(kOneNode) +
                       "classes:\n  - {name: c, value: 1, save_period: 0}\n"),
            "classes[0].save_period: must be at least 1 epoch, got 0");
}

TEST(ClusterFilePolicy, KeysOverrideOnlyWhatTheyName) {
  const ClusterConfig c =
      ParseOk(std::string(kOneNode) +
              "policy:\n  max_preemptions_per_window: 3\n  preemption_window_s: 3600\n"
              "  restart_overhead_s: 30\n  restart_overhead_uncached_s: 500\n"
              "  enable_preemption: false\n  enable_backfill: false\n"
              "  enable_defrag: false\n  reclaim_equal_priority: true\n");
  EXPECT_EQ(c.policy.max_preemptions_per_window, 3);
  EXPECT_EQ(c.policy.preemption_window, Duration(3600));
  EXPECT_EQ(c.policy.restart_overhead, Duration(30));
  EXPECT_EQ(c.policy.restart_overhead_uncached, Duration(500));
  EXPECT_FALSE(c.policy.enable_preemption);
  EXPECT_FALSE(c.policy.enable_backfill);
  EXPECT_FALSE(c.policy.enable_defrag);
  EXPECT_TRUE(c.policy.reclaim_equal_priority);
  EXPECT_EQ(c.policy.priority_gap_scale, PolicyConfig{}.priority_gap_scale);
}

TEST(ClusterFileErrors, UnknownTopLevelKeyIsNamed) {
  EXPECT_THAT(ParseError(std::string(kOneNode) + "nodez: []\n"),
              HasSubstr("unknown key \"nodez\""));
}

TEST(ClusterFileErrors, UnknownNestedKeyNamesItsPath) {
  EXPECT_THAT(ParseError("nodes:\n  - {name: n, gpus: T4, gpu: T4}\n"),
              StartsWith("nodes[0]: unknown key \"gpu\""));
  EXPECT_THAT(ParseError(std::string(kOneNode) + "policy: {enable_magic: true}\n"),
              StartsWith("policy: unknown key \"enable_magic\""));
}

TEST(ClusterFileErrors, UnknownGpuTypeNamesTheNodesGpusField) {
  const std::string e = ParseError(
      "nodes:\n  - {name: a, gpus: T4}\n  - {name: b, gpus: T4}\n  - {name: c, gpus: \"2xZ9\"}\n");
  EXPECT_THAT(e, StartsWith("nodes[2].gpus: "));
  EXPECT_THAT(e, HasSubstr("Z9"));
}

TEST(ClusterFileErrors, NegativeGuaranteeIsRejected) {
  EXPECT_EQ(ParseError(std::string(kOneNode) + "tenants:\n  - {name: t, guaranteed_gpus: -1}\n"),
            "tenants[0].guaranteed_gpus: must be >= 0");
}

TEST(ClusterFileErrors, WrongTypeNamesThePathInsteadOfThrowing) {
  EXPECT_THAT(ParseError("nodes:\n  - {name: n, count: four, gpus: T4}\n"),
              StartsWith("nodes[0].count: expected an integer"));
  EXPECT_THAT(ParseError(std::string(kOneNode) + "policy: {enable_backfill: maybe}\n"),
              StartsWith("policy.enable_backfill: expected true or false"));
  EXPECT_THAT(ParseError("nodes: {name: n}\n"), StartsWith("nodes: expected a list"));
}

TEST(ClusterFileErrors, DuplicateNodeNameAfterExpansionIsRejected) {
  EXPECT_THAT(ParseError("nodes:\n  - {name: g, count: 2, gpus: T4}\n  - {name: g1, gpus: T4}\n"),
              StartsWith("nodes[1]: duplicate node name \"g1\""));
}

TEST(ClusterFileErrors, DuplicateTenantNameIsRejected) {
  EXPECT_THAT(ParseError(std::string(kOneNode) + "tenants:\n  - {name: t}\n  - {name: t}\n"),
              StartsWith("tenants[1]: duplicate tenant name \"t\""));
}

TEST(ClusterFileErrors, ClassTableErrorsArePrefixedWithThePath) {
  EXPECT_THAT(ParseError(std::string(kOneNode) +
                         "classes:\n  - {name: a, value: 5}\n  - {name: b, value: 5}\n"),
              StartsWith("classes[1]: "));
  EXPECT_THAT(
      ParseError(std::string(kOneNode) + "classes:\n  - {name: a, value: 5, policy: Sometimes}\n"),
      StartsWith("classes[0].policy: "));
}

TEST(ClusterFileErrors, TenantClassMustExist) {
  EXPECT_THAT(ParseError(std::string(kOneNode) + "tenants:\n  - {name: t, default_class: gold}\n"),
              StartsWith("tenants[0].default_class: unknown class \"gold\""));
}

TEST(ClusterFileErrors, MalformedYamlIsAnErrorNotAnException) {
  EXPECT_THAT(ParseError("nodes:\n  - {name: n, gpus: [T4\n"), HasSubstr("malformed YAML"));
}

}  // namespace
}  // namespace gpusched::config
