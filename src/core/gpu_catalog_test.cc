#include "gpusched/gpu_catalog.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gpusched {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// The canonical name of the type `name` resolves to, or "" when it does not.
std::string Resolve(const GpuCatalog& catalog, std::string_view name) {
  const std::optional<GpuTypeId> id = catalog.Find(name);
  return id ? catalog.type(*id).name : "";
}

GpuType MakeType(std::string name, MiB memory_mib, std::int32_t speed_milli,
                 std::vector<std::string> aliases = {}) {
  return GpuType{std::move(name), memory_mib, speed_milli, std::move(aliases)};
}

TEST(GpuCatalogTest, BuiltInListsTheDocumentedTypesInOrder) {
  const GpuCatalog catalog = GpuCatalog::BuiltIn();
  std::vector<std::string> names;
  for (const GpuType& type : catalog.types()) names.push_back(type.name);
  EXPECT_THAT(names,
              ElementsAre("GTX1650", "T4", "RTX3060", "A4000", "RTX3090", "A10", "L4", "V100-16",
                          "V100-32", "A100-40", "A100-80", "H100", "A10G", "P100", "P40"));
}

TEST(GpuCatalogTest, BuiltInMemoryIsInMiBAsNvidiaSmiReportsIt) {
  const GpuCatalog catalog = GpuCatalog::BuiltIn();
  EXPECT_EQ(catalog.type(*catalog.Find("GTX1650")).memory_mib, 4096);
  EXPECT_EQ(catalog.type(*catalog.Find("T4")).memory_mib, 15360);
  EXPECT_EQ(catalog.type(*catalog.Find("L4")).memory_mib, 23034);
  EXPECT_EQ(catalog.type(*catalog.Find("A100-40")).memory_mib, GiB(40));
  EXPECT_EQ(catalog.type(*catalog.Find("A100-80")).memory_mib, GiB(80));
  EXPECT_EQ(catalog.type(*catalog.Find("H100")).memory_mib, 81559);
  EXPECT_EQ(catalog.type(*catalog.Find("P100")).memory_mib, 16280);
  EXPECT_EQ(catalog.type(*catalog.Find("P40")).memory_mib, 24451);
}

TEST(GpuCatalogTest, BuiltInSpeedIsRelativeToT4) {
  const GpuCatalog catalog = GpuCatalog::BuiltIn();
  const auto speed = [&](std::string_view name) {
    return catalog.type(*catalog.Find(name)).speed_milli;
  };
  EXPECT_EQ(speed("T4"), 1000);
  EXPECT_LT(speed("GTX1650"), speed("T4"));
  EXPECT_LT(speed("V100-32"), speed("A100-80"));
  EXPECT_LT(speed("A100-80"), speed("H100"));
  EXPECT_EQ(speed("A100-40"), speed("A100-80"));
  EXPECT_LT(speed("P40"), speed("P100"));
  EXPECT_LT(speed("P100"), speed("T4")) << "in mixed precision the T4's tensor cores beat Pascal";
}

TEST(GpuCatalogTest, FindIgnoresCase) {
  const GpuCatalog catalog = GpuCatalog::BuiltIn();
  EXPECT_EQ(Resolve(catalog, "t4"), "T4");
  EXPECT_EQ(Resolve(catalog, "a100-80"), "A100-80");
  EXPECT_EQ(Resolve(catalog, "tesla t4"), "T4");
}

TEST(GpuCatalogTest, FindAcceptsNvmlProductNames) {
  const GpuCatalog catalog = GpuCatalog::BuiltIn();
  EXPECT_EQ(Resolve(catalog, "Tesla T4"), "T4");
  EXPECT_EQ(Resolve(catalog, "NVIDIA A100-SXM4-40GB"), "A100-40");
  EXPECT_EQ(Resolve(catalog, "NVIDIA A100-PCIE-40GB"), "A100-40");
  EXPECT_EQ(Resolve(catalog, "NVIDIA A100-SXM4-80GB"), "A100-80");
  EXPECT_EQ(Resolve(catalog, "NVIDIA A100 80GB PCIe"), "A100-80");
  EXPECT_EQ(Resolve(catalog, "NVIDIA H100 80GB HBM3"), "H100");
  EXPECT_EQ(Resolve(catalog, "NVIDIA GeForce RTX 3090"), "RTX3090");
  EXPECT_EQ(Resolve(catalog, "NVIDIA GeForce RTX 3060"), "RTX3060");
  EXPECT_EQ(Resolve(catalog, "NVIDIA GeForce GTX 1650"), "GTX1650");
  EXPECT_EQ(Resolve(catalog, "Tesla V100-SXM2-32GB"), "V100-32");
  EXPECT_EQ(Resolve(catalog, "NVIDIA L4"), "L4");
  EXPECT_EQ(Resolve(catalog, "NVIDIA RTX A4000"), "A4000");
  EXPECT_EQ(Resolve(catalog, "NVIDIA A10"), "A10");
  EXPECT_EQ(Resolve(catalog, "NVIDIA A10G"), "A10G");
  EXPECT_EQ(Resolve(catalog, "Tesla P100-PCIE-16GB"), "P100");
  EXPECT_EQ(Resolve(catalog, "Tesla P100-SXM2-16GB"), "P100");
  EXPECT_EQ(Resolve(catalog, "Tesla P40"), "P40");
}

