#include "gpusched/memory_estimate.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace gpusched {
namespace {

constexpr std::array kFamilies = {YoloFamily::kV5, YoloFamily::kV8, YoloFamily::kV11};
constexpr std::array kSizes = {YoloSize::kN, YoloSize::kS, YoloSize::kM, YoloSize::kL,
                               YoloSize::kX};
constexpr std::array kTasks = {YoloTask::kDetect, YoloTask::kSegment, YoloTask::kClassify,
                               YoloTask::kPose, YoloTask::kObb};

// Training parameters from a model name, FP32 batch 32 imgsz 640 by default.
class Params {
 public:
  explicit Params(std::string_view model) {
    Result<UltralyticsParams> parsed = ParseYoloModel(model);
    EXPECT_TRUE(parsed.has_value()) << model;
    if (parsed) p_ = *parsed;
    p_.batch = 32;
    p_.imgsz = 640;
    p_.precision = Precision::kFp32;
  }
  Params(YoloFamily family, YoloSize size, YoloTask task = YoloTask::kDetect) {
    p_.family = family;
    p_.size = size;
    p_.task = task;
    p_.batch = 32;
    p_.imgsz = 640;
    p_.precision = Precision::kFp32;
  }
  Params& Batch(int b) {
    p_.batch = b;
    return *this;
  }
  Params& Fraction(double f) {
    p_.batch_fraction = f;
    return *this;
  }
  Params& Imgsz(int i) {
    p_.imgsz = i;
    return *this;
  }
  Params& Amp() {
    p_.precision = Precision::kAmp;
    return *this;
  }
  operator UltralyticsParams() const { return p_; }  // NOLINT: builder

 private:
  UltralyticsParams p_;
};

MiB Formula(const UltralyticsParams& p, int gpus = 1) { return FormulaEstimateMib(p, gpus); }

// --- parsing ---------------------------------------------------------------

struct ParseCase {
  std::string model;
  YoloFamily family;
  YoloSize size;
  YoloTask task;
};

TEST(YoloModelParse, ReadsFamilySizeAndTaskFromTheName) {
  const std::vector<ParseCase> cases = {
      {"yolov8s.pt", YoloFamily::kV8, YoloSize::kS, YoloTask::kDetect},
      {"yolo11n-seg.pt", YoloFamily::kV11, YoloSize::kN, YoloTask::kSegment},
      {"yolov5su.pt", YoloFamily::kV5, YoloSize::kS, YoloTask::kDetect},
      {"YOLOv8x.yaml", YoloFamily::kV8, YoloSize::kX, YoloTask::kDetect},
      {"yolov8m-pose.pt", YoloFamily::kV8, YoloSize::kM, YoloTask::kPose},
      {"yolo11l-obb.pt", YoloFamily::kV11, YoloSize::kL, YoloTask::kObb},
      {"yolov8n-cls.pt", YoloFamily::kV8, YoloSize::kN, YoloTask::kClassify},
      {"yolov5x6u.pt", YoloFamily::kV5, YoloSize::kX, YoloTask::kDetect},
      {"yolov8m-pose.yaml", YoloFamily::kV8, YoloSize::kM, YoloTask::kPose},
      {"runs/weights/yolov11s-seg.pt", YoloFamily::kV11, YoloSize::kS, YoloTask::kSegment},
      {"yolov8l", YoloFamily::kV8, YoloSize::kL, YoloTask::kDetect},
      {"yolov8s-p6.yaml", YoloFamily::kV8, YoloSize::kS, YoloTask::kDetect},
  };
  for (const ParseCase& c : cases) {
    SCOPED_TRACE(c.model);
    Result<UltralyticsParams> p = ParseYoloModel(c.model);
    ASSERT_TRUE(p.has_value()) << p.error().message;
    EXPECT_EQ(p->family, c.family);
    EXPECT_EQ(p->size, c.size);
    EXPECT_EQ(p->task, c.task);
  }
}

TEST(YoloModelParse, ErrorsNameTheTextAndWhatIsWrong) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"resnet50.pt", "expected yolov5/yolov8/yolo11"},
      {"yolov8q.pt", "unknown model size 'q'"},
      {"yolov8.yaml", "unknown model size ''"},
      {"yolov3u.pt", "unsupported YOLO version '3'"},
      {"yolov10n.pt", "unsupported YOLO version '10'"},
      {"yolov8s-world.pt", "unknown suffix '-world'"},
      {"yolov8sz.pt", "unexpected 'z'"},
      {"yolov8s-seg-cls.pt", "more than one task"},
      {"", "expected yolov5/yolov8/yolo11"},
  };
  for (const auto& [model, why] : cases) {
    SCOPED_TRACE(model);
    Result<UltralyticsParams> p = ParseYoloModel(model);
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(p.error().message.find("'" + model + "'"), std::string::npos) << p.error().message;
    EXPECT_NE(p.error().message.find(why), std::string::npos) << p.error().message;
  }
}

