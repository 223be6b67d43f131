// Filter and Score: where a job can start now, and why it cannot.
//
// BestFit placement. Filter keeps GPUs that are schedulable (GPU and node
// healthy, node not drained), of an acceptable type, with enough memory free
// for the job's per-GPU need; a gang needs all its GPUs at once, on one node
// unless the job allows several. Score, lexicographically:
//   1. the smallest card that fits (elastic matching: small jobs go to
//      low-end cards and leave big cards for big jobs);
//   2. cache locality (the node has the job's image / dataset);
//   3. the least memory left over on the chosen GPUs (least fragmentation);
//   4. the lowest GPU index (determinism).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/cycle_context.h"
#include "core/free_view.h"
#include "gpusched/decision.h"

namespace gpusched::internal {

struct Found {
  Placement placement;
  int locality = 0;
  bool used_held = false;  // backfilled on capacity reserved for another job
};

// When a backfill candidate would end on each GPU type (index: type id),
// kNever where unknown. Empty: not a backfill search.
using EndByType = std::vector<Instant>;

// The best placement on capacity free now, or nullopt. With `ends`, also
// uses reserved capacity whose reservation starts no earlier than the job
// would end there.
std::optional<Found> FindPlacement(const Request& r, const CycleContext& ctx, const FreeView& view,
                                   const EndByType* ends = nullptr);

struct NoFit {
  WaitCode code = WaitCode::kNoCapacity;
  std::string reason;
  // True when memory is free on one node in total for the job but split
  // over GPUs (defragmentation could open a slice).
  bool fragmented = false;
};

// Why FindPlacement found nothing: the binding constraint, named.
// REQUIRES: FindPlacement(r, ctx, view) returned nullopt.
NoFit ExplainNoFit(const Request& r, const CycleContext& ctx, const FreeView& view);

// "12 GiB", "a whole GPU", "25 % of a GPU": a request's per-GPU need.
std::string DescribeNeed(const Request& r);

}  // namespace gpusched::internal
