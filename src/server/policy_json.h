// JSON of the cluster's policy objects, priority classes and tenants: the
// API's views, the bodies of the admin routes that change them, and the
// rows that keep those changes across restarts (the same shape for all).
//
//   class:  {"name", "value", "preempts", "sla": {"percentile", "max_wait_s"} | null,
//            "min_runtime_s", "preemption_grace_s"}
//   tenant: {"name", "guaranteed_gpus", "borrow_limit_gpus" | null,
//            "default_class", "max_class_without_approval",
//            "critical_budget_gpu_s" | null, "credit"}
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gpusched/priority.h"
#include "gpusched/status.h"
#include "gpusched/tenant.h"

namespace gpusched::server {

std::string ClassToJson(const PriorityClass& pc);
std::string TenantToJson(const Tenant& t);
std::string ClassesToJson(const ClassTable& classes);          // an array
std::string TenantsToJson(const std::vector<Tenant>& tenants);  // an array

// An admin's body for class or tenant `name`: every field optional (absent
// fields keep `base`'s value), unknown fields and wrong types refused,
// naming the field. "name" in the body, when given, must equal `name`.
Result<PriorityClass> ClassFromBody(std::string_view name, std::string_view body,
                                    PriorityClass base);
Result<Tenant> TenantFromBody(std::string_view name, std::string_view body, Tenant base);

// Stored rows (arrays written by the *sToJson functions above).
Result<ClassTable> ClassesFromJson(std::string_view json);
Result<std::vector<Tenant>> TenantsFromJson(std::string_view json);

}  // namespace gpusched::server
