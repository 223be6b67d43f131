// The job spec as a specification: what a file becomes in both formats, the
// defaults, the canonical JSON round trip, and the limits.
#include "api/job_spec.h"

#include <string>

#include <gtest/gtest.h>

namespace gpusched::api {
namespace {

// Parses text expected to be valid; fails the test with the error otherwise.
JobSpec ParseOk(std::string_view text, SpecFormat format) {
  Result<JobSpec> spec = ParseJobSpec(text, format);
  EXPECT_TRUE(spec.has_value()) << spec.error().message << "\nin:\n" << text;
  return spec ? *spec : JobSpec{};
}

// The error message for text expected to be invalid.
std::string ErrorOf(std::string_view text, SpecFormat format) {
  Result<JobSpec> spec = ParseJobSpec(text, format);
  EXPECT_FALSE(spec.has_value()) << "accepted:\n" << text;
  if (spec) return "";
  EXPECT_EQ(spec.error().code, ErrorCode::kInvalidArgument);
  return spec.error().message;
}

constexpr std::string_view kReadmeYaml = R"(name: scratch-defect-v3
tenant: quality
class: critical
ultralytics:            # turned into a `yolo train ...` command by the agent
  model: yolov8s.pt
  data: scratches.yaml
  epochs: 50
  imgsz: 640
  batch: 32             # integer >= 1, -1 (AutoBatch) or a fraction in (0,1)
  precision: amp        # optional: amp (default) | fp32
  save_period: 5        # optional, epochs between checkpoints, >= 1
  args: {lr0: 0.01}     # optional extra yolo train arguments
gpus: 1
gpu_types: [T4, A10, A100-40]     # optional
)";

constexpr std::string_view kReadmeJson = R"({
  "name": "scratch-defect-v3", "tenant": "quality", "class": "critical",
  "ultralytics": {"model": "yolov8s.pt", "data": "scratches.yaml", "epochs": 50,
                  "imgsz": 640, "batch": 32, "precision": "amp", "save_period": 5,
                  "args": {"lr0": 0.01}},
  "gpus": 1, "gpu_types": ["T4", "A10", "A100-40"]
})";

JobSpec ReadmeSpec() {
  UltralyticsSpec u;
  u.model = "yolov8s.pt";
  u.data = "scratches.yaml";
  u.epochs = 50;
  u.imgsz = 640;
  u.batch = 32;
  u.precision = Precision::kAmp;
  u.save_period = 5;
  u.args = {{"lr0", ArgValue{0.01}}};
  JobSpec spec;
  spec.name = "scratch-defect-v3";
  spec.tenant = "quality";
  spec.class_name = "critical";
  spec.trainer = u;
  spec.gpus = 1;
  spec.gpu_types = {"T4", "A10", "A100-40"};
  return spec;
}

TEST(JobSpec, ReadmeExampleInYamlBecomesTheExpectedSpec) {
  EXPECT_EQ(ParseOk(kReadmeYaml, SpecFormat::kYaml), ReadmeSpec());
}

TEST(JobSpec, ReadmeExampleInJsonBecomesTheSameSpec) {
  EXPECT_EQ(ParseOk(kReadmeJson, SpecFormat::kJson), ReadmeSpec());
}

TEST(JobSpec, UltralyticsJobTakesEveryDefault) {
  const JobSpec spec =
      ParseOk("ultralytics: {model: yolov8n.pt, data: coco8.yaml, epochs: 3}", SpecFormat::kYaml);
  EXPECT_EQ(spec.name, std::nullopt);
  EXPECT_EQ(spec.tenant, std::nullopt);
  EXPECT_EQ(spec.class_name, std::nullopt);
  EXPECT_EQ(spec.gpus, 1);
  EXPECT_TRUE(spec.gpu_types.empty());
  EXPECT_EQ(spec.memory_mib, std::nullopt);
  EXPECT_FALSE(spec.exclusive);
  EXPECT_TRUE(spec.preemptible);
  EXPECT_EQ(spec.image, std::nullopt);
  EXPECT_EQ(spec.dataset, std::nullopt);
  EXPECT_TRUE(spec.env.empty());
  EXPECT_EQ(spec.max_retries, 0);
  EXPECT_EQ(spec.estimate, std::nullopt);
  const auto& u = std::get<UltralyticsSpec>(spec.trainer);
  EXPECT_EQ(u.imgsz, 640);
  EXPECT_EQ(u.batch, 16);
  EXPECT_EQ(u.batch_fraction, 0);
  EXPECT_EQ(u.precision, Precision::kAmp);
  EXPECT_EQ(u.save_period, std::nullopt);
  EXPECT_TRUE(u.args.empty());
}

