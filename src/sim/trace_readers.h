// Readers for public GPU cluster traces (Microsoft Philly, Alibaba PAI 2023,
// the Tiresias example trace), turning their CSV files into the simulator's
// TraceJobs.
//
// All readers are pure functions over the whole file's text (no I/O; see
// file_text.h to read a file) and are thread-safe. Each returns the jobs
// sorted by submit_s (jobs submitted in the same second keep file order) and
// statistics of what it dropped and why. On the first malformed row a reader
// fails with a message naming the 1-based line and the column, e.g.
//   line 12: "num_gpus": must be an integer >= 1, got "x"
// and returns nothing partial. A CSV header that differs from the expected
// columns is an error naming both.
//
// What the real traces lack, the readers synthesize, identically for every
// reader:
//   - run times are recorded wall times, so every job has speed_scaled =
//     false (replayed unscaled on whatever GPU type it lands);
//   - checkpoints: a job of D whole seconds gets epochs = max(1, ceil(D / I))
//     epochs of D / epochs seconds each, save_period 1, where I is the
//     reader's checkpoint_interval_s (default 1800 s); duration_s stays 0;
//   - priority classes, for traces without them (Philly, Tiresias): drawn by
//     PickClass from a ClassMix, seeded (see below).
// Whole-GPU jobs are exclusive with no memory_mib.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpusched/cluster.h"
#include "gpusched/gpu_catalog.h"
#include "gpusched/status.h"
#include "sim/trace_jsonl.h"

