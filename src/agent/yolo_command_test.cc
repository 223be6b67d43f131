// The `yolo train` command line as a specification: what a job spec and a
// run's placement become, one argv element per argument.
#include "agent/yolo_command.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gpusched::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

api::UltralyticsSpec Spec() {
  api::UltralyticsSpec spec;
  spec.model = "yolov8s.pt";
  spec.data = "scratches.yaml";
  spec.epochs = 50;
  spec.imgsz = 640;
  spec.batch = 32;
  return spec;
}

YoloRun PlacedRun() { return YoloRun{{"yolo"}, {0, 2}, "/jobs/job-7", "scratch-defect-v3", 5}; }

// The arguments after the fixed ones (model ... amp).
std::vector<std::string> Extras(const std::vector<std::string>& argv) {
  constexpr std::size_t kFixed = 13;  // "yolo", "train" and 11 key=value
  return {argv.begin() + kFixed, argv.end()};
}

TEST(YoloCommand, TrainNamesEveryFieldThePlacementAndTheRunFolder) {
  EXPECT_THAT(
      BuildYoloTrain(Spec(), PlacedRun()),
      ElementsAre("yolo", "train", "model=yolov8s.pt", "data=scratches.yaml", "epochs=50",
                  "imgsz=640", "batch=32", "device=0,2", "save_period=5", "project=/jobs/job-7",
                  "name=scratch-defect-v3", "exist_ok=True", "amp=True"));
}

TEST(YoloCommand, ProgramPrefixComesFirst) {
  YoloRun run = PlacedRun();
  run.yolo = {"/opt/gpusched/bin/gpusched", "fake-yolo"};
  const std::vector<std::string> argv = BuildYoloTrain(Spec(), run);
  ASSERT_GE(argv.size(), 3u);
  EXPECT_EQ(argv[0], "/opt/gpusched/bin/gpusched");
  EXPECT_EQ(argv[1], "fake-yolo");
  EXPECT_EQ(argv[2], "train");
}

TEST(YoloCommand, DeviceListsThePhysicalIndicesInTheGivenOrder) {
  YoloRun run = PlacedRun();
  run.devices = {3};
  EXPECT_THAT(BuildYoloTrain(Spec(), run), ::testing::Contains("device=3"));
  run.devices = {5, 1, 7};
  EXPECT_THAT(BuildYoloTrain(Spec(), run), ::testing::Contains("device=5,1,7"));
}

TEST(YoloCommand, Fp32PrecisionTurnsAmpOff) {
  api::UltralyticsSpec spec = Spec();
  spec.precision = Precision::kFp32;
  EXPECT_EQ(BuildYoloTrain(spec, PlacedRun()).back(), "amp=False");
}

TEST(YoloCommand, AutoBatchIsMinusOne) {
  api::UltralyticsSpec spec = Spec();
  spec.batch = -1;
  EXPECT_THAT(BuildYoloTrain(spec, PlacedRun()), ::testing::Contains("batch=-1"));
}

TEST(YoloCommand, FractionalBatchIsTheFraction) {
  api::UltralyticsSpec spec = Spec();
  spec.batch = 0;
  spec.batch_fraction = 0.7;
  EXPECT_THAT(BuildYoloTrain(spec, PlacedRun()), ::testing::Contains("batch=0.7"));
}

TEST(YoloCommand, SavePeriodIsTheRunsNotTheSpecs) {
  api::UltralyticsSpec spec = Spec();
  spec.save_period = 10;  // the server bounds it by the class's period
  YoloRun run = PlacedRun();
  run.save_period = 3;
  EXPECT_THAT(BuildYoloTrain(spec, run), ::testing::Contains("save_period=3"));
}

TEST(YoloCommand, ExtraArgsFollowInKeyOrderWithPythonLiterals) {
  api::UltralyticsSpec spec = Spec();
  spec.args = {{"workers", api::ArgValue{std::int64_t{8}}},
               {"lr0", api::ArgValue{0.01}},
               {"cos_lr", api::ArgValue{true}},
               {"rect", api::ArgValue{false}},
               {"optimizer", api::ArgValue{std::string("AdamW")}},
               {"cache", api::ArgValue{std::string("ram disk")}}};
  EXPECT_THAT(Extras(BuildYoloTrain(spec, PlacedRun())),
              ElementsAre("cache=ram disk", "cos_lr=True", "lr0=0.01", "optimizer=AdamW",
                          "rect=False", "workers=8"));
}

TEST(YoloCommand, DoublesAreShortestRoundTripAndStayFloats) {
  EXPECT_EQ(FormatArgDouble(0.01), "0.01");
  EXPECT_EQ(FormatArgDouble(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatArgDouble(1e-5), "1e-05");
  EXPECT_EQ(FormatArgDouble(1.0), "1.0");
  EXPECT_EQ(FormatArgDouble(-3.0), "-3.0");
  EXPECT_EQ(FormatArgDouble(2.5e20), "2.5e+20");
  api::UltralyticsSpec spec = Spec();
  spec.args = {{"momentum", api::ArgValue{1.0}}};
  EXPECT_THAT(Extras(BuildYoloTrain(spec, PlacedRun())), ElementsAre("momentum=1.0"));
}

TEST(YoloCommand, ResumeNamesTheCheckpointOnly) {
  EXPECT_THAT(BuildYoloResume({"yolo"}, "/jobs/job-7/run/weights/last.pt"),
              ElementsAre("yolo", "train", "resume", "model=/jobs/job-7/run/weights/last.pt"));
}

TEST(YoloCommand, ResumeOnNewGpusNamesThem) {
  // Ultralytics would otherwise restore the lost run's device= from last.pt.
  EXPECT_THAT(BuildYoloResume({"gpusched", "fake-yolo"}, "/j/r/weights/last.pt", {1, 3}),
              ElementsAreArray({"gpusched", "fake-yolo", "train", "resume",
                                "model=/j/r/weights/last.pt", "device=1,3"}));
}

TEST(YoloCommand, RunFolderIsProjectSlashName) {
  EXPECT_EQ(RunFolder("/jobs/job-7", "run"), "/jobs/job-7/run");
  EXPECT_EQ(RunFolder("/jobs/job-7/", "run"), "/jobs/job-7/run");
  EXPECT_EQ(RunFolder("", "run"), "run");
}

TEST(YoloCommand, TrainAndRunFolderAgree) {
  const YoloRun run = PlacedRun();
  const std::vector<std::string> argv = BuildYoloTrain(Spec(), run);
  EXPECT_THAT(argv, ::testing::Contains("project=" + run.project));
  EXPECT_THAT(argv, ::testing::Contains("name=" + run.name));
  EXPECT_EQ(RunFolder(run.project, run.name), "/jobs/job-7/scratch-defect-v3");
}

}  // namespace
}  // namespace gpusched::agent
