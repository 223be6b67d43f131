// Between the control plane's state and the store: what a ChangeSet writes,
// and the state rebuilt from what the store loads.
#pragma once

#include <cstdint>

#include "server/control.h"
#include "store/store.h"

namespace gpusched::server {

// The rows `cs` changed, read from `control` after the command ran, and its
// events numbered from `next_event_seq` (advanced past them). Also the
// counters row, so ids are never reused after a restart.
store::Mutation ToMutation(const Control& control, const ChangeSet& cs, Instant now,
                           std::int64_t& next_event_seq);

// Rebuilds `control` (empty) from `loaded`; returns the next event seq.
// Fails naming the row that does not parse or fit.
Result<std::int64_t> RestoreFrom(const store::Loaded& loaded, Control& control, Instant now);

}  // namespace gpusched::server
