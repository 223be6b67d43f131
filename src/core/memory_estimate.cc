// GPU memory estimates for Ultralytics YOLO training.
//
// The formula, per GPU of a DDP job (each GPU holds a full model replica and
// trains ceil(batch / gpus) images of each batch):
//
//   need = context + states + act(family, size, task) x per_gpu_batch
//                             x (imgsz / 640)^2 x precision_factor
//
// rounded up to a multiple of 256 MiB, where
//   context  = 700 MiB: CUDA context plus the PyTorch caching allocator's
//              slack (assumption, typical of a PyTorch 2.x training process).
//   states   = 16 bytes per parameter: FP32 weights, gradients and the two
//              Adam moments. Parameter counts are Ultralytics' published
//              figures for the detection models (v8: n 3.2M, s 11.2M,
//              m 25.9M, l 43.7M, x 68.2M; v5u: 2.6M, 9.1M, 25.1M, 53.2M,
//              97.2M; 11: 2.6M, 9.4M, 20.1M, 25.3M, 56.9M); the other tasks
//              use the same counts (their heads differ by < 10 %).
//   act      = activation memory of one 640x640 image. For YOLOv8 it is
//              calibrated so that FP32, batch 32, imgsz 640 gives the
//              published figures: v8n ~4 GB, v8s ~6 GB, v8l ~12 GB,
//              v8x ~18 GB (read as GiB); v8m is interpolated (9 GiB).
//              That gives about 105, 165, 254, 341 and 522 MiB per image.
//   family   = assumption: YOLOv5u x 0.9 (C3 blocks keep fewer intermediate
//              maps than v8's C2f; same anchor-free head), YOLO11 x 1.1
//              (C3k2 and the C2PSA attention block keep more; Ultralytics
//              issue #17488 reports YOLO11 needing about twice the memory of
//              the original YOLOv5 at the same size).
//   task     = assumption: detect 1.0; segment 1.4 (prototype-mask branch at
//              1/4 resolution and per-instance mask loss); pose 1.05; obb 1.1
//              (rotated assigner over many objects); classify 0.5 (backbone
//              only, no neck, head or assigner).
//   imgsz    = activation memory grows with the pixels per image, so with
//              imgsz^2 (Ultralytics: "memory grows roughly with batch x
//              imgsz^2").
//   precision= AMP (Ultralytics' default) keeps FP32 weights and optimizer
//              state but stores most activations in FP16: factor 0.6 on the
//              activations (assumption; some ops and the loss stay FP32).
//
// AutoBatch (batch = -1) sizes the batch to the card it finds, so the job
// takes a whole card; a fractional batch takes that share of the card.
// Observed peaks for the same MemoryKey replace the formula, plus 10 %.
#include "gpusched/memory_estimate.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

