// Rebuilding the control plane's state from the store's rows at startup.
#include <fmt/format.h>

#include "server/control.h"
#include "server/records.h"

namespace gpusched::server {
namespace {

Result<Placement> ToPlacement(const std::vector<AssignedGpu>& gpus, const std::vector<MiB>& mib,
                              const ClusterLedger& ledger) {
  Placement p;
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    const std::optional<NodeIndex> n = ledger.FindNode(gpus[i].node);
    if (!n || gpus[i].index < 0 || gpus[i].index >= ledger.node_gpu_count(*n)) {
      return MakeError(ErrorCode::kNotFound,
                       fmt::format("no GPU {} on node \"{}\"", gpus[i].index, gpus[i].node));
    }
    p.slices.push_back(Slice{ledger.first_gpu(*n) + gpus[i].index, mib[i]});
  }
  return p;
}

}  // namespace

Status Control::Restore(std::vector<NodeState> nodes, std::vector<StoredJob> jobs,
                        const Counters& counters, std::vector<Freeze> freezes, Instant now) {
  GPUSCHED_CHECK(jobs_.empty() && fleet_.nodes().empty(), "Restore needs an empty Control");
  for (NodeState& n : nodes) {
    if (Status s = fleet_.Restore(std::move(n), now, ledger_); !s) return s;
  }
  JobId max_job = 0;
  std::uint64_t max_assignment = 0;
  for (StoredJob& s : jobs) {
    JobRecord& r = s.record;
    const JobId id = r.job.id;
    auto fail = [&](const Error& e) {
      return MakeError(e.code, fmt::format("job {}: {}", id, e.message));
    };
    if (!s.held.empty()) {
      Result<Placement> p = ToPlacement(s.held, s.held_mib, ledger_);
      if (!p) return fail(p.error());
      if (Status a = ledger_.Allocate(id, *p); !a) return fail(a.error());
    }
    if (r.job.nomination) {
      Result<Placement> p = ToPlacement(s.nominated, s.nominated_mib, ledger_);
      if (!p) return fail(p.error());
      r.job.nomination->placement = std::move(*p);
    }
    max_job = std::max(max_job, id);
    if (r.assignment) max_assignment = std::max(max_assignment, r.assignment->id);
    auto placed = jobs_.emplace(id, std::move(r)).first;
    if (placed->second.assignment) TrackRun(placed->second);
  }
  next_job_ = std::max<JobId>(counters.next_job, max_job + 1);
  next_assignment_ = std::max<std::uint64_t>(counters.next_assignment, max_assignment + 1);
  next_seq_ = std::max<std::uint64_t>(counters.next_seq, 1);
  freezes_ = std::move(freezes);
  return OkStatus();
}

Counters Control::counters() const { return Counters{next_job_, next_assignment_, next_seq_}; }

}  // namespace gpusched::server
