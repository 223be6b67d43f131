// The SQLite store's row-level reads and writes, over one connection.
// Internal to src/store/. Callers hold the connection's mutex and own the
// transaction: these functions neither begin nor commit.
#pragma once

#include <cstddef>
#include <vector>

#include "gpusched/status.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace gpusched::store::sqlite {

// Writes one mutation (in the order of Mutation's fields). `index` is its
// place in the batch, for the error ("batch[1].events[0] (seq 10): ...").
// REQUIRES: a write transaction is open; `m` passed ValidateMutation.
Status WriteMutation(Connection& db, const Mutation& m, std::size_t index);

// Reads every job, node and setting and the last event seq.
// REQUIRES: a read transaction is open (for one consistent snapshot).
Result<Loaded> ReadAll(Connection& db);

// One page of the event log. REQUIRES: 1 <= query.limit <= kMaxEventLimit.
Result<std::vector<EventRow>> ReadEvents(Connection& db, const EventQuery& query);

// `PRAGMA integrity_check`: ok, or an error listing the first problems.
Status CheckIntegrity(Connection& db);

}  // namespace gpusched::store::sqlite
