#include <fmt/format.h>

#include "gpusched/decision.h"

namespace gpusched {

const char* WaitCodeName(WaitCode code) {
  switch (code) {
    case WaitCode::kNoCapacity: return "NoCapacity";
    case WaitCode::kInfeasible: return "Infeasible";
    case WaitCode::kTenantLimit: return "TenantLimit";
    case WaitCode::kAwaitingApproval: return "AwaitingApproval";
    case WaitCode::kAwaitingVictims: return "AwaitingVictims";
    case WaitCode::kWaitInstead: return "WaitInstead";
    case WaitCode::kReserved: return "Reserved";
    case WaitCode::kBehindReservation: return "BehindReservation";
    case WaitCode::kDeferred: return "Deferred";
  }
  return "Unknown";
}

namespace {

std::string PlacementText(const Placement& p) {
  std::string out;
  for (const Slice& s : p.slices) {
    if (!out.empty()) out += ',';
    out += fmt::format("g{}:{}", s.gpu, s.memory_mib);
  }
  return out;
}

}  // namespace

std::string ToText(const CycleResult& r) {
  std::string out;
  for (const Bind& b : r.binds) {
    out += fmt::format("bind {} {} | {}\n", b.job, PlacementText(b.placement), b.reason);
  }
  for (const Preemption& p : r.preemptions) {
    out += fmt::format("preempt {} at {} until {} grace {} cost {:.3f} | {}\n", p.preemptor,
                       PlacementText(p.nominated), SecondsOf(p.nomination_expires_at), p.grace.count(),
                       p.cost, p.reason);
    for (const Victim& v : p.victims) {
      out += fmt::format("  victim {} lost {} restart {} | {}\n", v.job, v.lost_gpu_s, v.restart_gpu_s,
                         v.reason);
    }
  }
  for (const DefragPlan& d : r.defrags) {
    out += fmt::format("defrag {} at {} until {} | {}\n", d.beneficiary, PlacementText(d.nominated),
                       SecondsOf(d.nomination_expires_at), d.reason);
    for (const Migration& m : d.moves) {
      out += fmt::format("  move {} to {} lost {} | {}\n", m.job, PlacementText(m.to), m.lost_gpu_s,
                         m.reason);
    }
  }
  for (const Wait& w : r.waits) {
    out += fmt::format("wait {} {} pos {} start {} | {}\n", w.job, WaitCodeName(w.code), w.position,
                       w.predicted_start ? SecondsOf(*w.predicted_start) : -1, w.reason);
  }
  return out;
}

}  // namespace gpusched
