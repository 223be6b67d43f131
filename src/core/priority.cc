#include "gpusched/priority.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace gpusched {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

PriorityClass MakeClass(std::string name, std::int32_t value, PreemptionPolicy policy,
                        int percentile, std::int64_t max_wait_s, std::int64_t min_runtime_s,
                        std::int64_t grace_s) {
  return PriorityClass{.name = std::move(name),
                       .value = value,
                       .policy = policy,
                       .sla = SlaTarget{percentile, Duration(max_wait_s)},
                       .min_runtime = Duration(min_runtime_s),
                       .preemption_grace = Duration(grace_s)};
}

// Why `pc` is malformed on its own, or an empty string when it is not.
std::string Malformed(const PriorityClass& pc) {
  if (pc.name.empty()) return "priority class name is empty";
  if (pc.sla && (pc.sla->percentile < 1 || pc.sla->percentile > 100)) {
    return fmt::format("priority class \"{}\": SLA percentile {} is outside 1..100", pc.name,
                       pc.sla->percentile);
  }
  if (pc.sla && pc.sla->max_wait < Duration::zero()) {
    return fmt::format("priority class \"{}\": SLA wait {} s is negative", pc.name,
                       ToSeconds(pc.sla->max_wait));
  }
  if (pc.min_runtime < Duration::zero()) {
    return fmt::format("priority class \"{}\": min_runtime {} s is negative", pc.name,
                       ToSeconds(pc.min_runtime));
  }
  if (pc.save_period < 1) {
    return fmt::format("priority class \"{}\": save_period {} must be at least 1 epoch", pc.name,
                       pc.save_period);
  }
  if (pc.preemption_grace < Duration::zero()) {
    return fmt::format("priority class \"{}\": preemption_grace {} s is negative", pc.name,
                       ToSeconds(pc.preemption_grace));
  }
  return {};
}

}  // namespace

// The defaults: service targets tighten and victim protection loosens as the
// class rises; critical jobs are never protected by a minimum runtime (they
// are rarely victims at all) but get the longest grace to checkpoint.
ClassTable ClassTable::Defaults() {
  constexpr auto kPlp = PreemptionPolicy::kPreemptLowerPriority;
  const PriorityClass defaults[] = {
      MakeClass("critical", 1000, kPlp, 95, 300, 0, 60),
      MakeClass("high", 800, kPlp, 95, 1800, 600, 30),
      MakeClass("medium", 500, kPlp, 90, 7200, 300, 30),
      MakeClass("low", 200, kPlp, 90, 28800, 300, 30),
      MakeClass("batch", 100, PreemptionPolicy::kNever, 50, 86400, 120, 30),
  };
  ClassTable table;
  for (const PriorityClass& pc : defaults) {
    const Status added = table.Add(pc);
    GPUSCHED_CHECK(added.has_value(), added.error().message);
  }
  return table;
}

Status ClassTable::Add(PriorityClass pc) {
  if (std::string why = Malformed(pc); !why.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, std::move(why));
  }
  for (const PriorityClass& existing : classes_) {
    if (existing.name == pc.name) {
      return MakeError(ErrorCode::kAlreadyExists,
                       fmt::format("priority class \"{}\" already exists", pc.name));
    }
    if (existing.value == pc.value) {
      return MakeError(ErrorCode::kAlreadyExists,
                       fmt::format("priority class \"{}\": value {} is taken by \"{}\"", pc.name,
                                   pc.value, existing.name));
    }
  }
  const auto at =
      std::find_if(classes_.begin(), classes_.end(),
                   [&](const PriorityClass& existing) { return existing.value < pc.value; });
  classes_.insert(at, std::move(pc));
  return OkStatus();
}

const PriorityClass* ClassTable::Find(std::string_view name) const {
  const auto it = std::find_if(classes_.begin(), classes_.end(),
                               [&](const PriorityClass& pc) { return pc.name == name; });
  return it == classes_.end() ? nullptr : &*it;
}

const PriorityClass* ClassTable::NextLower(std::string_view name) const {
  const PriorityClass* pc = Find(name);
  if (pc == nullptr || pc == &classes_.back()) return nullptr;
  return pc + 1;  // classes_ is sorted by value, highest first
}

std::string_view PreemptionPolicyName(PreemptionPolicy p) {
  switch (p) {
    case PreemptionPolicy::kPreemptLowerPriority: return "PreemptLowerPriority";
    case PreemptionPolicy::kNever: return "Never";
  }
  return "unknown";
}

Result<PreemptionPolicy> ParsePreemptionPolicy(std::string_view text) {
  for (PreemptionPolicy p : {PreemptionPolicy::kPreemptLowerPriority, PreemptionPolicy::kNever}) {
    if (EqualsIgnoreCase(text, PreemptionPolicyName(p))) return p;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("unknown preemption policy \"{}\"; accepted: "
                               "PreemptLowerPriority, Never",
                               text));
}

}  // namespace gpusched
