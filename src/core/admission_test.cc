#include "gpusched/admission.h"

#include <optional>
#include <string>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gpusched {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Optional;

constexpr std::int64_t kHour = 3600;

// TenantBuilder("vision").Credit(40).Allowance("high").Build().
class TenantBuilder {
 public:
  explicit TenantBuilder(std::string name) { tenant_.name = std::move(name); }
  TenantBuilder& Credit(int credit) {
    tenant_.credit = credit;
    return *this;
  }
  TenantBuilder& DefaultClass(std::string name) {
    tenant_.default_class = std::move(name);
    return *this;
  }
  TenantBuilder& Allowance(std::string max_class) {
    tenant_.max_class_without_approval = std::move(max_class);
    return *this;
  }
  TenantBuilder& CriticalBudget(std::int64_t budget_gpu_s, std::int64_t used_gpu_s) {
    tenant_.critical_budget_gpu_s = budget_gpu_s;
    tenant_.critical_used_gpu_s = used_gpu_s;
    return *this;
  }
  Tenant Build() const { return tenant_; }

 private:
  Tenant tenant_;
};

Job JobOfClass(std::string class_name, bool approved = false) {
  Job job;
  job.id = 7;
  job.tenant = "vision";
  job.class_name = std::move(class_name);
  job.approved = approved;
  return job;
}

// --- Admit ------------------------------------------------------------------

class AdmitTest : public ::testing::Test {
 protected:
  Admission AdmitOk(std::string_view requested, const Tenant& tenant) const {
    const Result<Admission> admission = Admit(requested, tenant, classes_, policy_);
    EXPECT_TRUE(admission.has_value()) << admission.error().message;
    return admission.value_or(Admission{});
  }

  const ClassTable classes_ = ClassTable::Defaults();
  PolicyConfig policy_;  // credit threshold 50, demote above "high"
};

TEST_F(AdmitTest, TheRequestedClassIsKeptWhenCreditIsGood) {
  const Admission admission = AdmitOk("critical", TenantBuilder("vision").Build());
  EXPECT_EQ(admission.class_name, "critical");
  EXPECT_EQ(admission.demotion, std::nullopt);
}

TEST_F(AdmitTest, NoRequestedClassMeansTheTenantsDefault) {
  const Admission admission = AdmitOk("", TenantBuilder("vision").DefaultClass("low").Build());
  EXPECT_EQ(admission.class_name, "low");
  EXPECT_EQ(admission.demotion, std::nullopt);
}

TEST_F(AdmitTest, LowCreditDemotesAClassAboveTheBoundByExactlyOne) {
  const Admission admission = AdmitOk("critical", TenantBuilder("vision").Credit(40).Build());
  EXPECT_EQ(admission.class_name, "high");
  EXPECT_THAT(admission.demotion,
              Optional(std::string(
                  "demoted from critical to high: tenant \"vision\" credit 40 is below 50")));
}

TEST_F(AdmitTest, LowCreditLeavesTheBoundAndClassesBelowItAlone) {
  const Tenant tenant = TenantBuilder("vision").Credit(0).Build();
  for (const char* name : {"high", "medium", "batch"}) {
    const Admission admission = AdmitOk(name, tenant);
    EXPECT_EQ(admission.class_name, name);
    EXPECT_EQ(admission.demotion, std::nullopt) << name;
  }
}

TEST_F(AdmitTest, CreditAtTheThresholdIsNotDemoted) {
  const Admission admission = AdmitOk("critical", TenantBuilder("vision").Credit(50).Build());
  EXPECT_EQ(admission.class_name, "critical");
}

TEST_F(AdmitTest, TheDemotionBoundComesFromThePolicy) {
  policy_.credit_demote_above = "low";
  policy_.credit_threshold = 80;
  const Admission admission = AdmitOk("medium", TenantBuilder("vision").Credit(70).Build());
  EXPECT_EQ(admission.class_name, "low");
  EXPECT_THAT(admission.demotion,
              Optional(HasSubstr("demoted from medium to low: tenant \"vision\" credit 70 "
                                 "is below 80")));
}

