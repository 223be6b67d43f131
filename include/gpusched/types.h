// Basic vocabulary of the scheduling core: identifiers, exact quantities and
// time. Quantities are integers with their unit in the name (MiB, milli-GPU,
// seconds); time is injected by the caller, never read from a clock here.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>

namespace gpusched {

// A job identifier chosen by the driver (server, simulator, test). Unique
// within one snapshot. Ordering by id is the last, deterministic tie-break.
using JobId = std::uint64_t;

// GPU memory in mebibytes. Exact integers; never floats.
using MiB = std::int64_t;

constexpr MiB kMiBPerGiB = 1024;
constexpr MiB GiB(std::int64_t n) { return n * kMiBPerGiB; }

// Durations and instants, one-second resolution. The core never reads a clock:
// `Instant` values come from the caller (wall time in the server, virtual time
// in the simulator, a hand-advanced fake clock in tests).
using Duration = std::chrono::seconds;
using Instant = std::chrono::sys_time<std::chrono::seconds>;

constexpr Instant kNever = Instant::max();

inline constexpr Instant AtSecond(std::int64_t s) { return Instant(Duration(s)); }
inline constexpr std::int64_t ToSeconds(Duration d) { return d.count(); }
inline constexpr std::int64_t SecondsOf(Instant t) { return t.time_since_epoch().count(); }

// Index of a GPU in a ledger's flat GPU table (node-major order). Dense, 0..N-1.
using GpuIndex = std::int32_t;
// Index of a node in a ledger's node table. Dense, 0..N-1.
using NodeIndex = std::int32_t;

}  // namespace gpusched