namespace gpusched {
namespace {

constexpr std::int64_t kKiBPerMiB = 1024;
constexpr MiB kContextMib = 700;
constexpr MiB kRoundMib = 256;
constexpr std::int64_t kStateBytesPerParam = 16;
constexpr int kCalibrationBatch = 32;
constexpr int kCalibrationImgsz = 640;

// Parameters in thousands, indexed [family][size] (n, s, m, l, x).
constexpr std::array<std::array<std::int64_t, 5>, 3> kParamsK = {{
    {2'600, 9'100, 25'100, 53'200, 97'200},   // v5u
    {3'200, 11'200, 25'900, 43'700, 68'200},  // v8
    {2'600, 9'400, 20'100, 25'300, 56'900},   // 11
}};
// Published v8 figures (FP32, batch 32, imgsz 640), m interpolated.
constexpr std::array<MiB, 5> kV8CalibrationMib = {4096, 6144, 9216, 12288, 18432};
constexpr std::array<int, 3> kFamilyPermille = {900, 1000, 1100};
// detect, segment, classify, pose, obb
constexpr std::array<int, 5> kTaskPermille = {1000, 1400, 500, 1050, 1100};
constexpr int kAmpPermille = 600;

std::size_t Index(auto e) { return static_cast<std::size_t>(e); }

std::int64_t StatesKib(YoloFamily family, YoloSize size) {
  const std::int64_t bytes = kParamsK[Index(family)][Index(size)] * 1000 * kStateBytesPerParam;
  return (bytes + 1023) / 1024;
}

// Activation KiB of one FP32 640x640 v8 detect image, floored so that the
// calibration point never rounds above the published figure.
std::int64_t V8ActivationKibPerImage(YoloSize size) {
  const std::int64_t target_kib = kV8CalibrationMib[Index(size)] * kKiBPerMiB;
  const std::int64_t rest =
      target_kib - kContextMib * kKiBPerMiB - StatesKib(YoloFamily::kV8, size);
  return rest / kCalibrationBatch;
}

MiB RoundUp(MiB mib, MiB step) { return (mib + step - 1) / step * step; }

int PerGpuBatch(int batch, int gpus) { return (batch + gpus - 1) / gpus; }

std::string FamilySizeName(YoloFamily family, YoloSize size) {
  static constexpr std::array<const char*, 3> kFamily = {"yolov5", "yolov8", "yolo11"};
  static constexpr std::array<char, 5> kSize = {'n', 's', 'm', 'l', 'x'};
  return fmt::format("{}{}", kFamily[Index(family)], kSize[Index(size)]);
}

const char* TaskName(YoloTask task) {
  static constexpr std::array<const char*, 5> kNames = {"detect", "segment", "classify", "pose",
                                                        "obb"};
  return kNames[Index(task)];
}

const char* PrecisionName(Precision p) { return p == Precision::kAmp ? "amp" : "fp32"; }

bool IsFractional(const UltralyticsParams& p) { return p.batch_fraction > 0; }
bool IsAutoBatch(const UltralyticsParams& p) { return !IsFractional(p) && p.batch == -1; }

void CheckRequires(const UltralyticsParams& p, int gpus) {
  GPUSCHED_CHECK(gpus >= 1, fmt::format("gpus must be >= 1, got {}", gpus));
  GPUSCHED_CHECK(p.imgsz >= 32, fmt::format("imgsz must be >= 32, got {}", p.imgsz));
  GPUSCHED_CHECK(IsFractional(p) ? p.batch_fraction < 1 : (p.batch >= 1 || p.batch == -1),
                 fmt::format("batch {} / fraction {} out of range", p.batch, p.batch_fraction));
}

// --- parsing ---------------------------------------------------------------

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "path/to/YOLOv8s-seg.pt" -> "yolov8s-seg".
std::string Stem(std::string_view model) {
  const std::size_t slash = model.find_last_of("/\\");
  if (slash != std::string_view::npos) model.remove_prefix(slash + 1);
  const std::size_t dot = model.rfind('.');
  if (dot != std::string_view::npos) model = model.substr(0, dot);
  return Lower(model);
}

std::vector<std::string_view> SplitDash(std::string_view s) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t dash = s.find('-', start);
    parts.push_back(s.substr(start, dash - start));
    if (dash == std::string_view::npos) return parts;
    start = dash + 1;
  }
}

Error ParseError(std::string_view model, std::string_view why) {
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("cannot read a YOLO model from '{}': {}", model, why)};
}

std::optional<YoloFamily> FamilyOfVersion(std::string_view version) {
  if (version == "5") return YoloFamily::kV5;
  if (version == "8") return YoloFamily::kV8;
  if (version == "11") return YoloFamily::kV11;
  return std::nullopt;
}

// "yolov8s", "yolo11n", "yolov5su", "yolov5x6u" -> family and size.
Status ParseFamilySize(std::string_view head, std::string_view model, UltralyticsParams& p) {
  if (!head.starts_with("yolo")) {
    return tl::unexpected(
        ParseError(model, "expected yolov5/yolov8/yolo11 followed by n, s, m, l or x"));
  }
  head.remove_prefix(4);
  if (head.starts_with("v")) head.remove_prefix(1);
  std::size_t digits = 0;
  while (digits < head.size() && std::isdigit(static_cast<unsigned char>(head[digits]))) ++digits;
  const std::optional<YoloFamily> family = FamilyOfVersion(head.substr(0, digits));
  if (!family) {
    return tl::unexpected(
        ParseError(model, fmt::format("unsupported YOLO version '{}' (supported: v5, v8, 11)",
                                      head.substr(0, digits))));
  }
  p.family = *family;
  head.remove_prefix(digits);
  static constexpr std::string_view kSizes = "nsmlx";
  const std::size_t size = head.empty() ? std::string_view::npos : kSizes.find(head[0]);
  if (size == std::string_view::npos) {
    return tl::unexpected(ParseError(
        model,
        fmt::format("unknown model size '{}' (expected n, s, m, l or x)", head.substr(0, 1))));
  }
  p.size = static_cast<YoloSize>(size);
  head.remove_prefix(1);
  if (head.starts_with("6")) head.remove_prefix(1);  // P6 variant (yolov5x6u)
  if (head.starts_with("u")) head.remove_prefix(1);  // anchor-free v5 "u"
  if (!head.empty()) {
    return tl::unexpected(ParseError(model, fmt::format("unexpected '{}' after the size", head)));
  }
  return OkStatus();
}

Status ParseSuffix(std::string_view suffix, std::string_view model, UltralyticsParams& p) {
  static constexpr std::array<std::pair<std::string_view, YoloTask>, 4> kTasks = {
      {{"seg", YoloTask::kSegment},
       {"cls", YoloTask::kClassify},
       {"pose", YoloTask::kPose},
       {"obb", YoloTask::kObb}}};
  for (const auto& [name, task] : kTasks) {
    if (suffix != name) continue;
    if (p.task != YoloTask::kDetect) {
      return tl::unexpected(ParseError(model, "more than one task suffix"));
    }
    p.task = task;
    return OkStatus();
  }
  // Detection variants with a different head level or data set.
  if (suffix == "p2" || suffix == "p6" || suffix == "oiv7") return OkStatus();
  return tl::unexpected(ParseError(model, fmt::format("unknown suffix '-{}'", suffix)));
}

}  // namespace

Result<UltralyticsParams> ParseYoloModel(std::string_view model) {
  const std::string stem = Stem(model);
  const std::vector<std::string_view> parts = SplitDash(stem);
  UltralyticsParams p;
  if (Status s = ParseFamilySize(parts[0], model, p); !s) return tl::unexpected(s.error());
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (Status s = ParseSuffix(parts[i], model, p); !s) return tl::unexpected(s.error());
  }
  return p;
}