TEST(GpuCatalogTest, BareA100AndV100AreAmbiguousAndNotFound) {
  const GpuCatalog catalog = GpuCatalog::BuiltIn();
  EXPECT_EQ(catalog.Find("A100"), std::nullopt);
  EXPECT_EQ(catalog.Find("V100"), std::nullopt);
  EXPECT_EQ(catalog.Find(""), std::nullopt);
}

TEST(GpuCatalogTest, AddReturnsTheNextIdAndMakesTheTypeFindable) {
  GpuCatalog catalog = GpuCatalog::BuiltIn();
  const std::size_t before = catalog.size();
  const Result<GpuTypeId> id = catalog.Add(MakeType("B200", GiB(180), 14000, {"NVIDIA B200"}));
  ASSERT_TRUE(id.has_value()) << id.error().message;
  EXPECT_EQ(static_cast<std::size_t>(*id), before);
  EXPECT_EQ(catalog.Find("nvidia b200"), *id);
  EXPECT_EQ(catalog.type(*id).memory_mib, GiB(180));
}

TEST(GpuCatalogTest, AddRejectsATakenNameOrAliasAndChangesNothing) {
  GpuCatalog catalog = GpuCatalog::BuiltIn();
  const std::size_t before = catalog.size();

  const Result<GpuTypeId> same_name = catalog.Add(MakeType("t4", 1000, 1000));
  ASSERT_FALSE(same_name.has_value());
  EXPECT_EQ(same_name.error().code, ErrorCode::kAlreadyExists);
  EXPECT_THAT(same_name.error().message, HasSubstr("already names type T4"));

  const Result<GpuTypeId> taken_alias =
      catalog.Add(MakeType("T4-custom", 1000, 1000, {"Tesla T4"}));
  ASSERT_FALSE(taken_alias.has_value());
  EXPECT_THAT(taken_alias.error().message, HasSubstr("\"Tesla T4\""));

  const Result<GpuTypeId> twice = catalog.Add(MakeType("X1", 1000, 1000, {"x1"}));
  ASSERT_FALSE(twice.has_value());
  EXPECT_THAT(twice.error().message, HasSubstr("twice"));

  EXPECT_EQ(catalog.size(), before);
  EXPECT_EQ(catalog.Find("T4-custom"), std::nullopt);
}

