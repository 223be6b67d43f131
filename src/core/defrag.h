// Defragmentation: when a single-GPU job fits nowhere only because free
// memory on a node is split over several GPUs, move small running jobs off
// one GPU to other GPUs so that one slice is large enough.
//
// Movers obey the preemption rules (strictly lower priority, preemptible,
// minimum runtime, preemption limit, freezes); a move stops the job at its
// checkpoint and restarts it at its destination, so its cost is the work it
// loses plus the restart overhead. Destinations are GPUs with room now,
// preferring the same node, then the smallest card that fits. The plan of
// least cost over all candidate GPUs wins.
#pragma once

#include <optional>
#include <vector>

#include "core/cycle_context.h"
#include "core/free_view.h"

namespace gpusched::internal {

struct Move {
  int job = 0;  // index into ctx.jobs
  Slice to;
  std::int64_t lost_gpu_s = 0;
};

struct DefragOutcome {
  GpuIndex target = 0;
  MiB need = 0;
  std::vector<Move> moves;
  double cost = 0;
};

// REQUIRES: `job` is a pending single-GPU job that did not fit and whose
// ExplainNoFit said `fragmented`.
std::optional<DefragOutcome> FindDefrag(const Request& r, int job, const CycleContext& ctx,
                                        const FreeView& view);

}  // namespace gpusched::internal
