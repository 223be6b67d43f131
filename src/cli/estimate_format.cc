#include "cli/estimate_format.h"

#include <fmt/core.h>

#include "gpusched/types.h"

namespace gpusched::cli {

std::string_view FamilyName(YoloFamily family) {
  switch (family) {
    case YoloFamily::kV5: return "yolov5";
    case YoloFamily::kV8: return "yolov8";
    case YoloFamily::kV11: return "yolo11";
  }
  return "unknown";
}

std::string_view SizeName(YoloSize size) {
  switch (size) {
    case YoloSize::kN: return "n";
    case YoloSize::kS: return "s";
    case YoloSize::kM: return "m";
    case YoloSize::kL: return "l";
    case YoloSize::kX: return "x";
  }
  return "unknown";
}

std::string_view TaskName(YoloTask task) {
  switch (task) {
    case YoloTask::kDetect: return "detect";
    case YoloTask::kSegment: return "segment";
    case YoloTask::kClassify: return "classify";
    case YoloTask::kPose: return "pose";
    case YoloTask::kObb: return "obb";
  }
  return "unknown";
}

std::string_view PrecisionName(Precision precision) {
  switch (precision) {
    case Precision::kFp32: return "fp32";
    case Precision::kAmp: return "amp";
  }
  return "unknown";
}

std::string BatchText(const UltralyticsParams& p) {
  if (p.batch_fraction > 0) return fmt::format("{}", p.batch_fraction);
  return fmt::format("{}", p.batch);
}

std::string BatchDescription(const UltralyticsParams& p, int gpus) {
  if (p.batch_fraction > 0) {
    return fmt::format("{} of the card's memory (fractional batch)", p.batch_fraction);
  }
  if (p.batch == -1) return "-1 (AutoBatch: fills the card)";
  return fmt::format("{} ({} per GPU)", p.batch, p.batch / gpus);
}

std::string NeedDescription(const MemoryNeed& need) {
  if (need.exclusive) return "the whole card (exclusive)";
  if (need.fraction_permille > 0) {
    return fmt::format("{:.1f} % of the card's memory", need.fraction_permille / 10.0);
  }
  return fmt::format("{} MiB ({:.1f} GiB)", need.per_gpu_mib,
                     static_cast<double>(need.per_gpu_mib) / static_cast<double>(kMiBPerGiB));
}

}  // namespace gpusched::cli
