// Admission: the class a new job runs under, and whether it needs an
// operator's approval; and the tenant credit score that governs demotion.
#pragma once

#include <optional>
#include <string>

#include "gpusched/job.h"
#include "gpusched/policy.h"
#include "gpusched/priority.h"
#include "gpusched/status.h"
#include "gpusched/tenant.h"

namespace gpusched {

struct Admission {
  std::string class_name;           // the class the job is queued under
  std::optional<std::string> demotion;  // why it was demoted, if it was
};

// Decides the class of a new job: the requested class, or the tenant's
// default when none is requested; demoted one class when the tenant's credit
// is below `policy.credit_threshold` and the class is above
// `policy.credit_demote_above`. Fails naming the class when it is unknown
// (the requested class, the tenant's default, or, when the tenant's credit is
// below the threshold, `policy.credit_demote_above`).
Result<Admission> Admit(std::string_view requested_class, const Tenant& tenant,
                        const ClassTable& classes, const PolicyConfig& policy);

// Why a pending job must wait for an operator's approval, or nullopt when it
// may run: its class is above the tenant's `max_class_without_approval`, or
// it is critical and its predicted GPU-seconds would exceed the tenant's
// remaining critical budget. Approved jobs never need approval again.
// Critical is the class named "critical", else the highest class. A class the
// table does not know (the job's, or the tenant's allowance) needs approval
// too, with a reason naming it. A negative prediction counts as 0.
std::optional<std::string> ApprovalNeeded(const Job& job, const Tenant& tenant,
                                          const ClassTable& classes,
                                          std::int64_t predicted_gpu_s);

enum class CreditEvent {
  // A critical job cancelled by its owner within `kQuickCancel` of starting.
  kCriticalCancelledQuickly,
  // An operator demoted (or un-boosted) one of the tenant's jobs.
  kDemotedByOperator,
  // A critical job that ran to completion.
  kCriticalCompleted,
};

constexpr Duration kQuickCancel{600};

// The credit after `event`: quick cancel -10, operator demotion -15,
// completion +2; clamped to 0..100.
int ApplyCreditEvent(int credit, CreditEvent event);

}  // namespace gpusched
