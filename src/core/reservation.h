// Reserve: the first jobs that cannot start get a reservation, so that
// smaller jobs passing them (backfill) cannot starve them.
//
// A reservation is the set of GPUs where the job would fit soonest, judged by
// the predicted ends of the jobs running there, and that earliest time. Free
// memory on those GPUs is held for it: later jobs in the queue may use it
// only if they are predicted to end before the reservation starts (EASY
// backfilling). When the jobs there have no runtime estimate the start is
// unknown (kNever) and nothing may backfill on the held memory: the big job
// still collects capacity as it frees and is not starved. Reservations are
// recomputed every cycle from the snapshot.
#pragma once

#include <optional>

#include "core/cycle_context.h"
#include "core/free_view.h"

namespace gpusched::internal {

struct ReservationPlan {
  Instant start{};
  Placement slices;  // per GPU: the job's need there
};

// The earliest predicted start of the job (kNever: unknown) on the GPUs it
// would use; nullopt when no GPUs could ever hold it.
std::optional<ReservationPlan> PlanReservation(const Request& r, const CycleContext& ctx,
                                               const FreeView& view);

}  // namespace gpusched::internal
