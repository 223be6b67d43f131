#include "agent/fake_gpus.h"

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gpusched::agent {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The GPUs a fake source discovers from `list` on node "node-a".
std::vector<GpuInfo> Discover(std::string_view list, std::string_view node = "node-a") {
  Result<std::unique_ptr<GpuSource>> source = MakeFakeGpus(list, GpuCatalog::BuiltIn(), node);
  EXPECT_TRUE(source.has_value()) << source.error().message;
  if (!source) return {};
  Result<std::vector<GpuInfo>> gpus = (*source)->Discover();
  EXPECT_TRUE(gpus.has_value());
  return gpus ? *gpus : std::vector<GpuInfo>{};
}

// The error MakeFakeGpus gives for `list`.
Error ErrorFor(std::string_view list, std::string_view node = "node-a") {
  Result<std::unique_ptr<GpuSource>> source = MakeFakeGpus(list, GpuCatalog::BuiltIn(), node);
  EXPECT_FALSE(source.has_value()) << "\"" << list << "\" was accepted";
  return source ? Error{} : source.error();
}

TEST(FakeGpuTest, ListsOneGpuPerCardInListOrderWithTheCatalogsNameAndMemory) {
  const std::vector<GpuInfo> gpus = Discover("2xT4,1xA100-40");
  ASSERT_EQ(gpus.size(), 3u);
  std::vector<std::string> names;
  for (const GpuInfo& gpu : gpus) names.push_back(gpu.name);
  EXPECT_THAT(names, ElementsAre("T4", "T4", "A100-40"));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(gpus[i].index, i);
  EXPECT_EQ(gpus[0].memory_total_mib, 15360);
  EXPECT_EQ(gpus[1].memory_total_mib, 15360);
  EXPECT_EQ(gpus[2].memory_total_mib, GiB(40));
  EXPECT_EQ(gpus[0].product_name, "Fake T4");
  EXPECT_EQ(gpus[2].product_name, "Fake A100-40");
}

TEST(FakeGpuTest, UuidsNameTheNodeAndTheIndex) {
  const std::vector<GpuInfo> gpus = Discover("2xT4,1xA100-40", "node-a");
  ASSERT_EQ(gpus.size(), 3u);
  EXPECT_EQ(gpus[0].uuid, "GPU-fake-node-a-0");
  EXPECT_EQ(gpus[1].uuid, "GPU-fake-node-a-1");
  EXPECT_EQ(gpus[2].uuid, "GPU-fake-node-a-2");
}

TEST(FakeGpuTest, UuidsAreStableAcrossRestartsAndUniqueAcrossNodes) {
  EXPECT_EQ(Discover("T4", "node-a")[0].uuid, Discover("T4", "node-a")[0].uuid);
  EXPECT_NE(Discover("T4", "node-a")[0].uuid, Discover("T4", "node-b")[0].uuid);
}

TEST(FakeGpuTest, FakeGpusAreIdleCoolHealthyAndRunNothing) {
  for (const GpuInfo& gpu : Discover("1xT4, 1xH100")) {
    EXPECT_EQ(gpu.memory_used_mib, 0);
    EXPECT_EQ(gpu.utilization_pct, 0);
    EXPECT_EQ(gpu.temperature_c, 40);
    EXPECT_TRUE(gpu.healthy);
    EXPECT_EQ(gpu.health_reason, "");
    EXPECT_TRUE(gpu.processes.empty());
  }
}

TEST(FakeGpuTest, AliasesAndSpacesResolveToTheCanonicalName) {
  const std::vector<GpuInfo> gpus = Discover(" 2 x Tesla T4 , NVIDIA A100-SXM4-80GB ");
  ASSERT_EQ(gpus.size(), 3u);
  EXPECT_EQ(gpus[0].name, "T4");
  EXPECT_EQ(gpus[2].name, "A100-80");
  EXPECT_EQ(gpus[2].product_name, "Fake A100-80");
}

TEST(FakeGpuTest, EveryDiscoverReturnsTheSameGpus) {
  Result<std::unique_ptr<GpuSource>> source = MakeFakeGpus("2xT4", GpuCatalog::BuiltIn(), "node-a");
  ASSERT_TRUE(source.has_value());
  const Result<std::vector<GpuInfo>> first = (*source)->Discover();
  const Result<std::vector<GpuInfo>> second = (*source)->Discover();
  ASSERT_TRUE(first.has_value() && second.has_value());
  ASSERT_EQ(second->size(), 2u);
  EXPECT_EQ((*first)[1].uuid, (*second)[1].uuid);
}

TEST(FakeGpuTest, DescribeShowsTheList) {
  Result<std::unique_ptr<GpuSource>> source =
      MakeFakeGpus("2xT4,1xA100-40", GpuCatalog::BuiltIn(), "node-a");
  ASSERT_TRUE(source.has_value());
  EXPECT_EQ((*source)->Describe(), "fake: 2xT4,1xA100-40");
}

TEST(FakeGpuTest, AnUnknownTypeIsAnErrorNamingTheToken) {
  const Error error = ErrorFor("2xT4,1xB200");
  EXPECT_EQ(error.code, ErrorCode::kNotFound);
  EXPECT_THAT(error.message,
              AllOf(HasSubstr("--fake-gpus"), HasSubstr("\"1xB200\""), HasSubstr("B200")));
}

TEST(FakeGpuTest, AMalformedGroupIsAnErrorNamingTheToken) {
  EXPECT_THAT(ErrorFor("0xT4").message, HasSubstr("\"0xT4\""));
  EXPECT_THAT(ErrorFor("2T4").message, HasSubstr("\"2T4\""));
  EXPECT_THAT(ErrorFor("T4,,T4").message, HasSubstr("empty GPU group"));
}

TEST(FakeGpuTest, AnEmptyListIsRefused) {
  EXPECT_EQ(ErrorFor("").code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(ErrorFor("").message, HasSubstr("empty GPU list"));
  EXPECT_THAT(ErrorFor("   ").message, HasSubstr("empty GPU list"));
}

TEST(FakeGpuTest, AnEmptyNodeNameIsRefusedBecauseUuidsWouldCollide) {
  const Error error = ErrorFor("2xT4", "");
  EXPECT_EQ(error.code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(error.message, HasSubstr("node name"));
}

}  // namespace
}  // namespace gpusched::agent