// --- keys ------------------------------------------------------------------

TEST(MemoryKey, NamesModelTaskPerGpuBatchImgszAndPrecision) {
  EXPECT_EQ(MemoryKey(Params("yolov8s.pt"), 1), "yolov8s/detect/b32/i640/fp32");
  EXPECT_EQ(MemoryKey(Params("yolo11n-seg.pt").Batch(16).Amp(), 1), "yolo11n/segment/b16/i640/amp");
  EXPECT_EQ(MemoryKey(Params("yolov5su.pt").Imgsz(1280), 1), "yolov5s/detect/b32/i1280/fp32");
  EXPECT_EQ(MemoryKey(Params("yolov8s.pt").Batch(64), 2), "yolov8s/detect/b32/i640/fp32");
  EXPECT_EQ(MemoryKey(Params("yolov8s.pt").Batch(33), 2), "yolov8s/detect/b17/i640/fp32");
  EXPECT_EQ(MemoryKey(Params("yolov8s.pt").Batch(-1), 1), "yolov8s/detect/bauto/i640/fp32");
  EXPECT_EQ(MemoryKey(Params("yolov8s.pt").Fraction(0.6), 1), "yolov8s/detect/f600/i640/fp32");
}

// --- the formula -------------------------------------------------------------

TEST(MemoryFormula, MatchesPublishedV8FiguresAtFp32Batch32Imgsz640) {
  // Ultralytics' figures: v8n ~4 GB, v8s ~6 GB, v8l ~12 GB, v8x ~18 GB.
  const std::vector<std::pair<std::string, MiB>> published = {{"yolov8n.pt", GiB(4)},
                                                              {"yolov8s.pt", GiB(6)},
                                                              {"yolov8l.pt", GiB(12)},
                                                              {"yolov8x.pt", GiB(18)}};
  for (const auto& [model, mib] : published) {
    SCOPED_TRACE(model);
    const MiB estimate = Formula(Params(model));
    EXPECT_GE(estimate, mib * 9 / 10);
    EXPECT_LE(estimate, mib * 11 / 10);
  }
  // v8m lies between its neighbours.
  EXPECT_GT(Formula(Params("yolov8m.pt")), Formula(Params("yolov8s.pt")));
  EXPECT_LT(Formula(Params("yolov8m.pt")), Formula(Params("yolov8l.pt")));
}

TEST(MemoryFormula, RoundsUpToMultiplesOf256Mib) {
  for (YoloSize size : kSizes) {
    for (int batch : {1, 3, 7, 16, 33}) {
      const MiB estimate = Formula(Params(YoloFamily::kV11, size).Batch(batch).Imgsz(416).Amp());
      EXPECT_EQ(estimate % 256, 0) << estimate;
      EXPECT_GT(estimate, 0);
    }
  }
}

TEST(MemoryFormula, GrowsWithBatch) {
  for (YoloSize size : kSizes) {
    MiB previous = 0;
    for (int batch : {1, 2, 4, 8, 16, 32, 64, 128}) {
      const MiB estimate = Formula(Params(YoloFamily::kV8, size).Batch(batch));
      EXPECT_GE(estimate, previous) << "batch " << batch;
      previous = estimate;
    }
    EXPECT_GT(Formula(Params(YoloFamily::kV8, size).Batch(64)),
              Formula(Params(YoloFamily::kV8, size).Batch(32)));
  }
}

TEST(MemoryFormula, GrowsWithImageSize) {
  for (YoloSize size : kSizes) {
    MiB previous = 0;
    for (int imgsz : {32, 320, 480, 640, 960, 1280}) {
      const MiB estimate = Formula(Params(YoloFamily::kV8, size).Imgsz(imgsz));
      EXPECT_GE(estimate, previous) << "imgsz " << imgsz;
      previous = estimate;
    }
    EXPECT_GT(Formula(Params(YoloFamily::kV8, size).Imgsz(1280)),
              Formula(Params(YoloFamily::kV8, size).Imgsz(640)));
  }
}

TEST(MemoryFormula, CountsPixelsPerGpuBatchSoBatchTimesImgszSquaredIsWhatMatters) {
  // 8 images of 1280x1280 hold as many pixels as 32 of 640x640.
  EXPECT_EQ(Formula(Params("yolov8s.pt").Batch(8).Imgsz(1280)), Formula(Params("yolov8s.pt")));
}

