#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gpusched/cluster.h"

namespace gpusched {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The GPU types of `node` by canonical name, in GPU order.
std::vector<std::string> GpuTypes(const NodeSpec& node, const GpuCatalog& catalog) {
  std::vector<std::string> names;
  for (const GpuSpec& gpu : node.gpus) names.push_back(catalog.type(gpu.type).name);
  return names;
}

std::vector<std::string> NodeNames(const std::vector<NodeSpec>& nodes) {
  std::vector<std::string> names;
  for (const NodeSpec& node : nodes) names.push_back(node.name);
  return names;
}

class CompactClusterTest : public ::testing::Test {
 protected:
  Result<std::vector<NodeSpec>> Parse(std::string_view text) const {
    return ParseCompactCluster(text, catalog_);
  }
  // The error message of parsing `text`; fails the test when it parses.
  std::string ErrorOf(std::string_view text) const {
    const auto nodes = Parse(text);
    EXPECT_FALSE(nodes.has_value()) << "parsed: " << text;
    return nodes ? "" : nodes.error().message;
  }

  const GpuCatalog catalog_ = GpuCatalog::BuiltIn();
};

TEST_F(CompactClusterTest, OneNodeExpandsGroupsIntoGpusInOrder) {
  const auto nodes = Parse("node-a: 2xT4, 1xA100-80");
  ASSERT_TRUE(nodes.has_value()) << nodes.error().message;
  ASSERT_EQ(nodes->size(), 1u);
  const NodeSpec& node = nodes->front();
  EXPECT_EQ(node.name, "node-a");
  EXPECT_THAT(GpuTypes(node, catalog_), ElementsAre("T4", "T4", "A100-80"));
  EXPECT_THAT(node.labels, IsEmpty());
  EXPECT_TRUE(node.healthy);
  EXPECT_FALSE(node.drained);
}

TEST_F(CompactClusterTest, GpusTakeTheirMemoryFromTheCatalog) {
  const auto nodes = Parse("node-a: 4xT4");
  ASSERT_TRUE(nodes.has_value()) << nodes.error().message;
  for (const GpuSpec& gpu : nodes->front().gpus) {
    EXPECT_EQ(gpu.memory_mib, 0);  // 0: the catalog's memory for the type
    EXPECT_TRUE(gpu.healthy);
    EXPECT_THAT(gpu.uuid, IsEmpty());
  }
}

TEST_F(CompactClusterTest, NodesAreSeparatedByNewlinesOrSemicolons) {
  const auto nodes = Parse("node-a: 4xT4\nnode-b: 2xL4; node-c: H100");
  ASSERT_TRUE(nodes.has_value()) << nodes.error().message;
  EXPECT_THAT(NodeNames(*nodes), ElementsAre("node-a", "node-b", "node-c"));
  EXPECT_THAT(GpuTypes((*nodes)[2], catalog_), ElementsAre("H100"));
}

TEST_F(CompactClusterTest, BlankLinesAreIgnored) {
  const auto nodes = Parse("\n  node-a: T4\n\n   \n;;node-b: L4\n");
  ASSERT_TRUE(nodes.has_value()) << nodes.error().message;
  EXPECT_THAT(NodeNames(*nodes), ElementsAre("node-a", "node-b"));
}

TEST_F(CompactClusterTest, EmptyTextIsAnEmptyCluster) {
  const auto nodes = Parse("");
  ASSERT_TRUE(nodes.has_value()) << nodes.error().message;
  EXPECT_THAT(*nodes, IsEmpty());
}

TEST_F(CompactClusterTest, LabelsInBracketsFollowTheGpuList) {
  const auto nodes = Parse("node-a: 4xT4 [image:yolo, dataset:scratches]\nnode-b: L4 []");
  ASSERT_TRUE(nodes.has_value()) << nodes.error().message;
  EXPECT_THAT((*nodes)[0].labels, ElementsAre("image:yolo", "dataset:scratches"));
  EXPECT_THAT(GpuTypes((*nodes)[0], catalog_), ElementsAre("T4", "T4", "T4", "T4"));
  EXPECT_THAT((*nodes)[1].labels, IsEmpty());
}

TEST_F(CompactClusterTest, LabelsMayContainColons) {
  const auto nodes = Parse("node-a: T4 [image:registry:5000/yolo:v8]");
  ASSERT_TRUE(nodes.has_value()) << nodes.error().message;
  EXPECT_THAT(nodes->front().labels, ElementsAre("image:registry:5000/yolo:v8"));
}

TEST_F(CompactClusterTest, DuplicateNodeNamesAreRejectedNamingTheNodeAndBothLines) {
  const std::string message = ErrorOf("node-a: T4\nnode-b: L4\nnode-a: 2xT4");
  EXPECT_THAT(message, AllOf(HasSubstr("line 3 \"node-a: 2xT4\""),
                             HasSubstr("duplicate node \"node-a\" (first on line 1)")));
  EXPECT_EQ(Parse("node-a: T4; node-a: L4").error().code, ErrorCode::kAlreadyExists);
}

TEST_F(CompactClusterTest, UnknownGpuTypeNamesTheLineNodeAndToken) {
  const std::string message = ErrorOf("node-a: 4xT4\n\nnode-c: 2xZ9");
  EXPECT_THAT(message, AllOf(HasSubstr("line 3 \"node-c: 2xZ9\""), HasSubstr("node \"node-c\""),
                             HasSubstr("unknown GPU type \"Z9\" in \"2xZ9\"")));
}

TEST_F(CompactClusterTest, MissingColonIsRejectedNamingTheLine) {
  EXPECT_THAT(ErrorOf("node-a 4xT4"),
              AllOf(HasSubstr("line 1 \"node-a 4xT4\""), HasSubstr("expected \"NAME: GPUS\"")));
}

TEST_F(CompactClusterTest, EmptyNameOrEmptyGpuListIsRejected) {
  EXPECT_THAT(ErrorOf(": 4xT4"), HasSubstr("the node name is empty"));
  EXPECT_THAT(ErrorOf("node-a:"), AllOf(HasSubstr("line 1"), HasSubstr("empty GPU list")));
  EXPECT_THAT(ErrorOf("node-a: [image:yolo]"), HasSubstr("empty GPU list"));
}

TEST_F(CompactClusterTest, MalformedLabelsAreRejectedNamingTheLine) {
  EXPECT_THAT(ErrorOf("node-a: T4 [image:yolo"), AllOf(HasSubstr("line 1"), HasSubstr("']'")));
  EXPECT_THAT(ErrorOf("node-a: T4 [image:yolo] extra"), HasSubstr("must end with ']'"));
  EXPECT_THAT(ErrorOf("node-a: T4 image:yolo]"), HasSubstr("']' without '['"));
  EXPECT_THAT(ErrorOf("node-a: T4 [a,,b]"), HasSubstr("malformed label \"\""));
  EXPECT_THAT(ErrorOf("node-a: T4 [a, [b]]"), HasSubstr("malformed label \"[b]\""));
}

TEST_F(CompactClusterTest, BadCountIsRejectedNamingTheLine) {
  EXPECT_THAT(ErrorOf("node-a: T4\nnode-b: 0xT4"),
              AllOf(HasSubstr("line 2"), HasSubstr("out of range 1..1024")));
}

}  // namespace
}  // namespace gpusched
