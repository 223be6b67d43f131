// The neutral tree the YAML and JSON readers share: how YAML scalars are
// typed, what the readers refuse, and how values are shown in messages.
#include "api/spec_tree.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "api/spec_text.h"

namespace gpusched::api {
namespace {

// The value of `key` in a one-entry YAML mapping "key: <scalar>".
TreeValue YamlScalar(std::string_view scalar) {
  Result<TreeValue> tree = ParseYamlTree("v: " + std::string(scalar));
  EXPECT_TRUE(tree.has_value()) << tree.error().message;
  if (!tree) return {};
  return tree->AsMap()->at(0).value;
}

template <typename T>
bool Holds(const TreeValue& v, const T& expected) {
  const T* got = std::get_if<T>(&v.v);
  return got != nullptr && *got == expected;
}

TEST(YamlScalars, PlainIntegersAreIntegersAndQuotedOnesAreStrings) {
  EXPECT_TRUE(Holds<std::int64_t>(YamlScalar("50"), 50));
  EXPECT_TRUE(Holds<std::int64_t>(YamlScalar("-1"), -1));
  EXPECT_TRUE(Holds<std::int64_t>(YamlScalar("+7"), 7));
  EXPECT_TRUE(Holds<std::int64_t>(YamlScalar("007"), 7));
  EXPECT_TRUE(Holds<std::string>(YamlScalar("\"50\""), "50"));
  EXPECT_TRUE(Holds<std::string>(YamlScalar("'50'"), "50"));
  EXPECT_TRUE(Holds<std::string>(YamlScalar("|\n  50"), "50"));
}

TEST(YamlScalars, OnlyDecimalNotationIsANumber) {
  EXPECT_TRUE(Holds<std::string>(YamlScalar("0x10"), "0x10"));
  EXPECT_TRUE(Holds<std::string>(YamlScalar("0o17"), "0o17"));
  EXPECT_TRUE(Holds<std::string>(YamlScalar("1_000"), "1_000"));
  EXPECT_TRUE(Holds<std::string>(YamlScalar("12:30"), "12:30"));
  EXPECT_TRUE(Holds<std::string>(YamlScalar("1e"), "1e"));
  EXPECT_TRUE(Holds<std::string>(YamlScalar("3e-4x"), "3e-4x"));
}

TEST(YamlScalars, FloatsFollowTheCoreSchema) {
  EXPECT_TRUE(Holds<double>(YamlScalar("0.5"), 0.5));
  EXPECT_TRUE(Holds<double>(YamlScalar(".5"), 0.5));
  EXPECT_TRUE(Holds<double>(YamlScalar("5."), 5.0));
  EXPECT_TRUE(Holds<double>(YamlScalar("3e-4"), 3e-4));
  EXPECT_TRUE(Holds<double>(YamlScalar("-1E+3"), -1000.0));
  EXPECT_TRUE(Holds<double>(YamlScalar("99999999999999999999"), 1e20));  // beyond int64
  EXPECT_TRUE(Holds<double>(YamlScalar("-.inf"), -std::numeric_limits<double>::infinity()));
  EXPECT_TRUE(Holds<double>(YamlScalar("1e999"), std::numeric_limits<double>::infinity()));
  const TreeValue nan = YamlScalar(".NaN");
  ASSERT_TRUE(std::holds_alternative<double>(nan.v));
  EXPECT_TRUE(std::isnan(std::get<double>(nan.v)));
}

TEST(YamlScalars, BooleansAreTrueAndFalseOnly) {
  EXPECT_TRUE(Holds<bool>(YamlScalar("true"), true));
  EXPECT_TRUE(Holds<bool>(YamlScalar("False"), false));
  EXPECT_TRUE(Holds<bool>(YamlScalar("TRUE"), true));
  for (const char* word : {"yes", "no", "on", "off", "y", "n", "tRUE"}) {
    EXPECT_TRUE(Holds<std::string>(YamlScalar(word), word)) << word;
  }
}

TEST(YamlScalars, NullIsTildeNullOrNothing) {
  for (const char* word : {"~", "null", "Null", "NULL", ""}) EXPECT_TRUE(YamlScalar(word).IsNull());
  EXPECT_TRUE(Holds<std::string>(YamlScalar("'null'"), "null"));
}

TEST(TreeReaders, KeepDocumentOrderAndNestedValues) {
  for (std::string_view text : {std::string_view("{b: [1, x], a: {c: true}}"),
                                std::string_view(R"({"b": [1, "x"], "a": {"c": true}})")}) {
    Result<TreeValue> tree =
        text.find('"') == std::string_view::npos ? ParseYamlTree(text) : ParseJsonTree(text);
    ASSERT_TRUE(tree.has_value()) << tree.error().message;
    const TreeMap& map = *tree->AsMap();
    ASSERT_EQ(map.size(), 2u);
    EXPECT_EQ(map[0].key, "b");
    EXPECT_EQ(map[1].key, "a");
    EXPECT_TRUE(Holds<std::int64_t>(map[0].value.AsList()->at(0), 1));
    EXPECT_TRUE(Holds<std::string>(map[0].value.AsList()->at(1), "x"));
    EXPECT_TRUE(Holds<bool>(map[1].value.AsMap()->at(0).value, true));
  }
}

TEST(TreeReaders, JsonIntegersBeyondInt64BecomeDoublesLikeYamlOnes) {
  Result<TreeValue> tree = ParseJsonTree("[18446744073709551615, 9223372036854775807]");
  ASSERT_TRUE(tree.has_value());
  EXPECT_TRUE(Holds<double>(tree->AsList()->at(0), 18446744073709551615.0));
  EXPECT_TRUE(Holds<std::int64_t>(tree->AsList()->at(1), std::numeric_limits<std::int64_t>::max()));
}

TEST(TreeReaders, DuplicateKeysInsideListsNameTheirPosition) {
  Result<TreeValue> tree = ParseYamlTree("a: [{x: 1}, {x: 1, x: 2}]");
  ASSERT_FALSE(tree.has_value());
  EXPECT_EQ(tree.error().message, "a[1]: duplicate key \"x\"");
}

TEST(Utf8, AcceptsWellFormedTextAndRefusesTheRest) {
  EXPECT_TRUE(IsValidUtf8("plain, é, 日本, \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE6\x97"));          // cut short
}

TEST(DescribeValue, ShowsWhatWasFoundBriefly) {
  EXPECT_EQ(DescribeValue(TreeValue{}), "null");
  EXPECT_EQ(DescribeValue(TreeValue{true}), "true");
  EXPECT_EQ(DescribeValue(TreeValue{std::int64_t{-2}}), "-2");
  EXPECT_EQ(DescribeValue(TreeValue{2.0}), "2.0");
  EXPECT_EQ(DescribeValue(TreeValue{0.25}), "0.25");
  EXPECT_EQ(DescribeValue(TreeValue{1e20}), "1e+20");
  EXPECT_EQ(DescribeValue(TreeValue{std::string("a\"b\n")}), R"("a\"b\n")");
  EXPECT_EQ(DescribeValue(TreeValue{std::string(50, 'x')}), "\"" + std::string(40, 'x') + "...\"");
  EXPECT_EQ(DescribeValue(TreeValue{TreeList{}}), "a list");
  EXPECT_EQ(DescribeValue(TreeValue{TreeMap{}}), "a mapping");
}

}  // namespace
}  // namespace gpusched::api
