// How `gpusched estimate` names Ultralytics parameters and memory needs.
#pragma once

#include <string>
#include <string_view>

#include "gpusched/memory_estimate.h"

namespace gpusched::cli {

std::string_view FamilyName(YoloFamily family);       // "yolov5", "yolov8", "yolo11"
std::string_view SizeName(YoloSize size);             // "n", "s", "m", "l", "x"
std::string_view TaskName(YoloTask task);             // "detect", "segment", ...
std::string_view PrecisionName(Precision precision);  // "fp32", "amp"

// The batch as the user wrote it: "32", "-1" or "0.7".
std::string BatchText(const UltralyticsParams& p);
// "32 (32 per GPU)", "AutoBatch (-1)", "0.7 of the card's memory (fractional)".
// REQUIRES: gpus >= 1.
std::string BatchDescription(const UltralyticsParams& p, int gpus);
// "17408 MiB (17.0 GiB)", "700 permille of the card", "the whole card".
std::string NeedDescription(const MemoryNeed& need);

}  // namespace gpusched::cli