namespace gpusched::sim {

constexpr std::int64_t kDefaultCheckpointIntervalS = 1800;

// --- common pieces ---------------------------------------------------------

// What a reader read: rows = data rows in the file (header and blank lines
// excluded), kept = jobs.size(), and for each reason something was dropped
// (only reasons that dropped at least one row, in a fixed order per reader)
// the number of rows it dropped. rows == kept + the sum of the drops.
struct ReadStats {
  int rows = 0;
  int kept = 0;
  std::vector<std::pair<std::string, int>> dropped;
};

struct TraceRead {
  std::vector<TraceJob> jobs;  // sorted by submit_s, stable
  ReadStats stats;
};

// Shares of priority classes for traces that carry none. Shares are weights:
// each is >= 0 and they are normalized by their sum, which must be > 0.
struct ClassShare {
  std::string class_name;
  double share = 0;
};
struct ClassMix {
  // critical 0.02, high 0.08, medium 0.40, low 0.30, batch 0.20: the names of
  // ClassTable::Defaults(), most jobs in the middle, few urgent ones.
  std::vector<ClassShare> shares = {
      {"critical", 0.02}, {"high", 0.08}, {"medium", 0.40}, {"low", 0.30}, {"batch", 0.20}};
};

// Fails when the mix is empty, a name is empty, a share is negative or not
// finite, or the shares sum to 0.
Status ValidateClassMix(const ClassMix& mix);

// The class of the job at 0-based `ordinal` under `seed`:
//   x = splitmix64(seed ^ (ordinal * 0x9E3779B97F4A7C15))   (mod 2^64)
//   u = (x >> 11) * 2^-53                                   (uniform in [0, 1))
// and the first class whose cumulative normalized share exceeds u (the last
// class with a positive share if rounding leaves u above every sum), where
//   splitmix64(z): z += 0x9E3779B97F4A7C15;
//                  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
//                  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
//                  return z ^ (z >> 31).
// Deterministic: a job's class depends only on seed, ordinal and mix.
// REQUIRES: ValidateClassMix(mix) succeeds.
const std::string& PickClass(const ClassMix& mix, std::uint64_t seed, std::uint64_t ordinal);

// Sets job.epochs, epoch_s and save_period for a run of `duration_s` whole
// seconds with a checkpoint every `interval_s` (see the top of this file):
// 4000 s at 1800 s is 3 epochs of 1333.33 s. duration_s is left untouched.
// REQUIRES: duration_s >= 1, interval_s >= 1.
void SynthesizeCheckpoints(std::int64_t duration_s, std::int64_t interval_s, TraceJob& job);

// Seconds since 1970-01-01 00:00:00 of a civil time "YYYY-MM-DD HH:MM:SS"
// (no time zone, no leap seconds). Fails on any other shape or an invalid
// date or time ("2017-02-30 00:00:00", "24:00:00").
Result<std::int64_t> ParseCivilTime(std::string_view text);

// A closed interval of civil times, as ParseCivilTime's seconds.
struct TimeWindow {
  std::int64_t start_s = 0;
  std::int64_t end_s = 0;  // inclusive
};

// --- Microsoft Philly (philly-pollux/philly.csv) ----------------------------

struct PhillyOptions {
  std::uint64_t seed = 0;
  ClassMix class_mix;
  std::int64_t checkpoint_interval_s = kDefaultCheckpointIntervalS;  // >= 1
  // Keep only jobs submitted inside it; submit_s then counts from its start.
  std::optional<TimeWindow> window;
  // Keep only jobs of these VC ids; empty: every VC.
  std::set<std::string, std::less<>> vcs;
};

// The window of the Helios (SC'21) per-VC Philly simulation:
// 2017-10-01 00:00:00 .. 2017-11-30 23:59:59.
TimeWindow HeliosPhillyWindow();

// Reads `timestamp,duration,num_gpus,gpu_time,cluster` rows (not sorted in
// the file). Job i (0-based data row in the file, counted before any
// filter) gets id "philly-<i>", its class from PickClass(mix, seed, i),
// tenant = its VC id (`cluster`), gpus = num_gpus (>= 1), exclusive, and its
// duration (seconds, a number > 0) rounded up to whole seconds. submit_s
// counts from the window's start when a window is given, else from the
// earliest timestamp kept. gpu_time (= duration * num_gpus) is not read.
// Drop reasons, in this order: "outside the time window", "VC not selected".
// Fails on invalid options (class mix, interval < 1, window start > end).
Result<TraceRead> ParsePhillyCsv(std::string_view text, const PhillyOptions& options);

// --- Alibaba PAI 2023 (alibaba-pai-2023/openb_pod_list_*.csv) ---------------

struct PaiOptions {
  std::int64_t checkpoint_interval_s = kDefaultCheckpointIntervalS;  // >= 1
};

// The catalog name of a PAI GPU model: V100M16 -> "V100-16", V100M32 ->
// "V100-32", P100, T4, A10 as is, G2 -> "PAI-G2", G3 -> "PAI-G3" (the two
// undisclosed models; see PaiCatalog in presets.h). nullopt for others.
std::optional<std::string> PaiGpuTypeName(std::string_view pai_model);

// Reads `name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,
// creation_time,deletion_time,scheduled_time` rows, one job per pod:
//   id = name (unique), tenant "pai" (the trace names no users),
//   submit_s = creation_time, run time = deletion_time - scheduled_time
//   (at least 1 s; the pod's original wait is thus not replayed as work),
//   gpus = num_gpu; gpu_milli 1000 -> exclusive whole GPUs, 1..999 (only
//   with num_gpu 1) -> memory_permille = gpu_milli, a share of one card;
//   gpu_spec "V100M16|V100M32" -> gpu_types {"V100-16", "V100-32"} (empty:
//   any type; repeats removed);
//   qos -> class by Kubernetes QoS semantics: Guaranteed (requests = limits,
//   the last to be evicted) -> critical, LS (latency-sensitive, mostly
//   inference services) -> high, Burstable -> medium, BE (best effort, the
//   first to be evicted) -> batch.
// cpu_milli, memory_mib (host memory) and pod_phase are not read.
// Drop reasons, in this order: "cpu-only (num_gpu 0)", "never scheduled
// (empty scheduled_time)". Times are integers >= 0 on every row.
Result<TraceRead> ParsePaiPods(std::string_view text, const PaiOptions& options);

// Reads `sn,cpu_milli,memory_mib,gpu,model` rows (openb_node_list_*.csv)
// into one node per row with gpu >= 1: named by sn (unique), holding `gpu`
// cards of the catalog type PaiGpuTypeName(model), each with the catalog's
// memory. Rows with gpu 0 (CPU-only nodes) are skipped. Fails on an unknown
// model or one whose catalog name `catalog` lacks (use PaiCatalog()).
// cpu_milli and memory_mib are not read.
Result<std::vector<NodeSpec>> ParsePaiNodes(std::string_view text, const GpuCatalog& catalog);

// --- Tiresias example trace (tiresias/60_job.csv) ---------------------------

struct TiresiasOptions {
  std::uint64_t seed = 0;
  ClassMix class_mix;
  std::int64_t checkpoint_interval_s = kDefaultCheckpointIntervalS;  // >= 1
};

// Reads `job_id,num_gpu,submit_time,iterations,model_name,duration,interval`
// rows: id "tiresias-<job_id>" (unique), tenant "default", gpus = num_gpu
// (>= 1), exclusive, submit_s = submit_time (an integer >= 0), duration a
// number > 0 rounded up to whole seconds, class from PickClass(mix, seed, i)
// for the 0-based data row i. iterations, model_name and interval are not
// read. Drops nothing.
Result<TraceRead> ParseTiresiasCsv(std::string_view text, const TiresiasOptions& options);

}  // namespace gpusched::sim
