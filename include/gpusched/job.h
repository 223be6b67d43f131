// The core's view of a job: what it needs, who owns it, where it stands.
// Drivers (server, simulator, tests) own the jobs and hand the cycle a
// read-only span of them in each snapshot.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gpusched/cluster.h"
#include "gpusched/gpu_catalog.h"
#include "gpusched/types.h"

namespace gpusched {

enum class JobPhase {
  kPending,     // queued (new, requeued after preemption, or awaiting approval)
  kRunning,     // holds a placement in the ledger
  kPreempting,  // signalled to stop; still holds its placement until it exits
};

// An operator's temporary change of a job's class.
struct Boost {
  std::string class_name;
  Instant expires_at = kNever;
};

// A pending job's claim, made by an earlier cycle's preemption or
// defragmentation, on capacity being freed for it. While it holds, no other
// job is placed on those slices.
struct Nomination {
  Placement placement;
  Instant expires_at = kNever;
};

// What the core knows of a job's progress, for the cost of preempting it and
// for runtime prediction.
struct Progress {
  int epochs_total = 0;  // 0: not epoch-based; use duration_t4
  int epochs_done = 0;   // finished epochs (all runs together)
  int checkpoint_epoch = 0;  // epoch held by the newest checkpoint
  // The user's estimate of one epoch (epoch-based) or the whole run
  // (otherwise), on a T4; scaled by the GPU type's speed factor.
  Duration epoch_t4{0};
  Duration duration_t4{0};
  // Work already done in earlier runs, in T4-seconds (for non-epoch jobs).
  Duration done_t4{0};
};

// Field order keeps what the cycle reads for every running job (phase,
// size, victim rules, progress, tenant, class, cache keys) in the first
// cache lines; what it reads rarely comes last.
struct Job {
  JobId id = 0;
  JobPhase phase = JobPhase::kPending;

  // --- resource request ---
  int gpus = 1;
  // Memory needed on each GPU. When `memory_fraction_permille` > 0 the need is
  // that fraction of whichever card it lands on (Ultralytics AutoBatch).
  MiB memory_per_gpu_mib = 0;
  int memory_fraction_permille = 0;
  bool exclusive = false;   // whole GPUs: no sharing with other jobs
  bool multi_node = false;  // the gang may span nodes
  bool preemptible = true;
  bool approved = false;  // an operator approved it (AwaitingApproval passed)

  // --- running state ---
  Instant started_at{};          // start of the current run
  Instant last_checkpoint_at{};  // newest checkpoint (or the resume point)
  // When this job was preempted before (any order); counts toward the limit.
  std::vector<Instant> preempted_at;
  Progress progress;

  // --- queue state ---
  Instant submit_time{};
  // Since when the job competes in the queue (submission, or approval); kept
  // across preemptions so a requeued job keeps its place.
  Instant eligible_since{};

  std::string tenant;
  std::string class_name;  // after admission (possibly demoted)
  std::optional<Boost> boost;

  // --- cache locality (matched against node labels "image:"/"dataset:") ---
  std::string image;
  std::string dataset;
  // Runtime-learning key, e.g. "yolov8s/detect/b32/i640/amp".
  std::string model_key;

  std::optional<Nomination> nomination;
  std::vector<GpuTypeId> gpu_types;  // acceptable types; empty: any
  std::string name;
};

}  // namespace gpusched