TEST(MemoryFormula, GrowsWithModelSizeInEveryFamilyTaskAndPrecision) {
  for (YoloFamily family : kFamilies) {
    for (YoloTask task : kTasks) {
      for (bool amp : {false, true}) {
        for (std::size_t i = 1; i < kSizes.size(); ++i) {
          Params smaller(family, kSizes[i - 1], task), larger(family, kSizes[i], task);
          if (amp) {
            smaller.Amp();
            larger.Amp();
          }
          EXPECT_LT(Formula(smaller), Formula(larger)) << MemoryKey(larger, 1);
        }
      }
    }
  }
}

TEST(MemoryFormula, AmpNeedsLessThanFp32) {
  for (YoloFamily family : kFamilies) {
    for (YoloSize size : kSizes) {
      Params fp32(family, size);
      Params amp(family, size);
      amp.Amp();
      EXPECT_LT(Formula(amp), Formula(fp32)) << MemoryKey(fp32, 1);
    }
  }
}

TEST(MemoryFormula, SegmentationNeedsMoreAndClassificationMuchLessThanDetection) {
  for (YoloSize size : kSizes) {
    const MiB detect = Formula(Params(YoloFamily::kV8, size, YoloTask::kDetect));
    EXPECT_GT(Formula(Params(YoloFamily::kV8, size, YoloTask::kSegment)), detect);
    EXPECT_LT(Formula(Params(YoloFamily::kV8, size, YoloTask::kClassify)), detect * 3 / 4);
    for (YoloTask task : {YoloTask::kPose, YoloTask::kObb}) {
      const MiB estimate = Formula(Params(YoloFamily::kV8, size, task));
      EXPECT_GE(estimate, detect);
      EXPECT_LE(estimate, detect * 115 / 100);
    }
  }
}

TEST(MemoryFormula, MultiGpuSplitsTheBatch) {
  EXPECT_EQ(Formula(Params("yolov8l.pt").Batch(64), 2), Formula(Params("yolov8l.pt").Batch(32)));
  EXPECT_EQ(Formula(Params("yolov8l.pt").Batch(64), 4), Formula(Params("yolov8l.pt").Batch(16)));
  // An odd batch rounds up: 33 on 2 GPUs is 17 per GPU.
  EXPECT_EQ(Formula(Params("yolov8l.pt").Batch(33), 2), Formula(Params("yolov8l.pt").Batch(17)));
  EXPECT_LT(Formula(Params("yolov8l.pt").Batch(64), 4), Formula(Params("yolov8l.pt").Batch(64)));
}

TEST(MemoryFormula, IsZeroForAutoBatchAndFractionalBatch) {
  EXPECT_EQ(Formula(Params("yolov8s.pt").Batch(-1)), 0);
  EXPECT_EQ(Formula(Params("yolov8s.pt").Fraction(0.5)), 0);
}

// --- the estimator -----------------------------------------------------------

TEST(MemoryEstimator, UsesTheFormulaAndSaysSo) {
  const MemoryEstimator estimator;
  const MemoryNeed need = estimator.Estimate(Params("yolov8s.pt"), 1);
  EXPECT_EQ(need.per_gpu_mib, 6144);
  EXPECT_EQ(need.fraction_permille, 0);
  EXPECT_FALSE(need.exclusive);
  EXPECT_EQ(need.basis, "formula: yolov8s detect, batch 32/GPU, imgsz 640, fp32 -> 6144 MiB");
}

TEST(MemoryEstimator, AutoBatchTakesTheWholeCard) {
  const MemoryEstimator estimator;
  const MemoryNeed need = estimator.Estimate(Params("yolov8s.pt").Batch(-1), 1);
  EXPECT_TRUE(need.exclusive);
  EXPECT_EQ(need.per_gpu_mib, 0);
  EXPECT_EQ(need.fraction_permille, 0);
  EXPECT_NE(need.basis.find("AutoBatch"), std::string::npos) << need.basis;
}

TEST(MemoryEstimator, FractionalBatchReservesThatShareOfTheCard) {
  const MemoryEstimator estimator;
  const MemoryNeed need = estimator.Estimate(Params("yolov8s.pt").Fraction(0.6), 1);
  EXPECT_FALSE(need.exclusive);
  EXPECT_EQ(need.per_gpu_mib, 0);
  EXPECT_EQ(need.fraction_permille, 600);
  EXPECT_EQ(estimator.Estimate(Params("yolov8s.pt").Fraction(0.3337), 1).fraction_permille, 334);
  EXPECT_EQ(estimator.Estimate(Params("yolov8s.pt").Fraction(0.0001), 1).fraction_permille, 1);
}