std::string MemoryKey(const UltralyticsParams& p, int gpus) {
  std::string batch;
  if (IsFractional(p)) {
    batch = fmt::format("f{}", std::lround(p.batch_fraction * 1000));
  } else if (p.batch == -1) {
    batch = "bauto";
  } else {
    batch = fmt::format("b{}", PerGpuBatch(p.batch, std::max(gpus, 1)));
  }
  return fmt::format("{}/{}/{}/i{}/{}", FamilySizeName(p.family, p.size), TaskName(p.task), batch,
                     p.imgsz, PrecisionName(p.precision));
}

MiB FormulaEstimateMib(const UltralyticsParams& p, int gpus) {
  CheckRequires(p, gpus);
  if (IsFractional(p) || IsAutoBatch(p)) return 0;  // depends on the card
  const double pixels_ratio = static_cast<double>(p.imgsz) * p.imgsz /
                              (static_cast<double>(kCalibrationImgsz) * kCalibrationImgsz);
  const double factor = kFamilyPermille[Index(p.family)] / 1000.0 * kTaskPermille[Index(p.task)] /
                        1000.0 * (p.precision == Precision::kAmp ? kAmpPermille / 1000.0 : 1.0);
  // Above ~1 PiB the estimate is meaningless; clamp before converting.
  const double activation_kib =
      std::min(1e15, static_cast<double>(V8ActivationKibPerImage(p.size)) *
                         PerGpuBatch(p.batch, gpus) * pixels_ratio * factor);
  const std::int64_t total_kib = kContextMib * kKiBPerMiB + StatesKib(p.family, p.size) +
                                 static_cast<std::int64_t>(std::ceil(activation_kib));
  return RoundUp(RoundUp(total_kib, kKiBPerMiB) / kKiBPerMiB, kRoundMib);
}

MemoryNeed MemoryEstimator::Estimate(const UltralyticsParams& p, int gpus) const {
  CheckRequires(p, gpus);
  MemoryNeed need;
  if (IsFractional(p)) {
    need.fraction_permille =
        std::clamp(static_cast<int>(std::lround(p.batch_fraction * 1000)), 1, 999);
    need.basis = fmt::format("fractional batch {}: {} permille of the card", p.batch_fraction,
                             need.fraction_permille);
    return need;
  }
  if (IsAutoBatch(p)) {
    need.exclusive = true;
    need.basis = "AutoBatch (batch=-1): whole card, the batch is sized to the card";
    return need;
  }
  const std::string key = MemoryKey(p, gpus);
  if (auto it = observed_peak_mib_.find(key); it != observed_peak_mib_.end()) {
    need.per_gpu_mib = *LearnedNeed(key);
    need.basis = fmt::format("observed peak {} MiB + 10% headroom -> {} MiB ({})", it->second,
                             need.per_gpu_mib, key);
    return need;
  }
  need.per_gpu_mib = FormulaEstimateMib(p, gpus);
  need.basis =
      fmt::format("formula: {} {}, batch {}/GPU, imgsz {}, {} -> {} MiB",
                  FamilySizeName(p.family, p.size), TaskName(p.task), PerGpuBatch(p.batch, gpus),
                  p.imgsz, PrecisionName(p.precision), need.per_gpu_mib);
  return need;
}

std::optional<MiB> MemoryEstimator::LearnedNeed(std::string_view key) const {
  auto it = observed_peak_mib_.find(key);
  if (it == observed_peak_mib_.end()) return std::nullopt;
  const MiB with_headroom = (it->second * 11 + 9) / 10;
  return RoundUp(with_headroom, kRoundMib);
}

void MemoryEstimator::ObservePeak(const UltralyticsParams& p, int gpus, MiB peak_mib) {
  ObservePeak(MemoryKey(p, gpus), peak_mib);
}

void MemoryEstimator::ObservePeak(std::string_view key, MiB peak_mib) {
  if (key.empty() || peak_mib <= 0) return;
  auto it = observed_peak_mib_.find(key);
  if (it == observed_peak_mib_.end()) it = observed_peak_mib_.emplace(std::string(key), 0).first;
  it->second = std::max(it->second, peak_mib);
}

std::optional<MemoryNeed> ResolveMemoryNeed(std::optional<MiB> explicit_mib,
                                            const UltralyticsParams* params, int gpus,
                                            const MemoryEstimator& estimator) {
  if (explicit_mib) {
    MemoryNeed need;
    need.per_gpu_mib = *explicit_mib;
    need.basis = fmt::format("memory_per_gpu given in the job: {} MiB", *explicit_mib);
    return need;
  }
  if (params) return estimator.Estimate(*params, gpus);
  return std::nullopt;
}

}  // namespace gpusched