TEST(JobSpec, CommandJobReadsEveryField) {
  const JobSpec spec = ParseOk(R"(
name: research.exp-17
tenant: research
class: low
command: [python, train.py, "--epochs", "50"]
epochs: 50
estimate: {epoch_s: 120.5}
gpus: 2
memory_mib: 12000
exclusive: true
preemptible: false
image: registry.example.com/train:1.4
dataset: imagenet-1k
env: {PYTHONUNBUFFERED: "1", EMPTY: ""}
max_retries: 10
)",
                               SpecFormat::kYaml);
  const auto& c = std::get<CommandSpec>(spec.trainer);
  EXPECT_EQ(c.argv, (std::vector<std::string>{"python", "train.py", "--epochs", "50"}));
  EXPECT_EQ(c.epochs, 50);
  EXPECT_EQ(spec.estimate, (RuntimeEstimate{120.5, 0}));
  EXPECT_EQ(spec.gpus, 2);
  EXPECT_EQ(spec.memory_mib, MiB{12000});
  EXPECT_TRUE(spec.exclusive);
  EXPECT_FALSE(spec.preemptible);
  EXPECT_EQ(spec.image, "registry.example.com/train:1.4");
  EXPECT_EQ(spec.dataset, "imagenet-1k");
  EXPECT_EQ(spec.env,
            (std::map<std::string, std::string>{{"PYTHONUNBUFFERED", "1"}, {"EMPTY", ""}}));
  EXPECT_EQ(spec.max_retries, 10);
}

TEST(JobSpec, CommandJobNeedsNoEpochsAndTakesADurationEstimate) {
  const JobSpec spec =
      ParseOk(R"({"command": ["./run.sh"], "estimate": {"duration_s": 7200}})", SpecFormat::kJson);
  EXPECT_EQ(std::get<CommandSpec>(spec.trainer).epochs, std::nullopt);
  EXPECT_EQ(spec.estimate, (RuntimeEstimate{0, 7200}));
}

TEST(JobSpec, BatchTakesAutoBatchAndFractions) {
  auto batch_of = [](std::string_view value) {
    const JobSpec spec = ParseOk(
        "ultralytics: {model: yolov8n.pt, data: d.yaml, epochs: 1, batch: " + std::string(value) +
            "}",
        SpecFormat::kYaml);
    const auto& u = std::get<UltralyticsSpec>(spec.trainer);
    return std::pair{u.batch, u.batch_fraction};
  };
  EXPECT_EQ(batch_of("-1"), (std::pair{-1, 0.0}));
  EXPECT_EQ(batch_of("0.7"), (std::pair{0, 0.7}));
  EXPECT_EQ(batch_of(".5"), (std::pair{0, 0.5}));
  EXPECT_EQ(batch_of("64"), (std::pair{64, 0.0}));
}

TEST(JobSpec, ExtraArgumentsKeepTheirScalarTypes) {
  const JobSpec spec = ParseOk(R"(
ultralytics:
  model: yolo11n-seg.pt
  data: coco8-seg.yaml
  epochs: 3
  args: {cos_lr: true, optimizer: AdamW, seed: 0, mosaic: 0.5, suffix: "", close_mosaic: "10"}
)",
                               SpecFormat::kYaml);
  const auto& args = std::get<UltralyticsSpec>(spec.trainer).args;
  EXPECT_EQ(args.at("cos_lr"), ArgValue{true});
  EXPECT_EQ(args.at("optimizer"), ArgValue{std::string("AdamW")});
  EXPECT_EQ(args.at("seed"), ArgValue{std::int64_t{0}});
  EXPECT_EQ(args.at("mosaic"), ArgValue{0.5});
  EXPECT_EQ(args.at("suffix"), ArgValue{std::string()});
  EXPECT_EQ(args.at("close_mosaic"), ArgValue{std::string("10")});
}

TEST(JobSpec, CanonicalJsonHasAFixedKeyOrderAndWritesDefaults) {
  EXPECT_EQ(JobSpecToJson(ReadmeSpec()),
            R"({"name":"scratch-defect-v3","tenant":"quality","class":"critical",)"
            R"("ultralytics":{"model":"yolov8s.pt","data":"scratches.yaml","epochs":50,)"
            R"("imgsz":640,"batch":32,"precision":"amp","save_period":5,"args":{"lr0":0.01}},)"
            R"("gpus":1,"gpu_types":["T4","A10","A100-40"],"exclusive":false,)"
            R"("preemptible":true,"env":{},"max_retries":0})");
}

