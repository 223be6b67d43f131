// The job specification as users write it (a YAML job file, or JSON sent to
// the REST API), read strictly: a typo never falls back to a default.
//
//   name: scratch-defect-v3
//   tenant: quality
//   class: critical
//   ultralytics:            # becomes `yolo train ...` on the agent
//     model: yolov8s.pt
//     data: scratches.yaml
//     epochs: 50
//     imgsz: 640
//     batch: 32
//   gpus: 1
//   gpu_types: [T4, A10, A100-40]
//   # or, instead of ultralytics:  command: ["python", "train.py"]
//
// Shared by the server, the agent and the CLI. No YAML or JSON library
// appears in this header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gpusched/memory_estimate.h"
#include "gpusched/status.h"
#include "gpusched/types.h"

namespace gpusched::api {

// Documents larger than this are refused before they are parsed.
inline constexpr std::size_t kMaxSpecBytes = std::size_t{1} << 20;

// An extra `yolo train` argument's value: a YAML/JSON scalar (never null).
using ArgValue = std::variant<bool, std::int64_t, double, std::string>;

// `ultralytics:` — a YOLO training run.
struct UltralyticsSpec {
  std::string model;  // weights or config name, readable by ParseYoloModel
  std::string data;   // dataset YAML, as `yolo train data=` takes it
  int epochs = 1;     // 1..100000 (required in the file)
  int imgsz = 640;    // 32..8192
  // Total batch over all GPUs: >= 1, or -1 for AutoBatch; 0 when
  // batch_fraction is used. With gpus > 1 it is a multiple of gpus.
  int batch = 16;
  // In (0, 1): Ultralytics' fractional batch (that share of the card's
  // memory); 0 when `batch` is used. Only with gpus == 1, like AutoBatch.
  double batch_fraction = 0;
  Precision precision = Precision::kAmp;  // `precision: amp | fp32`
  // Epochs between epoch{N}.pt snapshots (>= 1); unset: Ultralytics' default
  // (none; last.pt is still written every epoch).
  std::optional<int> save_period;
  // Extra `yolo train` arguments, keys [a-z0-9_]+, at most 256. Keys that
  // gpusched sets itself (device, resume, project, name, exist_ok, amp) or
  // that are fields above are refused.
  std::map<std::string, ArgValue> args;

  bool operator==(const UltralyticsSpec&) const = default;
};

// `command:` — any trainer, run as an argv (no shell).
struct CommandSpec {
  std::vector<std::string> argv;  // 1..256 non-empty strings
  std::optional<int> epochs;      // the job's epoch count, a progress hint (>= 1)

  bool operator==(const CommandSpec&) const = default;
};

// `estimate:` — the user's runtime hint, as time on a T4. Exactly one of the
// two is > 0 (finite, at most kMaxEstimateSeconds).
struct RuntimeEstimate {
  double epoch_s = 0;     // one epoch
  double duration_s = 0;  // the whole run

  bool operator==(const RuntimeEstimate&) const = default;
};
inline constexpr double kMaxEstimateSeconds = 1e9;

struct JobSpec {
  // 1..63 characters of [a-z0-9._-], starting with a letter or digit.
  std::optional<std::string> name;
  std::optional<std::string> tenant;      // non-empty; unset: the token's tenant
  std::optional<std::string> class_name;  // `class`; unset: the tenant's default
  int gpus = 1;                           // 1..1024
  std::vector<std::string> gpu_types;     // acceptable types: distinct, non-empty, <= 32
  std::optional<MiB> memory_mib;          // explicit per-GPU need (>= 1); wins over estimates
  bool exclusive = false;                 // whole GPUs, shared with no other job
  bool preemptible = true;
  std::optional<std::string> image;    // container image (cache locality), non-empty
  std::optional<std::string> dataset;  // data set name (cache locality), non-empty
  // Environment of the trainer: keys [A-Za-z_][A-Za-z0-9_]*, at most 64.
  std::map<std::string, std::string> env;
  int max_retries = 0;  // 0..10
  std::variant<UltralyticsSpec, CommandSpec> trainer;
  std::optional<RuntimeEstimate> estimate;

  bool operator==(const JobSpec&) const = default;
};

enum class SpecFormat { kYaml, kJson };

// Parses and validates a job spec. Pure, thread-safe, never throws.
//
// Every failure is ErrorCode::kInvalidArgument with a message that names the
// field path and why, e.g. `gpus: must be an integer from 1 to 1024, got -2`,
// `unknown field "gpuz"`, `malformed YAML at line 3, column 5: ...`,
// `malformed JSON at byte 17: ...`. Refused: documents over kMaxSpecBytes,
// nesting deeper than 64 levels, malformed text, a root that is not a
// mapping, duplicate keys, unknown fields at any level, wrong types, values
// out of range (NaN and infinities included), both or neither of
// `ultralytics` and `command`, and the cross-field rules (batch vs gpus,
// `epochs` only with `command`, `estimate.epoch_s` needs an epoch count).
//
// Both formats go through one validation of one neutral tree. In YAML an
// integer field needs a plain integer scalar (a quoted "50" is a string),
// booleans are true/false only (yes/no/on/off are strings), and aliases
// and explicit tags are refused.
//
// Every accepted spec satisfies ParseJobSpec(JobSpecToJson(s), kJson) == s.
Result<JobSpec> ParseJobSpec(std::string_view text, SpecFormat format);

// The spec as canonical JSON on one line: keys in a fixed order (name,
// tenant, class, ultralytics | command, epochs, gpus, gpu_types, memory_mib,
// exclusive, preemptible, image, dataset, env, max_retries, estimate), unset
// optional fields left out, defaults written out. Never throws; invalid
// UTF-8 in a hand-built spec is replaced by U+FFFD.
std::string JobSpecToJson(const JobSpec& spec);

// The memory estimator's view of an Ultralytics job.
// REQUIRES: ParseYoloModel(spec.model) succeeds (true of every spec that
// ParseJobSpec returns).
UltralyticsParams ToUltralyticsParams(const UltralyticsSpec& spec);

}  // namespace gpusched::api