TEST(MemoryEstimator, ObservedPeakWinsWithTenPercentHeadroom) {
  MemoryEstimator estimator;
  estimator.ObservePeak(Params("yolov8s.pt"), 1, 5900);
  const MemoryNeed need = estimator.Estimate(Params("yolov8s.pt"), 1);
  EXPECT_EQ(need.per_gpu_mib, 6656);  // ceil(5900 * 1.1) = 6490, rounded up to 256
  EXPECT_EQ(need.basis.rfind("observed peak 5900 MiB + 10% headroom", 0), 0u) << need.basis;
}

TEST(MemoryEstimator, ObservedPeakMayLowerTheEstimate) {
  MemoryEstimator estimator;
  estimator.ObservePeak(Params("yolov8x.pt"), 1, 9000);
  EXPECT_EQ(estimator.Estimate(Params("yolov8x.pt"), 1).per_gpu_mib, 9984);  // 9900 -> 9984
}

TEST(MemoryEstimator, APeakObservedByKeyIsThePeakOfThoseParameters) {
  MemoryEstimator estimator;
  estimator.ObservePeak(MemoryKey(Params("yolov8s.pt"), 1), 5900);
  estimator.ObservePeak("", 100);
  estimator.ObservePeak(MemoryKey(Params("yolov8s.pt"), 1), -1);
  EXPECT_EQ(estimator.Estimate(Params("yolov8s.pt"), 1).per_gpu_mib, 6656);
  EXPECT_EQ(estimator.observed_peaks().size(), 1u);
}

TEST(MemoryEstimator, LargestObservedPeakWins) {
  MemoryEstimator estimator;
  for (MiB peak : {5000, 5900, 5500}) estimator.ObservePeak(Params("yolov8s.pt"), 1, peak);
  EXPECT_EQ(estimator.Estimate(Params("yolov8s.pt"), 1).per_gpu_mib, 6656);
}

TEST(MemoryEstimator, ObservedPeakAppliesOnlyToItsKey) {
  MemoryEstimator estimator;
  estimator.ObservePeak(Params("yolov8s.pt"), 1, 3000);
  // Same per-GPU batch on two GPUs: same key.
  EXPECT_EQ(estimator.Estimate(Params("yolov8s.pt").Batch(64), 2).per_gpu_mib, 3328);
  // Any other batch, image size, precision, task or model: the formula.
  for (const UltralyticsParams& other : std::vector<UltralyticsParams>{
           Params("yolov8s.pt").Batch(16), Params("yolov8s.pt").Imgsz(320),
           Params("yolov8s.pt").Amp(), Params("yolov8s-seg.pt"), Params("yolo11s.pt")}) {
    EXPECT_EQ(estimator.Estimate(other, 1).per_gpu_mib, Formula(other)) << MemoryKey(other, 1);
  }
}

TEST(MemoryEstimator, IgnoresNonPositivePeaks) {
  MemoryEstimator estimator;
  estimator.ObservePeak(Params("yolov8s.pt"), 1, 0);
  estimator.ObservePeak(Params("yolov8s.pt"), 1, -5);
  EXPECT_EQ(estimator.Estimate(Params("yolov8s.pt"), 1).per_gpu_mib, 6144);
}

TEST(MemoryEstimatorDeathTest, RequiresAtLeastOneGpu) {
  const MemoryEstimator estimator;
  EXPECT_DEATH(estimator.Estimate(Params("yolov8s.pt"), 0), "gpus must be >= 1");
}

TEST(ResolveMemoryNeed, AnExplicitMemoryPerGpuWinsOverTheEstimate) {
  MemoryEstimator estimator;
  const UltralyticsParams p = Params("yolov8x.pt");
  auto need = ResolveMemoryNeed(MiB{5000}, &p, 1, estimator);
  ASSERT_TRUE(need.has_value());
  EXPECT_EQ(need->per_gpu_mib, 5000);
  EXPECT_EQ(need->basis, "memory_per_gpu given in the job: 5000 MiB");
}

TEST(ResolveMemoryNeed, UltralyticsJobsAreEstimated) {
  MemoryEstimator estimator;
  const UltralyticsParams p = Params("yolov8s.pt");
  auto need = ResolveMemoryNeed(std::nullopt, &p, 1, estimator);
  ASSERT_TRUE(need.has_value());
  EXPECT_EQ(need->per_gpu_mib, estimator.Estimate(p, 1).per_gpu_mib);
}

TEST(ResolveMemoryNeed, UnknownWithoutEitherIsNotGuessed) {
  MemoryEstimator estimator;
  EXPECT_FALSE(ResolveMemoryNeed(std::nullopt, nullptr, 1, estimator).has_value());
}

}  // namespace
}  // namespace gpusched
