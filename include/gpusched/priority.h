// Priority classes: what a job's class means for its order in the queue, its
// right to preempt, its protection as a victim, and its service target.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gpusched/status.h"
#include "gpusched/types.h"

namespace gpusched {

// GCC 12's -Wshadow flags the scoped enumerator `kNever` against the
// unrelated `gpusched::kNever` instant (types.h), although a scoped
// enumerator is only ever named as `PreemptionPolicy::kNever`.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
enum class PreemptionPolicy {
  kPreemptLowerPriority,  // may preempt jobs of strictly lower effective priority
  kNever,                 // waits for capacity; never preempts
};
#pragma GCC diagnostic pop

// "`percentile` % of jobs start within `max_wait`."
struct SlaTarget {
  int percentile = 95;
  Duration max_wait{0};
};

struct PriorityClass {
  std::string name;
  std::int32_t value = 0;  // higher runs first
  PreemptionPolicy policy = PreemptionPolicy::kPreemptLowerPriority;
  std::optional<SlaTarget> sla;
  // As a victim: the least time a job of this class runs before it may be
  // preempted, and the time it gets between the signal and the kill.
  Duration min_runtime{300};
  Duration preemption_grace{30};
  // The most epochs a job of this class may run between checkpoints: the
  // agent passes it to trainers (`yolo train save_period=`), and a job's own
  // `save_period` may only be smaller. >= 1.
  int save_period = 5;
};

// The set of classes, ordered by value (highest first). Names are unique and
// case-sensitive; values are unique, so "one class lower" is well defined.
class ClassTable {
 public:
  // critical 1000, high 800, medium 500, low 200, batch 100 (batch: Never).
  static ClassTable Defaults();

  // Adds or replaces nothing: fails when the name or value exists, the name is
  // empty, the SLA percentile is outside 1..100 or a duration is negative.
  Status Add(PriorityClass pc);

  const PriorityClass* Find(std::string_view name) const;
  // The class directly below `name` by value, or nullptr at the bottom.
  const PriorityClass* NextLower(std::string_view name) const;
  // Highest class first.
  const std::vector<PriorityClass>& classes() const { return classes_; }

 private:
  std::vector<PriorityClass> classes_;
};

std::string_view PreemptionPolicyName(PreemptionPolicy p);
Result<PreemptionPolicy> ParsePreemptionPolicy(std::string_view text);

}  // namespace gpusched
