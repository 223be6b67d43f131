// GPU memory estimates for Ultralytics YOLO training jobs, from the model
// variant and the training parameters, corrected by observed peaks.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "gpusched/status.h"
#include "gpusched/types.h"

namespace gpusched {

enum class YoloFamily { kV5, kV8, kV11 };
enum class YoloSize { kN, kS, kM, kL, kX };
enum class YoloTask { kDetect, kSegment, kClassify, kPose, kObb };
enum class Precision { kFp32, kAmp };

struct UltralyticsParams {
  YoloFamily family = YoloFamily::kV8;
  YoloSize size = YoloSize::kN;
  YoloTask task = YoloTask::kDetect;
  // Total batch across all GPUs (Ultralytics' `batch`). -1: AutoBatch.
  int batch = 16;
  // 0 < batch_fraction < 1: Ultralytics' fractional batch (that share of the
  // card's memory). 0 when `batch` is used.
  double batch_fraction = 0;
  int imgsz = 640;
  Precision precision = Precision::kAmp;
};

// Parses a weights or config name: "yolov8s.pt", "yolo11n-seg.pt",
// "yolov5x6u.pt", "yolov8m-pose.yaml". The task comes from the suffix
// (-seg, -cls, -pose, -obb; none: detect). Fails naming the text when the
// family or size cannot be read.
Result<UltralyticsParams> ParseYoloModel(std::string_view model);

// How much memory a job needs on each of its GPUs.
struct MemoryNeed {
  MiB per_gpu_mib = 0;           // exact need; 0 when fraction-based
  int fraction_permille = 0;     // share of the card (fractional batch)
  bool exclusive = false;        // whole card (AutoBatch)
  std::string basis;             // how it was derived, for explanations
};

// The key observed peaks are recorded under: family, size, task, per-GPU
// batch, imgsz and precision, e.g. "yolov8s/detect/b32/i640/fp32".
std::string MemoryKey(const UltralyticsParams& p, int gpus);

// Estimates per-GPU memory, and learns from observed peaks. Not thread-safe.
class MemoryEstimator {
 public:
  // The need for one GPU of a job training `p` on `gpus` GPUs (DDP splits
  // the batch evenly). An observed peak for the same key wins over the
  // formula (plus 10 % headroom).
  // REQUIRES: gpus >= 1, imgsz >= 32, batch >= 1 or batch == -1 or a
  // fraction in (0, 1).
  MemoryNeed Estimate(const UltralyticsParams& p, int gpus) const;

  // Records a peak reported by an agent for that key; the largest wins.
  void ObservePeak(const UltralyticsParams& p, int gpus, MiB peak_mib);
  // The same by key, as MemoryKey gives it (drivers keep the job's key).
  // An empty key or a non-positive peak is ignored.
  void ObservePeak(std::string_view key, MiB peak_mib);

  // The need learned for `key`: its largest observed peak plus 10 %
  // headroom, rounded up to 256 MiB; nullopt when none was observed.
  std::optional<MiB> LearnedNeed(std::string_view key) const;

  // Every key's largest observed peak, for saving and restoring.
  const std::map<std::string, MiB, std::less<>>& observed_peaks() const {
    return observed_peak_mib_;
  }

 private:
  std::map<std::string, MiB, std::less<>> observed_peak_mib_;
};

// The need of a job: an explicit per-GPU memory (the job file's
// `memory_per_gpu`) wins; else the estimate for its Ultralytics parameters;
// else nullopt (the caller must reject the job: its need is unknown).
// REQUIRES: explicit_mib, when set, is positive; params as for Estimate.
std::optional<MemoryNeed> ResolveMemoryNeed(std::optional<MiB> explicit_mib,
                                            const UltralyticsParams* params, int gpus,
                                            const MemoryEstimator& estimator);

// The formula alone (no observations), for tests and documentation.
MiB FormulaEstimateMib(const UltralyticsParams& p, int gpus);

}  // namespace gpusched
