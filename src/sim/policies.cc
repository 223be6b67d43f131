#include "sim/policies.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace gpusched::sim {
namespace {

constexpr std::array<std::string_view, 4> kNames = {"fifo", "priority", "k8s", "gpusched"};

// Neither baseline without preemption passes a blocked job or reserves.
PolicyConfig NoPreemptionStrictOrder(PolicyConfig p) {
  p.enable_preemption = false;
  p.enable_defrag = false;
  p.enable_backfill = false;
  p.enable_reservations = false;
  p.wait_instead = false;
  return p;
}

PolicyConfig Kubernetes(PolicyConfig p) {
  p.queue_order = QueueOrderKind::kPriority;
  p.victim_order = VictimOrderKind::kLowestPriorityNewest;
  p.enable_preemption = true;
  p.enable_backfill = true;
  p.enable_defrag = false;
  p.enable_reservations = false;
  p.enforce_preemption_limits = false;
  p.enforce_guarantees = false;
  p.reclaim_equal_priority = false;
  p.wait_instead = false;
  p.respect_min_runtime = false;
  p.sla_pressure_max = 0;
  return p;
}

}  // namespace

Result<PolicyConfig> PolicyNamed(std::string_view name, const PolicyConfig& configured) {
  if (name == "gpusched") return configured;
  if (name == "k8s") return Kubernetes(configured);
  if (name == "priority") {
    PolicyConfig p = NoPreemptionStrictOrder(configured);
    p.queue_order = QueueOrderKind::kPriority;
    p.sla_pressure_max = 0;
    return p;
  }
  if (name == "fifo") {
    PolicyConfig p = NoPreemptionStrictOrder(configured);
    p.queue_order = QueueOrderKind::kFifo;
    return p;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("unknown policy \"{}\"; known: {}", name, fmt::join(kNames, ", ")));
}

Result<std::vector<std::string_view>> ParsePolicyList(std::string_view list) {
  std::vector<std::string_view> names;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (std::find(kNames.begin(), kNames.end(), name) == kNames.end()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("unknown policy \"{}\" in the list; known: {}", name, fmt::join(kNames, ", ")));
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return MakeError(ErrorCode::kInvalidArgument, fmt::format("policy \"{}\" is listed twice", name));
    }
    names.push_back(name);
  }
  if (names.empty()) return MakeError(ErrorCode::kInvalidArgument, "the policy list is empty");
  return names;
}

}  // namespace gpusched::sim
