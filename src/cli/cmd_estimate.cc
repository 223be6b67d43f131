// `gpusched estimate`: the per-GPU memory need of an Ultralytics YOLO training
// job, from MemoryEstimator, with the basis it was derived from.
//
// Input rules follow Ultralytics: `batch` is the total over all GPUs and must
// be a multiple of the GPU count; AutoBatch (-1) and a fractional batch
// (0 < batch < 1) work on one GPU only.
#include <charconv>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/estimate_format.h"
#include "cli/output.h"
#include "gpusched/memory_estimate.h"
#include "gpusched/status.h"

namespace gpusched::cli {
namespace {

constexpr std::string_view kCommand = "estimate";
// Bounds that keep the inputs in the range the estimator is specified for.
constexpr int kMaxGpus = 1024;
constexpr int kMaxBatch = 65536;
constexpr int kMinImgsz = 32;
constexpr int kMaxImgsz = 8192;

// Parses `--batch`: an integer >= 1, -1 (AutoBatch) or a fraction in (0, 1).
Status ParseBatch(std::string_view text, UltralyticsParams& p) {
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  int whole = 0;
  if (auto [ptr, ec] = std::from_chars(begin, end, whole); ec == std::errc() && ptr == end) {
    if (whole == -1 || (whole >= 1 && whole <= kMaxBatch)) {
      p.batch = whole;
      p.batch_fraction = 0;
      return OkStatus();
    }
  } else {
    double fraction = 0;
    auto [fptr, fec] = std::from_chars(begin, end, fraction);
    if (fec == std::errc() && fptr == end && fraction > 0 && fraction < 1) {
      p.batch = -1;
      p.batch_fraction = fraction;
      return OkStatus();
    }
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("--batch \"{}\": expected an integer from 1 to {}, -1 (AutoBatch) "
                               "or a fraction between 0 and 1",
                               text, kMaxBatch));
}

Status ParsePrecision(std::string_view text, UltralyticsParams& p) {
  if (text == "fp32") {
    p.precision = Precision::kFp32;
  } else if (text == "amp") {
    p.precision = Precision::kAmp;
  } else {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("--precision \"{}\": expected fp32 or amp", text));
  }
  return OkStatus();
}

// Checks the combination of values against Ultralytics' rules and the
// estimator's preconditions.
Status Validate(const UltralyticsParams& p, int gpus) {
  if (gpus < 1 || gpus > kMaxGpus) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("--gpus {}: expected 1 to {}", gpus, kMaxGpus));
  }
  if (p.imgsz < kMinImgsz || p.imgsz > kMaxImgsz) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("--imgsz {}: expected {} to {}", p.imgsz, kMinImgsz, kMaxImgsz));
  }
  const bool auto_batch = p.batch == -1;
  if (auto_batch && gpus > 1) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("--batch {}: AutoBatch and fractional batches need --gpus 1 "
                                 "(Ultralytics does not support them with DDP)",
                                 BatchText(p)));
  }
  if (!auto_batch && p.batch % gpus != 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("--batch {}: must be a multiple of --gpus {} (the total batch is "
                                 "split evenly across GPUs)",
                                 p.batch, gpus));
  }
  return OkStatus();
}

// Builds the training parameters from the command line, or an error naming
// the option at fault.
Result<UltralyticsParams> ParamsFrom(const EstimateOptions& options) {
  Result<UltralyticsParams> parsed = ParseYoloModel(options.model);
  if (!parsed) {
    return MakeError(parsed.error().code, fmt::format("--model: {}", parsed.error().message));
  }
  UltralyticsParams p = *parsed;
  if (options.batch) {
    if (Status s = ParseBatch(*options.batch, p); !s) return tl::unexpected(s.error());
  }
  if (options.imgsz) p.imgsz = *options.imgsz;
  if (options.precision) {
    if (Status s = ParsePrecision(*options.precision, p); !s) return tl::unexpected(s.error());
  }
  if (Status s = Validate(p, options.gpus); !s) return tl::unexpected(s.error());
  return p;
}

void PrintText(const EstimateOptions& options, const UltralyticsParams& p, const MemoryNeed& need) {
  fmt::print("model      {} ({} {} {})\n", options.model, FamilyName(p.family), SizeName(p.size),
             TaskName(p.task));
  fmt::print("batch      {}\n", BatchDescription(p, options.gpus));
  fmt::print("imgsz      {}\n", p.imgsz);
  fmt::print("precision  {}\n", PrecisionName(p.precision));
  fmt::print("gpus       {}\n", options.gpus);
  fmt::print("per GPU    {}\n", NeedDescription(need));
  fmt::print("basis      {}\n", need.basis);
}

// The per-GPU batch, or null for AutoBatch and fractional batches.
nlohmann::ordered_json BatchPerGpu(const UltralyticsParams& p, int gpus) {
  if (p.batch_fraction > 0 || p.batch < 1) return nullptr;
  return p.batch / gpus;
}

nlohmann::ordered_json ToJson(const EstimateOptions& options, const UltralyticsParams& p,
                              const MemoryNeed& need) {
  return nlohmann::ordered_json{
      {"model", options.model},
      {"family", FamilyName(p.family)},
      {"size", SizeName(p.size)},
      {"task", TaskName(p.task)},
      {"batch", p.batch},
      {"batch_per_gpu", BatchPerGpu(p, options.gpus)},
      {"batch_fraction", p.batch_fraction},
      {"imgsz", p.imgsz},
      {"precision", PrecisionName(p.precision)},
      {"gpus", options.gpus},
      {"key", MemoryKey(p, options.gpus)},
      {"per_gpu_mib", need.per_gpu_mib},
      {"fraction_permille", need.fraction_permille},
      {"exclusive", need.exclusive},
      {"basis", need.basis},
  };
}

}  // namespace

int RunEstimate(const EstimateOptions& options) {
  Result<UltralyticsParams> params = ParamsFrom(options);
  if (!params) {
    PrintError(kCommand, params.error().message);
    return kExitUsage;
  }
  const MemoryEstimator estimator;
  const MemoryNeed need = estimator.Estimate(*params, options.gpus);
  if (options.output == OutputFormat::kJson) {
    PrintJson(ToJson(options, *params, need));
  } else {
    PrintText(options, *params, need);
  }
  return kExitOk;
}

}  // namespace gpusched::cli
