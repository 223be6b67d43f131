#include "gpusched/priority.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gpusched {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Builds a PriorityClass for tests: ClassBuilder("dev", 300).Never().Build().
class ClassBuilder {
 public:
  ClassBuilder(std::string name, std::int32_t value) {
    pc_.name = std::move(name);
    pc_.value = value;
  }
  ClassBuilder& Never() {
    pc_.policy = PreemptionPolicy::kNever;
    return *this;
  }
  ClassBuilder& Sla(int percentile, std::int64_t max_wait_s) {
    pc_.sla = SlaTarget{percentile, Duration(max_wait_s)};
    return *this;
  }
  ClassBuilder& MinRuntime(std::int64_t s) {
    pc_.min_runtime = Duration(s);
    return *this;
  }
  ClassBuilder& Grace(std::int64_t s) {
    pc_.preemption_grace = Duration(s);
    return *this;
  }
  PriorityClass Build() const { return pc_; }

 private:
  PriorityClass pc_;
};

std::vector<std::string> Names(const ClassTable& table) {
  std::vector<std::string> names;
  for (const PriorityClass& pc : table.classes()) names.push_back(pc.name);
  return names;
}

TEST(ClassTableTest, DefaultsAreFiveClassesHighestFirst) {
  const ClassTable table = ClassTable::Defaults();
  EXPECT_THAT(Names(table), ElementsAre("critical", "high", "medium", "low", "batch"));
  std::vector<std::int32_t> values;
  for (const PriorityClass& pc : table.classes()) values.push_back(pc.value);
  EXPECT_THAT(values, ElementsAre(1000, 800, 500, 200, 100));
}

TEST(ClassTableTest, DefaultCriticalHasTheTightestSlaAndNoMinimumRuntime) {
  const ClassTable table = ClassTable::Defaults();
  const PriorityClass* critical = table.Find("critical");
  ASSERT_NE(critical, nullptr);
  EXPECT_EQ(critical->policy, PreemptionPolicy::kPreemptLowerPriority);
  ASSERT_TRUE(critical->sla.has_value());
  EXPECT_EQ(critical->sla->percentile, 95);
  EXPECT_EQ(critical->sla->max_wait, Duration(300));
  EXPECT_EQ(critical->min_runtime, Duration(0));
  EXPECT_EQ(critical->preemption_grace, Duration(60));
}

TEST(ClassTableTest, DefaultTargetsAndVictimProtectionPerClass) {
  const ClassTable table = ClassTable::Defaults();
  struct Expected {
    const char* name;
    int percentile;
    std::int64_t max_wait_s, min_runtime_s, grace_s;
  };
  for (const Expected& e :
       {Expected{"high", 95, 1800, 600, 30}, Expected{"medium", 90, 7200, 300, 30},
        Expected{"low", 90, 28800, 300, 30}, Expected{"batch", 50, 86400, 120, 30}}) {
    const PriorityClass* pc = table.Find(e.name);
    ASSERT_NE(pc, nullptr) << e.name;
    ASSERT_TRUE(pc->sla.has_value()) << e.name;
    EXPECT_EQ(pc->sla->percentile, e.percentile) << e.name;
    EXPECT_EQ(pc->sla->max_wait, Duration(e.max_wait_s)) << e.name;
    EXPECT_EQ(pc->min_runtime, Duration(e.min_runtime_s)) << e.name;
    EXPECT_EQ(pc->preemption_grace, Duration(e.grace_s)) << e.name;
  }
}

TEST(ClassTableTest, OnlyDefaultBatchNeverPreempts) {
  const ClassTable table = ClassTable::Defaults();
  for (const PriorityClass& pc : table.classes()) {
    const PreemptionPolicy expected =
        pc.name == "batch" ? PreemptionPolicy::kNever : PreemptionPolicy::kPreemptLowerPriority;
    EXPECT_EQ(pc.policy, expected) << pc.name;
  }
}

TEST(ClassTableTest, AddKeepsClassesOrderedByValueHighestFirst) {
  ClassTable table;
  ASSERT_TRUE(table.Add(ClassBuilder("mid", 500).Build()).has_value());
  ASSERT_TRUE(table.Add(ClassBuilder("top", 900).Build()).has_value());
  ASSERT_TRUE(table.Add(ClassBuilder("bottom", 10).Build()).has_value());
  ASSERT_TRUE(table.Add(ClassBuilder("upper", 700).Build()).has_value());
  EXPECT_THAT(Names(table), ElementsAre("top", "upper", "mid", "bottom"));
}

TEST(ClassTableTest, AddRejectsATakenNameOrValueAndChangesNothing) {
  ClassTable table = ClassTable::Defaults();
  const Status same_name = table.Add(ClassBuilder("high", 850).Build());
  ASSERT_FALSE(same_name.has_value());
  EXPECT_EQ(same_name.error().code, ErrorCode::kAlreadyExists);
  EXPECT_THAT(same_name.error().message, HasSubstr("\"high\" already exists"));

  const Status same_value = table.Add(ClassBuilder("urgent", 800).Build());
  ASSERT_FALSE(same_value.has_value());
  EXPECT_EQ(same_value.error().code, ErrorCode::kAlreadyExists);
  EXPECT_THAT(same_value.error().message, HasSubstr("value 800 is taken by \"high\""));

  EXPECT_THAT(Names(table), ElementsAre("critical", "high", "medium", "low", "batch"));
}