TEST(GpuCatalogTest, AddRejectsNonPositiveMemoryOrSpeedAndEmptyNames) {
  GpuCatalog catalog;
  const Result<GpuTypeId> no_memory = catalog.Add(MakeType("X", 0, 1000));
  ASSERT_FALSE(no_memory.has_value());
  EXPECT_EQ(no_memory.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(no_memory.error().message, HasSubstr("memory 0 MiB is not positive"));

  const Result<GpuTypeId> no_speed = catalog.Add(MakeType("X", 1024, -1));
  ASSERT_FALSE(no_speed.has_value());
  EXPECT_THAT(no_speed.error().message, HasSubstr("speed -1 is not positive"));

  EXPECT_FALSE(catalog.Add(MakeType("", 1024, 1000)).has_value());
  EXPECT_FALSE(catalog.Add(MakeType("X", 1024, 1000, {" "})).has_value());
  EXPECT_EQ(catalog.size(), 0u);
}

// --- ParseGpuList ---------------------------------------------------------

struct Group {
  int count;
  std::string type;
  friend bool operator==(const Group&, const Group&) = default;
};

std::vector<Group> Named(const std::vector<GpuGroup>& groups, const GpuCatalog& catalog) {
  std::vector<Group> named;
  for (const GpuGroup& g : groups) named.push_back({g.count, catalog.type(g.type).name});
  return named;
}

TEST(ParseGpuListTest, ParsesCountedGroupsInOrder) {
  const GpuCatalog catalog = GpuCatalog::BuiltIn();
  const auto groups = ParseGpuList("4xT4, 2xA100-80", catalog);
  ASSERT_TRUE(groups.has_value()) << groups.error().message;
  EXPECT_THAT(Named(*groups, catalog), ElementsAre(Group{4, "T4"}, Group{2, "A100-80"}));
}

TEST(ParseGpuListTest, ABareTypeMeansOneGpu) {
  const GpuCatalog catalog = GpuCatalog::BuiltIn();
  const auto groups = ParseGpuList("H100", catalog);
  ASSERT_TRUE(groups.has_value()) << groups.error().message;
  EXPECT_THAT(Named(*groups, catalog), ElementsAre(Group{1, "H100"}));
}

TEST(ParseGpuListTest, AcceptsSpacesUpperCaseXAndAnyTypeCase) {
  const GpuCatalog catalog = GpuCatalog::BuiltIn();
  const auto groups = ParseGpuList("  8 X l4 ,2x rtx3090  ", catalog);
  ASSERT_TRUE(groups.has_value()) << groups.error().message;
  EXPECT_THAT(Named(*groups, catalog), ElementsAre(Group{8, "L4"}, Group{2, "RTX3090"}));
}

TEST(ParseGpuListTest, UnknownTypeNamesTheTokenAndTheKnownTypes) {
  const auto groups = ParseGpuList("4xT4, 2xZ9", GpuCatalog::BuiltIn());
  ASSERT_FALSE(groups.has_value());
  EXPECT_EQ(groups.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(groups.error().message,
              AllOf(HasSubstr("unknown GPU type \"Z9\" in \"2xZ9\""),
                    HasSubstr("known: GTX1650, T4, RTX3060"), Not(HasSubstr("did you mean"))));
}

TEST(ParseGpuListTest, BareA100SuggestsBothMemorySizes) {
  const auto a100 = ParseGpuList("2xA100", GpuCatalog::BuiltIn());
  ASSERT_FALSE(a100.has_value());
  EXPECT_THAT(a100.error().message,
              HasSubstr("did you mean A100-40 or A100-80? known: GTX1650, T4"));

  const auto v100 = ParseGpuList("v100", GpuCatalog::BuiltIn());
  ASSERT_FALSE(v100.has_value());
  EXPECT_THAT(v100.error().message, HasSubstr("did you mean V100-16 or V100-32?"));
}

TEST(ParseGpuListTest, CountMustBeBetween1And1024) {
  const GpuCatalog catalog = GpuCatalog::BuiltIn();
  EXPECT_TRUE(ParseGpuList("1024xT4", catalog).has_value());
  for (const char* text : {"0xT4", "1025xT4", "99999999999999999999xT4"}) {
    const auto groups = ParseGpuList(text, catalog);
    ASSERT_FALSE(groups.has_value()) << text;
    EXPECT_EQ(groups.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(groups.error().message, AllOf(HasSubstr(text), HasSubstr("out of range 1..1024")));
  }
}

TEST(ParseGpuListTest, MalformedGroupsNameTheToken) {
  const GpuCatalog catalog = GpuCatalog::BuiltIn();
  const auto no_x = ParseGpuList("4T4", catalog);
  ASSERT_FALSE(no_x.has_value());
  EXPECT_THAT(no_x.error().message, HasSubstr("malformed GPU group \"4T4\": expected COUNTxTYPE"));

  const auto no_type = ParseGpuList("T4, 4x", catalog);
  ASSERT_FALSE(no_type.has_value());
  EXPECT_THAT(no_type.error().message, HasSubstr("GPU group \"4x\" names no type"));
}

TEST(ParseGpuListTest, EmptyListsAndEmptyGroupsAreRejected) {
  const GpuCatalog catalog = GpuCatalog::BuiltIn();
  const auto empty = ParseGpuList("  ", catalog);
  ASSERT_FALSE(empty.has_value());
  EXPECT_THAT(empty.error().message, HasSubstr("empty GPU list"));

  const auto empty_group = ParseGpuList("4xT4,,2xL4", catalog);
  ASSERT_FALSE(empty_group.has_value());
  EXPECT_THAT(empty_group.error().message, HasSubstr("empty GPU group in \"4xT4,,2xL4\""));
  EXPECT_FALSE(ParseGpuList("4xT4,", catalog).has_value());
}

TEST(GpuCatalogTest, AddRefusesMoreTypesThanTheLimitAndChangesNothing) {
  GpuCatalog catalog;
  for (std::size_t i = 0; i < kMaxGpuTypes; ++i) {
    ASSERT_TRUE(catalog.Add(GpuType{"type-" + std::to_string(i), 1024, 1000, {}}).has_value());
  }
  const auto one_more = catalog.Add(GpuType{"one-more", 1024, 1000, {}});
  ASSERT_FALSE(one_more.has_value());
  EXPECT_THAT(one_more.error().message, HasSubstr("full"));
  EXPECT_EQ(catalog.size(), kMaxGpuTypes);
  EXPECT_FALSE(catalog.Find("one-more").has_value());
}

}  // namespace
}  // namespace gpusched
