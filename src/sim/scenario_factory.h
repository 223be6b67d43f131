// The factory scenario of DESIGN.md, built in: a mixed 32-GPU cluster full
// of research experiments, a dozen routine retraining jobs queued behind
// them, and an urgent critical retraining job arriving an hour in (then a
// second one, to show that no job is preempted twice in a day).
//
//   cluster   2 nodes x 4 A100-40, 2 x 4 L4, 4 x 4 T4 (32 GPUs); every node
//             has the Ultralytics image cached, the T4 nodes the scratch
//             data set too
//   tenants   research (guarantee 8 GPUs), production (8), quality (4,
//             may submit critical work without approval)
//   t=0..5m   28 research jobs (medium, AutoBatch: whole cards) and one
//             4-GPU gang fill every GPU; they checkpoint every 1..10 epochs
//   t=10..20m 12 routine jobs (production, low) and 3 batch jobs queue
//   t=60m     "scratch-defect-v3": quality, critical, yolov8s, 50 epochs
//   t=90m     "dent-defect-v1": quality, critical, yolov8s, 30 epochs
//
// Epoch times are T4 seconds (scaled by each GPU type's speed). `seed`
// varies submission jitter and checkpoint periods; the shape stays the same.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/cluster_file.h"
#include "sim/trace_jsonl.h"

namespace gpusched::sim {

struct Scenario {
  std::string name;
  std::string description;
  std::string cluster_yaml;  // the cluster file, as text
  ClusterConfig config;      // parsed with GpuCatalog::BuiltIn()
  std::vector<TraceJob> trace;
};

// The factory scenario (see above). The urgent jobs' ids are
// "scratch-defect-v3" and "dent-defect-v1".
Scenario FactoryScenario(const GpuCatalog& catalog, std::uint64_t seed = 1);

}  // namespace gpusched::sim