TEST_F(AdmitTest, AnUnknownRequestedClassFailsNamingIt) {
  const Result<Admission> admission =
      Admit("urgent", TenantBuilder("vision").Build(), classes_, policy_);
  ASSERT_FALSE(admission.has_value());
  EXPECT_EQ(admission.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(admission.error().message,
              AllOf(HasSubstr("unknown priority class \"urgent\""),
                    HasSubstr("known: critical, high, medium, low, batch")));
}

TEST_F(AdmitTest, AnUnknownTenantDefaultFailsNamingTheTenant) {
  const Result<Admission> admission =
      Admit("", TenantBuilder("vision").DefaultClass("gold").Build(), classes_, policy_);
  ASSERT_FALSE(admission.has_value());
  EXPECT_THAT(admission.error().message,
              HasSubstr("unknown priority class \"gold\" (tenant \"vision\"'s default)"));
}

TEST_F(AdmitTest, AnUnknownDemotionBoundFailsOnlyWhenTheRuleApplies) {
  policy_.credit_demote_above = "gold";
  EXPECT_EQ(AdmitOk("critical", TenantBuilder("vision").Build()).class_name, "critical");

  const Result<Admission> admission =
      Admit("critical", TenantBuilder("vision").Credit(10).Build(), classes_, policy_);
  ASSERT_FALSE(admission.has_value());
  EXPECT_EQ(admission.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(admission.error().message,
              HasSubstr("credit_demote_above names unknown priority class \"gold\""));
}

// --- ApprovalNeeded ---------------------------------------------------------

TEST(ApprovalNeededTest, AClassWithinTheAllowanceAndBudgetRunsWithoutApproval) {
  const ClassTable classes = ClassTable::Defaults();
  const Tenant tenant = TenantBuilder("vision").CriticalBudget(10 * kHour, 2 * kHour).Build();
  EXPECT_EQ(ApprovalNeeded(JobOfClass("critical"), tenant, classes, 2 * kHour), std::nullopt);
  EXPECT_EQ(ApprovalNeeded(JobOfClass("medium"), tenant, classes, 100 * kHour), std::nullopt);
}

TEST(ApprovalNeededTest, AClassAboveTheAllowanceNeedsApproval) {
  const ClassTable classes = ClassTable::Defaults();
  const Tenant tenant = TenantBuilder("vision").Allowance("high").Build();
  EXPECT_THAT(ApprovalNeeded(JobOfClass("critical"), tenant, classes, 0),
              Optional(std::string("class critical is above tenant \"vision\"'s allowance "
                                   "(high); needs an operator's approval")));
  EXPECT_EQ(ApprovalNeeded(JobOfClass("high"), tenant, classes, 0), std::nullopt);
}

TEST(ApprovalNeededTest, ACriticalJobThatWouldOverrunTheBudgetNeedsApproval) {
  const ClassTable classes = ClassTable::Defaults();
  const Tenant tenant =
      TenantBuilder("vision").CriticalBudget(10 * kHour, 9 * kHour + 1800).Build();
  EXPECT_THAT(ApprovalNeeded(JobOfClass("critical"), tenant, classes, 2 * kHour),
              Optional(std::string("critical budget: tenant \"vision\" used 9.5 of 10.0 "
                                   "GPU-hours in the window; this job needs ~2.0 more; "
                                   "needs an operator's approval")));
}

TEST(ApprovalNeededTest, UsingExactlyTheRemainingBudgetNeedsNoApproval) {
  const ClassTable classes = ClassTable::Defaults();
  const Tenant tenant = TenantBuilder("vision").CriticalBudget(10 * kHour, 8 * kHour).Build();
  EXPECT_EQ(ApprovalNeeded(JobOfClass("critical"), tenant, classes, 2 * kHour), std::nullopt);
  EXPECT_NE(ApprovalNeeded(JobOfClass("critical"), tenant, classes, 2 * kHour + 1), std::nullopt);
}

TEST(ApprovalNeededTest, AnOverspentBudgetBlocksEvenAnEmptyPrediction) {
  const ClassTable classes = ClassTable::Defaults();
  const Tenant tenant = TenantBuilder("vision").CriticalBudget(kHour, 2 * kHour).Build();
  EXPECT_THAT(ApprovalNeeded(JobOfClass("critical"), tenant, classes, -50),
              Optional(HasSubstr("this job needs ~0.0 more")));
}

TEST(ApprovalNeededTest, TheBudgetBindsOnlyCriticalJobs) {
  const ClassTable classes = ClassTable::Defaults();
  const Tenant tenant = TenantBuilder("vision").CriticalBudget(0, 0).Build();
  EXPECT_EQ(ApprovalNeeded(JobOfClass("high"), tenant, classes, 5 * kHour), std::nullopt);
}

TEST(ApprovalNeededTest, WithoutACriticalClassTheHighestClassIsCritical) {
  ClassTable classes;
  for (const auto& [name, value] : {std::pair{"prod", 10}, std::pair{"dev", 5}}) {
    PriorityClass pc;
    pc.name = name;
    pc.value = value;
    ASSERT_TRUE(classes.Add(pc).has_value());
  }
  const Tenant tenant =
      TenantBuilder("vision").Allowance("prod").CriticalBudget(kHour, kHour).Build();
  EXPECT_THAT(ApprovalNeeded(JobOfClass("prod"), tenant, classes, 60),
              Optional(HasSubstr("critical budget: tenant \"vision\"")));
  EXPECT_EQ(ApprovalNeeded(JobOfClass("dev"), tenant, classes, 60), std::nullopt);
}

TEST(ApprovalNeededTest, AnApprovedJobNeverNeedsApprovalAgain) {
  const ClassTable classes = ClassTable::Defaults();
  const Tenant tenant = TenantBuilder("vision").Allowance("low").CriticalBudget(0, kHour).Build();
  EXPECT_EQ(ApprovalNeeded(JobOfClass("critical", /*approved=*/true), tenant, classes, kHour),
            std::nullopt);
}

TEST(ApprovalNeededTest, UnknownClassesNeedApprovalWithAReasonNamingThem) {
  const ClassTable classes = ClassTable::Defaults();
  EXPECT_THAT(ApprovalNeeded(JobOfClass("gold"), TenantBuilder("vision").Build(), classes, 0),
              Optional(HasSubstr("class \"gold\" is unknown")));
  EXPECT_THAT(ApprovalNeeded(JobOfClass("low"), TenantBuilder("vision").Allowance("gold").Build(),
                             classes, 0),
              Optional(HasSubstr("tenant \"vision\"'s allowance names unknown class \"gold\"")));
}

// --- ApplyCreditEvent -------------------------------------------------------

TEST(CreditEventTest, EventsMoveTheCreditByTheirWeight) {
  EXPECT_EQ(ApplyCreditEvent(80, CreditEvent::kCriticalCancelledQuickly), 70);
  EXPECT_EQ(ApplyCreditEvent(80, CreditEvent::kDemotedByOperator), 65);
  EXPECT_EQ(ApplyCreditEvent(80, CreditEvent::kCriticalCompleted), 82);
}

TEST(CreditEventTest, CreditStaysWithin0And100) {
  EXPECT_EQ(ApplyCreditEvent(5, CreditEvent::kCriticalCancelledQuickly), 0);
  EXPECT_EQ(ApplyCreditEvent(10, CreditEvent::kDemotedByOperator), 0);
  EXPECT_EQ(ApplyCreditEvent(99, CreditEvent::kCriticalCompleted), 100);
  EXPECT_EQ(ApplyCreditEvent(100, CreditEvent::kCriticalCompleted), 100);
}

TEST(CreditEventTest, RepeatedQuickCancelsLeadToDemotionAtAdmission) {
  int credit = 100;
  for (int i = 0; i < 5; ++i) {
    credit = ApplyCreditEvent(credit, CreditEvent::kCriticalCancelledQuickly);
  }
  const ClassTable classes = ClassTable::Defaults();
  const PolicyConfig policy;
  EXPECT_EQ(Admit("critical", TenantBuilder("vision").Credit(credit).Build(), classes, policy)
                ->class_name,
            "critical");  // 50 is not below the threshold

  credit = ApplyCreditEvent(credit, CreditEvent::kCriticalCancelledQuickly);
  EXPECT_EQ(Admit("critical", TenantBuilder("vision").Credit(credit).Build(), classes, policy)
                ->class_name,
            "high");
}

}  // namespace
}  // namespace gpusched
