// The JSON Lines trace format, as a specification: what each field becomes,
// the defaults, and the error each mistake produces.
#include "sim/trace_jsonl.h"

#include <string>

#include <gtest/gtest.h>

namespace gpusched::sim {
namespace {

// Parses text expected to be valid; fails the test with the error otherwise.
std::vector<TraceJob> ParseOk(std::string_view text) {
  auto jobs = ParseTraceJsonl(text);
  EXPECT_TRUE(jobs.has_value()) << jobs.error().message;
  return jobs ? *jobs : std::vector<TraceJob>{};
}

// The error message for text expected to be invalid.
std::string ErrorOf(std::string_view text) {
  auto jobs = ParseTraceJsonl(text);
  EXPECT_FALSE(jobs.has_value()) << "parsed " << text;
  return jobs ? std::string() : jobs.error().message;
}

constexpr const char* kMinimal = R"({"id": "a", "memory_mib": 4096, "duration_s": 600})";

TEST(TraceJsonl, FullLineSetsEveryField) {
  auto jobs =
      ParseOk(R"({"id": "j-1", "submit_s": 30, "tenant": "vision", "class": "high", "gpus": 2,)"
              R"( "memory_mib": 12000, "model": "yolov8m-seg.pt", "batch": 32, "imgsz": 1024,)"
              R"( "precision": "fp32", "gpu_types": ["A100-80", "T4"], "epochs": 50,)"
              R"( "epoch_s": 120.5, "save_period": 5, "preemptible": false})");
  ASSERT_EQ(jobs.size(), 1u);
  const TraceJob& j = jobs[0];
  EXPECT_EQ(j.id, "j-1");
  EXPECT_EQ(j.submit_s, 30);
  EXPECT_EQ(j.tenant, "vision");
  EXPECT_EQ(j.class_name, "high");
  EXPECT_EQ(j.gpus, 2);
  EXPECT_EQ(j.memory_mib, MiB{12000});
  ASSERT_TRUE(j.model.has_value());
  EXPECT_EQ(j.model->size, YoloSize::kM);
  EXPECT_EQ(j.model->task, YoloTask::kSegment);
  EXPECT_EQ(j.gpu_types, (std::vector<std::string>{"A100-80", "T4"}));
  EXPECT_EQ(j.epochs, 50);
  EXPECT_DOUBLE_EQ(j.epoch_s, 120.5);
  EXPECT_DOUBLE_EQ(j.duration_s, 0);
  EXPECT_EQ(j.save_period, 5);
  EXPECT_FALSE(j.preemptible);
}

TEST(TraceJsonl, MinimalLineTakesDefaults) {
  auto jobs = ParseOk(kMinimal);
  ASSERT_EQ(jobs.size(), 1u);
  const TraceJob& j = jobs[0];
  EXPECT_EQ(j.submit_s, 0);
  EXPECT_EQ(j.tenant, "default");
  EXPECT_EQ(j.class_name, "");
  EXPECT_EQ(j.gpus, 1);
  EXPECT_EQ(j.memory_mib, MiB{4096});
  EXPECT_FALSE(j.model.has_value());
  EXPECT_TRUE(j.gpu_types.empty());
  EXPECT_EQ(j.epochs, 0);
  EXPECT_DOUBLE_EQ(j.duration_s, 600);
  EXPECT_EQ(j.save_period, 1);
  EXPECT_TRUE(j.preemptible);
}

TEST(TraceJsonl, IntegerIdsBecomeStrings) {
  auto jobs = ParseOk(R"({"id": 12, "memory_mib": 1, "duration_s": 1})");
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, "12");
}

TEST(TraceJsonl, CommentsAndBlankLinesAreSkipped) {
  auto jobs = ParseOk(std::string("# header\n\n   \n  # indented comment\n") + kMinimal + "\r\n\n");
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, "a");
  EXPECT_TRUE(ParseOk("").empty());
}

TEST(TraceJsonl, ModelFieldsProduceUltralyticsParams) {
  auto jobs =
      ParseOk(R"({"id": 1, "model": "yolo11s.pt", "batch": 64, "imgsz": 320, "precision": "fp32",)"
              R"( "duration_s": 60})"
              "\n"
              R"({"id": 2, "model": "yolov8n.pt", "batch": 0.5, "duration_s": 60})"
              "\n"
              R"({"id": 3, "model": "yolov8x.pt", "batch": -1, "duration_s": 60})");
  ASSERT_EQ(jobs.size(), 3u);
  ASSERT_TRUE(jobs[0].model.has_value());
  const UltralyticsParams& p = *jobs[0].model;
  EXPECT_EQ(p.family, YoloFamily::kV11);
  EXPECT_EQ(p.size, YoloSize::kS);
  EXPECT_EQ(p.task, YoloTask::kDetect);
  EXPECT_EQ(p.batch, 64);
  EXPECT_EQ(p.imgsz, 320);
  EXPECT_EQ(p.precision, Precision::kFp32);
  EXPECT_FALSE(jobs[0].memory_mib.has_value()) << "estimated later, not here";
  EXPECT_DOUBLE_EQ(jobs[1].model->batch_fraction, 0.5);
  EXPECT_EQ(jobs[1].model->precision, Precision::kAmp) << "Ultralytics' default";
  EXPECT_EQ(jobs[2].model->batch, -1);
}

