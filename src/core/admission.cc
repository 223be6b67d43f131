// Admission and approval. Design:
// - A job's class is fixed at admission: the requested class (or the
//   tenant's default), demoted exactly one class when the tenant's credit is
//   below the policy threshold and the class is above the policy's bound.
// - Approval is asked, not granted: a job waits when its class is above the
//   tenant's allowance, or when it is critical and would overrun the
//   tenant's critical budget. An operator's approval ends both checks.
// - "Critical" is the class named "critical", or the highest class when the
//   table has no class of that name.
// - A class name the table does not know can't be judged safe, so it needs
//   approval too (with a reason naming it) rather than passing silently.
#include "gpusched/admission.h"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace gpusched {
namespace {

constexpr double kSecondsPerHour = 3600.0;
constexpr int kMinCredit = 0;
constexpr int kMaxCredit = 100;

std::string KnownClasses(const ClassTable& classes) {
  std::vector<std::string_view> names;
  for (const PriorityClass& pc : classes.classes()) names.push_back(pc.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

const PriorityClass* CriticalClass(const ClassTable& classes) {
  if (const PriorityClass* named = classes.Find("critical")) return named;
  return classes.classes().empty() ? nullptr : &classes.classes().front();
}

double GpuHours(std::int64_t gpu_s) { return static_cast<double>(gpu_s) / kSecondsPerHour; }

// Why a critical job would overrun `tenant`'s critical budget, if it would.
std::optional<std::string> OverBudget(const Tenant& tenant, std::int64_t predicted_gpu_s) {
  if (!tenant.critical_budget_gpu_s) return std::nullopt;
  const std::int64_t budget = *tenant.critical_budget_gpu_s;
  const std::int64_t used = tenant.critical_used_gpu_s;
  const std::int64_t needs = std::max<std::int64_t>(predicted_gpu_s, 0);
  if (needs <= budget - used) return std::nullopt;
  return fmt::format(
      "critical budget: tenant \"{}\" used {:.1f} of {:.1f} GPU-hours in the "
      "window; this job needs ~{:.1f} more; needs an operator's approval",
      tenant.name, GpuHours(used), GpuHours(budget), GpuHours(needs));
}

}  // namespace

Result<Admission> Admit(std::string_view requested_class, const Tenant& tenant,
                        const ClassTable& classes, const PolicyConfig& policy) {
  const bool defaulted = requested_class.empty();
  const std::string_view name = defaulted ? tenant.default_class : requested_class;
  const PriorityClass* pc = classes.Find(name);
  if (pc == nullptr) {
    const std::string whose =
        defaulted ? fmt::format(" (tenant \"{}\"'s default)", tenant.name) : "";
    return MakeError(ErrorCode::kNotFound, fmt::format("unknown priority class \"{}\"{}; known: {}",
                                                       name, whose, KnownClasses(classes)));
  }
  Admission admission{.class_name = pc->name, .demotion = std::nullopt};
  if (tenant.credit >= policy.credit_threshold) return admission;

  const PriorityClass* bound = classes.Find(policy.credit_demote_above);
  if (bound == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("policy credit_demote_above names unknown priority "
                                 "class \"{}\"; known: {}",
                                 policy.credit_demote_above, KnownClasses(classes)));
  }
  if (pc->value <= bound->value) return admission;
  const PriorityClass* lower = classes.NextLower(pc->name);
  GPUSCHED_CHECK(lower != nullptr, "a class above the demotion bound has one below");
  admission.class_name = lower->name;
  admission.demotion =
      fmt::format("demoted from {} to {}: tenant \"{}\" credit {} is below {}", pc->name,
                  lower->name, tenant.name, tenant.credit, policy.credit_threshold);
  return admission;
}

std::optional<std::string> ApprovalNeeded(const Job& job, const Tenant& tenant,
                                          const ClassTable& classes, std::int64_t predicted_gpu_s) {
  if (job.approved) return std::nullopt;
  const PriorityClass* pc = classes.Find(job.class_name);
  if (pc == nullptr) {
    return fmt::format("class \"{}\" is unknown; needs an operator's approval", job.class_name);
  }
  const PriorityClass* allowance = classes.Find(tenant.max_class_without_approval);
  if (allowance == nullptr) {
    return fmt::format(
        "tenant \"{}\"'s allowance names unknown class \"{}\"; needs an "
        "operator's approval",
        tenant.name, tenant.max_class_without_approval);
  }
  if (pc->value > allowance->value) {
    return fmt::format(
        "class {} is above tenant \"{}\"'s allowance ({}); needs an operator's "
        "approval",
        pc->name, tenant.name, allowance->name);
  }
  if (pc != CriticalClass(classes)) return std::nullopt;
  return OverBudget(tenant, predicted_gpu_s);
}

int ApplyCreditEvent(int credit, CreditEvent event) {
  int delta = 0;
  switch (event) {
    case CreditEvent::kCriticalCancelledQuickly: delta = -10; break;
    case CreditEvent::kDemotedByOperator: delta = -15; break;
    case CreditEvent::kCriticalCompleted: delta = 2; break;
  }
  return std::clamp(credit + delta, kMinCredit, kMaxCredit);
}

}  // namespace gpusched
