// The simulator's native trace format: JSON Lines, one job per line.
//
//   # a comment
//   {"id": "j-1", "submit_s": 0, "tenant": "vision", "gpus": 2,
//    "model": "yolov8s.pt", "batch": 32, "epochs": 50, "epoch_s": 120}
//
// Field names: id, submit_s, tenant, class, gpus, memory_mib, model, batch,
// imgsz, precision, gpu_types, epochs, epoch_s, duration_s, save_period,
// preemptible, exclusive, image, dataset. Any other field is an error, so a typo never silently falls
// back to a default.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gpusched/memory_estimate.h"
#include "gpusched/status.h"
#include "gpusched/types.h"

namespace gpusched::sim {

// One job of a trace, as the simulator replays it.
struct TraceJob {
  std::string id;             // unique in the trace
  std::int64_t submit_s = 0;  // seconds from the trace start, >= 0
  std::string tenant = "default";
  std::string class_name;                  // empty: the tenant's default class
  int gpus = 1;                            // >= 1
  std::optional<MiB> memory_mib;           // per GPU; else estimated from the model fields
  std::optional<UltralyticsParams> model;  // from model/batch/imgsz/precision
  std::vector<std::string> gpu_types;      // names as written (resolved later against a catalog)
  int epochs = 0;                          // with epoch_s: epoch-based
  double epoch_s = 0;                      // one epoch on a T4
  double duration_s = 0;                   // or: the whole run on a T4
  int save_period = 1;                     // epochs between checkpoints, >= 1
  bool preemptible = true;
  // Whole GPUs: no other job shares them (memory_mib may then be absent).
  bool exclusive = false;
  // A share of whichever card the job lands on, in 1/1000 (0: none). Set by
  // readers of traces that give GPU shares rather than memory (PAI's
  // gpu_milli); takes the place of memory_mib.
  int memory_permille = 0;
  // True: epoch_s/duration_s are T4 times, scaled by each GPU type's speed.
  // False: they are run times as recorded (real traces), replayed unscaled
  // on whatever type the job lands.
  bool speed_scaled = true;
  // Container image and data set, matched against node labels
  // "image:<ref>" / "dataset:<name>" (cache locality; empty: none).
  std::string image;
  std::string dataset;
};

// Parses JSON Lines text into the trace's jobs, sorted by submit_s; jobs
// submitted at the same second keep their input order.
//
// Lines that are blank or whose first non-blank character is '#' are skipped.
// Each other line must be one JSON object with:
//   id          string or integer (stored as its decimal text), required, unique
//   submit_s    integer >= 0 (default 0)
//   tenant      non-empty string (default "default"); class: string
//   gpus        integer >= 1 (default 1)
//   memory_mib  integer >= 1, per GPU
//   model       Ultralytics weights/config name, read by ParseYoloModel;
//               batch (integer >= 1, -1 for AutoBatch, or a fraction in
//               (0, 1)), imgsz (integer >= 32) and precision ("fp32" | "amp")
//               refine it and are errors without it
//   gpu_types   list of non-empty strings
//   epochs (integer >= 1) with epoch_s (number > 0), or duration_s (number > 0)
//   save_period integer >= 1 (default 1); preemptible: bool (default true)
//   exclusive   bool (default false): whole GPUs, shared with no other job
//   image, dataset  non-empty strings: what a node must have cached for a
//               cheap restart (matched against its "image:"/"dataset:" labels)
// A job needs memory_mib, model, or exclusive: true.
//
// Fails on the first bad line with a message naming the 1-based line number
// and the field, e.g. `line 7: "gpus": must be an integer >= 1, got -2`;
// nothing partial is returned then. Thread-safe (no shared state).
Result<std::vector<TraceJob>> ParseTraceJsonl(std::string_view text);

}  // namespace gpusched::sim