TEST(JobSpec, CanonicalJsonReadsBackAsTheSameSpec) {
  const std::string_view specs[] = {
      kReadmeYaml,
      "ultralytics: {model: yolov5x6u.pt, data: d.yaml, epochs: 100000, batch: 0.25, "
      "imgsz: 8192, precision: fp32, args: {a: 1e-05, b: -0.0, c: 100.0, d: \"\\t\\u00e9\"}}",
      "command: [\"python\", \"-c\", \"print('\\\\n')\"]\nepochs: 7\nestimate: {epoch_s: 1e-3}\n"
      "gpus: 1024\nmemory_mib: 9223372036854775807\nenv: {A_1: \"x\\ny\"}\nimage: i\n"
      "dataset: d\nexclusive: true\npreemptible: false\nmax_retries: 3\nname: a.b_c-d",
  };
  for (std::string_view text : specs) {
    const JobSpec spec = ParseOk(text, SpecFormat::kYaml);
    const std::string json = JobSpecToJson(spec);
    EXPECT_EQ(ParseOk(json, SpecFormat::kJson), spec) << json;
    EXPECT_EQ(ParseOk(json, SpecFormat::kYaml), spec) << json;  // JSON is YAML too
  }
}

TEST(JobSpec, UltralyticsParamsComeFromTheModelAndTheTrainingFields) {
  const JobSpec spec = ParseOk(
      "ultralytics: {model: yolov8m-seg.pt, data: d.yaml, epochs: 1, batch: 0.5, imgsz: 1024, "
      "precision: fp32}",
      SpecFormat::kYaml);
  const UltralyticsParams p = ToUltralyticsParams(std::get<UltralyticsSpec>(spec.trainer));
  EXPECT_EQ(p.family, YoloFamily::kV8);
  EXPECT_EQ(p.size, YoloSize::kM);
  EXPECT_EQ(p.task, YoloTask::kSegment);
  EXPECT_EQ(p.batch_fraction, 0.5);
  EXPECT_EQ(p.imgsz, 1024);
  EXPECT_EQ(p.precision, Precision::kFp32);
}

TEST(JobSpec, DocumentAtTheSizeLimitIsReadAndOneByteMoreIsRefused) {
  std::string text = "command: [a]\n";
  text.resize(kMaxSpecBytes, '#');  // one long comment line after the field
  EXPECT_EQ(std::get<CommandSpec>(ParseOk(text, SpecFormat::kYaml).trainer).argv,
            std::vector<std::string>{"a"});
  text += "#";
  EXPECT_EQ(ErrorOf(text, SpecFormat::kYaml),
            "the job spec is 1048577 bytes; the limit is 1048576");
  EXPECT_EQ(ErrorOf(text, SpecFormat::kJson),
            "the job spec is 1048577 bytes; the limit is 1048576");
}

TEST(JobSpec, LargeDocumentWhoseCanonicalJsonWouldExceedTheLimitIsRefused) {
  // 200,000 raw control bytes become 6 bytes each ("\u0001") in canonical JSON.
  std::string text = "command: [\"" + std::string(200'000, '\x01') + "\"]";
  EXPECT_EQ(ErrorOf(text, SpecFormat::kYaml),
            "the job spec takes 1200102 bytes as canonical JSON; the limit is 1048576");
}

std::string NestedLists(int depth) {
  return "command: " + std::string(static_cast<std::size_t>(depth), '[') +
         std::string(static_cast<std::size_t>(depth), ']');
}

TEST(JobSpec, DeepNestingIsRefusedWithoutExhaustingTheStack) {
  const std::string yaml = NestedLists(10'000);
  EXPECT_EQ(ErrorOf(yaml, SpecFormat::kYaml), "the job spec nests deeper than 64 levels");
  const std::string json =
      "{\"command\": " + std::string(10'000, '[') + std::string(10'000, ']') + "}";
  EXPECT_EQ(ErrorOf(json, SpecFormat::kJson), "the job spec nests deeper than 64 levels");
  std::string block;  // block style: each "-" one column deeper than the last
  for (int i = 0; i < 1'000; ++i) block += std::string(static_cast<std::size_t>(i), ' ') + "-\n";
  EXPECT_EQ(ErrorOf(block, SpecFormat::kYaml), "the job spec nests deeper than 64 levels");
  // A megabyte of unclosed brackets.
  EXPECT_FALSE(ParseJobSpec(std::string(kMaxSpecBytes, '['), SpecFormat::kYaml).has_value());
  EXPECT_FALSE(ParseJobSpec(std::string(kMaxSpecBytes, '['), SpecFormat::kJson).has_value());
}

TEST(JobSpec, NestingUpToTheLimitIsReadAndReportedAsAWrongType) {
  // The root mapping is level 1, so 63 lists fit.
  EXPECT_EQ(ErrorOf(NestedLists(63), SpecFormat::kYaml),
            "command[0]: must be a non-empty string, got a list");
  EXPECT_EQ(ErrorOf(NestedLists(64), SpecFormat::kYaml),
            "the job spec nests deeper than 64 levels");
}

}  // namespace
}  // namespace gpusched::api
