// Reserve: the first jobs that cannot start get a reservation, so that
// smaller jobs passing them (backfill) cannot starve them.
//
// A reservation is the set of GPUs where the job would fit soonest, judged by
// the predicted ends of the jobs running there, and that earliest time. Free
// memory on those GPUs is held for it: later jobs in the queue may use it
// only if they are predicted to end before the reservation starts (EASY
// backfilling). Reservations are recomputed every cycle from the snapshot.
#pragma once

#include <optional>

#include "core/cycle_context.h"
#include "core/free_view.h"

namespace gpusched::internal {

struct ReservationPlan {
  Instant start{};
  Placement slices;  // per GPU: the job's need there
};

// The earliest predicted start of the job, on the GPUs it would use; nullopt
// when no set of running jobs with a predicted end frees enough.
std::optional<ReservationPlan> PlanReservation(const Request& r, const CycleContext& ctx,
                                               const FreeView& view);

}  // namespace gpusched::internal
