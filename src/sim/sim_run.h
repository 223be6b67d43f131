// What `gpusched sim` does, as a library call: load the cluster and the
// trace (a file in one of the formats, or the built-in scenario), replay it
// under each requested policy, and return the results ready to report. The
// CLI maps its flags onto SimRequest; the benchmark calls it directly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gpusched/status.h"
#include "sim/engine.h"
#include "sim/report.h"

namespace gpusched::sim {

enum class TraceFormat { kJsonl, kPhilly, kPai, kTiresias };

// "jsonl", "philly", "pai" or "tiresias"; fails naming the known ones.
Result<TraceFormat> ParseTraceFormat(std::string_view text);
std::string_view TraceFormatName(TraceFormat format);

struct SimRequest {
  std::string cluster_path;  // empty: the format's built-in preset
  std::string trace_path;    // required unless `scenario` is set
  std::string scenario;      // "factory", or empty
  TraceFormat format = TraceFormat::kJsonl;
  std::vector<std::string> policies = {"gpusched"};  // PolicyNamed names
  std::uint64_t seed = 1;    // class derivation (philly, tiresias), scenario jitter
  // Philly only: each virtual cluster on its own, sized by `vc_path`
  // (default: ../philly-helios-qssf/philly_vc.csv beside the trace's folder),
  // jobs submitted 2017-10-01 00:00 .. 2017-11-30 23:59.
  bool per_vc = false;
  std::string vc_path;
  // PAI only: the node list (default: openb_node_list_gpu_node.csv beside
  // the pod list).
  std::string pai_nodes_path;
  std::int64_t checkpoint_interval_s = 1800;  // real traces: synthetic checkpoints
  std::int64_t horizon_s = 0;                 // 0: to the end
  // Arrival-rate multiplier: every submit time is divided by it (rounded), so
  // 4 replays the same jobs arriving four times as fast. > 0; 1: as recorded.
  double load = 1.0;
  // Keep this share of the cluster's nodes, evenly spaced through the node
  // list (so the mix of node types is kept). (0, 1]; 1: every node.
  double cluster_fraction = 1.0;
  int timeline_samples = 400;
};

struct VcRuns {
  std::string vc;
  int gpus = 0;
  std::vector<PolicyReport> reports;  // one per policy, in request order
};

struct SimRun {
  ReportContext context;
  // One per policy, in request order; in per-VC mode, every VC's jobs
  // together (timelines summed on a common grid).
  std::vector<SimResult> results;
  std::vector<VcRuns> per_vc;  // per-VC mode only
};

// Loads and replays. Errors name the file and what is wrong with it.
Result<SimRun> RunSimulation(const SimRequest& request);

// `runs` joined into one result: outcomes concatenated, GPUs, events, cycles
// and wall time summed, timelines summed on a common grid.
SimResult MergeResults(const std::vector<SimResult>& runs, int timeline_samples);

}  // namespace gpusched::sim