TEST(TraceJsonl, SortsBySubmitTimeKeepingInputOrderOnTies) {
  auto jobs = ParseOk(R"({"id": "late", "submit_s": 20, "memory_mib": 1, "duration_s": 1})"
                      "\n"
                      R"({"id": "tie-1", "submit_s": 10, "memory_mib": 1, "duration_s": 1})"
                      "\n"
                      R"({"id": "first", "submit_s": 0, "memory_mib": 1, "duration_s": 1})"
                      "\n"
                      R"({"id": "tie-2", "submit_s": 10, "memory_mib": 1, "duration_s": 1})");
  ASSERT_EQ(jobs.size(), 4u);
  EXPECT_EQ(jobs[0].id, "first");
  EXPECT_EQ(jobs[1].id, "tie-1");
  EXPECT_EQ(jobs[2].id, "tie-2");
  EXPECT_EQ(jobs[3].id, "late");
}

struct BadLine {
  std::string name;
  std::string line;
  std::string error;
};

class TraceJsonlErrors : public ::testing::TestWithParam<BadLine> {};

TEST_P(TraceJsonlErrors, NameTheLineAndTheField) {
  // Two good lines and a comment first, so the bad one is line 4.
  const std::string text = std::string(kMinimal) + "\n# c\n" +
                           R"({"id": "b", "memory_mib": 1, "duration_s": 1})" + "\n" +
                           GetParam().line + "\n";
  EXPECT_EQ(ErrorOf(text), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    TraceJsonl, TraceJsonlErrors,
    ::testing::Values(
        BadLine{"NegativeGpus", R"({"id": "c", "gpus": -2, "memory_mib": 1, "duration_s": 1})",
                R"(line 4: "gpus": must be an integer >= 1, got -2)"},
        BadLine{"FractionalGpus", R"({"id": "c", "gpus": 1.5, "memory_mib": 1, "duration_s": 1})",
                R"(line 4: "gpus": must be an integer >= 1, got 1.5)"},
        BadLine{"UnknownField", R"({"id": "c", "gpuz": 2, "memory_mib": 1, "duration_s": 1})",
                R"(line 4: unknown field "gpuz")"},
        BadLine{"DuplicateId", R"({"id": "a", "memory_mib": 1, "duration_s": 1})",
                R"(line 4: duplicate id "a")"},
        BadLine{"NoMemoryNorModel", R"({"id": "c", "duration_s": 1})",
                "line 4: needs memory_mib, model or \"exclusive\": true"},
        BadLine{"NoDuration", R"({"id": "c", "memory_mib": 1, "epochs": 3})",
                "line 4: needs epochs and epoch_s, or duration_s"},
        BadLine{"BothDurations",
                R"({"id": "c", "memory_mib": 1, "epochs": 3, "epoch_s": 2, "duration_s": 6})",
                "line 4: give epochs and epoch_s, or duration_s, not both"},
        BadLine{"NoId", R"({"memory_mib": 1, "duration_s": 1})", "line 4: needs id"},
        BadLine{"BatchWithoutModel", R"({"id": "c", "memory_mib": 1, "batch": 8, "duration_s": 1})",
                R"(line 4: "batch": only valid with "model")"},
        BadLine{"BadPrecision",
                R"({"id": "c", "model": "yolov8s.pt", "precision": "fp16", "duration_s": 1})",
                R"(line 4: "precision": must be "fp32" or "amp", got "fp16")"},
        BadLine{"NegativeSubmit",
                R"({"id": "c", "submit_s": -1, "memory_mib": 1, "duration_s": 1})",
                R"(line 4: "submit_s": must be an integer >= 0, got -1)"},
        BadLine{"PreemptibleNotBool",
                R"({"id": "c", "preemptible": "no", "memory_mib": 1, "duration_s": 1})",
                R"(line 4: "preemptible": must be true or false, got "no")"},
        BadLine{"NotAnObject", R"([1, 2])", "line 4: must be a JSON object, got [1,2]"}),
    [](const ::testing::TestParamInfo<BadLine>& param_info) { return param_info.param.name; });

TEST(TraceJsonl, InvalidJsonNamesTheLine) {
  const std::string error = ErrorOf(std::string(kMinimal) + "\n{\"id\": \"b\",\n");
  EXPECT_EQ(error.rfind("line 2: not valid JSON: ", 0), 0u) << error;
}

TEST(TraceJsonl, UnreadableModelNamesTheField) {
  const std::string error = ErrorOf(R"({"id": 1, "model": "resnet50.pt", "duration_s": 1})");
  EXPECT_EQ(error.rfind("line 1: \"model\": ", 0), 0u) << error;
}

TEST(TraceJsonl, OneBadLineFailsTheWholeFileWithNoPartialList) {
  auto jobs = ParseTraceJsonl(std::string(kMinimal) + "\n" +
                              R"({"id": "b", "gpus": 0, "memory_mib": 1, "duration_s": 1})" + "\n" +
                              R"({"id": "c", "memory_mib": 1, "duration_s": 1})");
  ASSERT_FALSE(jobs.has_value());
  EXPECT_EQ(jobs.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(jobs.error().message, R"(line 2: "gpus": must be an integer >= 1, got 0)");
}

}  // namespace
}  // namespace gpusched::sim