TEST(ClassTableTest, NamesAreCaseSensitive) {
  ClassTable table = ClassTable::Defaults();
  EXPECT_EQ(table.Find("Critical"), nullptr);
  EXPECT_TRUE(table.Add(ClassBuilder("High", 850).Build()).has_value());
}

TEST(ClassTableTest, AddRejectsMalformedClassesNamingWhatIsWrong) {
  ClassTable table;
  const auto error_of = [&](const PriorityClass& pc) {
    const Status status = table.Add(pc);
    EXPECT_FALSE(status.has_value()) << pc.name;
    return status ? std::string() : status.error().message;
  };
  EXPECT_THAT(error_of(ClassBuilder("", 1).Build()), HasSubstr("name is empty"));
  EXPECT_THAT(error_of(ClassBuilder("a", 1).Sla(0, 60).Build()),
              HasSubstr("SLA percentile 0 is outside 1..100"));
  EXPECT_THAT(error_of(ClassBuilder("a", 1).Sla(101, 60).Build()),
              HasSubstr("SLA percentile 101 is outside 1..100"));
  EXPECT_THAT(error_of(ClassBuilder("a", 1).Sla(90, -1).Build()),
              HasSubstr("SLA wait -1 s is negative"));
  EXPECT_THAT(error_of(ClassBuilder("a", 1).MinRuntime(-5).Build()),
              HasSubstr("min_runtime -5 s is negative"));
  EXPECT_THAT(error_of(ClassBuilder("a", 1).Grace(-1).Build()),
              AllOf(HasSubstr("\"a\""), HasSubstr("preemption_grace -1 s is negative")));
  EXPECT_TRUE(table.classes().empty());
}

TEST(ClassTableTest, AddAcceptsAClassWithoutSlaAndBoundaryPercentiles) {
  ClassTable table;
  EXPECT_TRUE(table.Add(ClassBuilder("none", 3).Build()).has_value());
  EXPECT_TRUE(table.Add(ClassBuilder("one", 2).Sla(1, 0).Build()).has_value());
  EXPECT_TRUE(table.Add(ClassBuilder("all", 1).Sla(100, 60).Build()).has_value());
}

TEST(ClassTableTest, FindReturnsNullForAnUnknownName) {
  EXPECT_EQ(ClassTable::Defaults().Find("urgent"), nullptr);
  EXPECT_EQ(ClassTable().Find("critical"), nullptr);
}

TEST(ClassTableTest, NextLowerIsTheClassDirectlyBelowByValue) {
  ClassTable table = ClassTable::Defaults();
  ASSERT_TRUE(table.Add(ClassBuilder("elevated", 900).Build()).has_value());
  ASSERT_NE(table.NextLower("critical"), nullptr);
  EXPECT_EQ(table.NextLower("critical")->name, "elevated");
  EXPECT_EQ(table.NextLower("elevated")->name, "high");
  EXPECT_EQ(table.NextLower("low")->name, "batch");
}

TEST(ClassTableTest, NextLowerIsNullAtTheBottomOrForAnUnknownName) {
  const ClassTable table = ClassTable::Defaults();
  EXPECT_EQ(table.NextLower("batch"), nullptr);
  EXPECT_EQ(table.NextLower("urgent"), nullptr);
}

TEST(PreemptionPolicyTest, NamesRoundTrip) {
  for (PreemptionPolicy p : {PreemptionPolicy::kPreemptLowerPriority, PreemptionPolicy::kNever}) {
    const Result<PreemptionPolicy> parsed = ParsePreemptionPolicy(PreemptionPolicyName(p));
    ASSERT_TRUE(parsed.has_value()) << PreemptionPolicyName(p);
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_EQ(PreemptionPolicyName(PreemptionPolicy::kPreemptLowerPriority), "PreemptLowerPriority");
  EXPECT_EQ(PreemptionPolicyName(PreemptionPolicy::kNever), "Never");
}

TEST(PreemptionPolicyTest, ParseIgnoresCase) {
  EXPECT_EQ(ParsePreemptionPolicy("never"), PreemptionPolicy::kNever);
  EXPECT_EQ(ParsePreemptionPolicy("preemptlowerpriority"), PreemptionPolicy::kPreemptLowerPriority);
}

TEST(PreemptionPolicyTest, ParseRejectsOtherTextNamingItAndTheAcceptedValues) {
  for (const char* text : {"Always", "", "Never "}) {
    const Result<PreemptionPolicy> parsed = ParsePreemptionPolicy(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(parsed.error().message, AllOf(HasSubstr(std::string("\"") + text + "\""),
                                              HasSubstr("accepted: PreemptLowerPriority, Never")));
  }
}

}  // namespace
}  // namespace gpusched
