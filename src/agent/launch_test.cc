// What the agent runs for one assignment, as a specification: the argv
// (`yolo train`, its resume form, a command, or `docker run` around them),
// the environment and the folders; and how the assignments route's body is
// read. Everything here is pure: no process is started.
#include "agent/launch.h"

#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gpusched::agent {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::StartsWith;

using Env = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kYoloSpec = R"(
name: scratch-defect-v3
ultralytics:
  model: yolov8s.pt
  data: scratches.yaml
  epochs: 50
  imgsz: 640
  batch: 32
gpus: 2
env:
  WANDB_MODE: offline
  OMP_NUM_THREADS: "4"
)";

constexpr const char* kCommandSpec = R"(
name: custom-trainer
command: ["python", "train.py", "--epochs", "20"]
env:
  SEED: "7"
)";

api::JobSpec ParseSpec(const std::string& yaml) {
  Result<api::JobSpec> spec = api::ParseJobSpec(yaml, api::SpecFormat::kYaml);
  EXPECT_TRUE(spec) << spec.error().message;
  return spec ? *spec : api::JobSpec{};
}

// An assignment as the server sends it: run 41 of job 7 on GPUs 2 and 3.
class AssignmentBuilder {
 public:
  AssignmentBuilder() {
    a_.id = 41;
    a_.job = 7;
    a_.gpus = {2, 3};
    a_.save_period = 5;
    a_.class_name = "standard";
    a_.spec = ParseSpec(kYoloSpec);
  }
  AssignmentBuilder& Spec(const std::string& yaml) {
    a_.spec = ParseSpec(yaml);
    return *this;
  }
  AssignmentBuilder& Gpus(std::vector<int> gpus) {
    a_.gpus = std::move(gpus);
    return *this;
  }
  AssignmentBuilder& ResumeEpoch(int epoch) {
    a_.resume_epoch = epoch;
    return *this;
  }
  AssignmentBuilder& SavePeriod(int epochs) {
    a_.save_period = epochs;
    return *this;
  }
  AssignmentBuilder& Image(std::string image) {
    a_.spec->image = std::move(image);
    return *this;
  }
  Assignment Build() const { return a_; }

 private:
  Assignment a_;
};

LaunchConfig HostConfig() { return LaunchConfig{{"yolo"}, "/ckpt", false}; }
LaunchConfig DockerConfig() { return LaunchConfig{{"yolo"}, "/ckpt", true}; }

constexpr bool kLastPt = true;
constexpr bool kNoLastPt = false;

// The value of `key` in `env`, or "<unset>".
std::string EnvValue(const Env& env, const std::string& key) {
  for (const auto& [k, v] : env) {
    if (k == key) return v;
  }
  return "<unset>";
}

// --- Folders and names -----------------------------------------------------

TEST(Launch, JobFolderIsJobIdUnderTheRoot) {
  EXPECT_EQ(JobFolder("/ckpt", 42), "/ckpt/job-42");
  EXPECT_EQ(JobFolder("/var/lib/gpusched/jobs", 7), "/var/lib/gpusched/jobs/job-7");
}

TEST(Launch, RunNameIsTheJobsNameElseJobId) {
  EXPECT_EQ(RunName(AssignmentBuilder().Build()), "scratch-defect-v3");
  Assignment unnamed = AssignmentBuilder().Build();
  unnamed.spec->name.reset();
  EXPECT_EQ(RunName(unnamed), "job-7");
  Assignment no_spec = AssignmentBuilder().Build();
  no_spec.spec.reset();
  EXPECT_EQ(RunName(no_spec), "job-7");
}

// --- Ultralytics ------------------------------------------------------------

TEST(Launch, UltralyticsTrainsOnTheAssignedPhysicalGpusInTheJobFolder) {
  const Launch l = BuildLaunch(AssignmentBuilder().Build(), HostConfig(), kNoLastPt);
  EXPECT_THAT(l.argv, ElementsAre("yolo", "train", "model=yolov8s.pt", "data=scratches.yaml",
                                  "epochs=50", "imgsz=640", "batch=32", "device=2,3",
                                  "save_period=5", "project=/ckpt/job-7", "name=scratch-defect-v3",
                                  "exist_ok=True", "amp=True"));
  EXPECT_EQ(l.job_folder, "/ckpt/job-7");
  EXPECT_EQ(l.run_folder, "/ckpt/job-7/scratch-defect-v3");
  EXPECT_FALSE(l.resumed);
  EXPECT_THAT(l.note, IsEmpty());
}

TEST(Launch, EnvironmentNamesTheGpusTheRunAndItsCheckpointsThenTheSpecEnv) {
  const Launch l = BuildLaunch(AssignmentBuilder().Build(), HostConfig(), kNoLastPt);
  EXPECT_THAT(
      l.env,
      ElementsAre(Pair("CUDA_VISIBLE_DEVICES", "2,3"), Pair("CUDA_DEVICE_ORDER", "PCI_BUS_ID"),
                  Pair("GPUSCHED_JOB_ID", "7"), Pair("GPUSCHED_RUN_ID", "41"),
                  Pair("GPUSCHED_CHECKPOINT_DIR", "/ckpt/job-7/scratch-defect-v3"),
                  Pair("GPUSCHED_RESUME_EPOCH", "0"), Pair("GPUSCHED_SAVE_PERIOD", "5"),
                  // The spec's env, in key order.
                  Pair("OMP_NUM_THREADS", "4"), Pair("WANDB_MODE", "offline")));
}

TEST(Launch, SavePeriodIsTheAssignmentsNotTheSpecs) {
  Assignment a = AssignmentBuilder().SavePeriod(3).Build();
  a.spec->trainer = [&] {
    api::UltralyticsSpec u = std::get<api::UltralyticsSpec>(a.spec->trainer);
    u.save_period = 10;  // the user's wish; the server already bounded it to 3
    return u;
  }();
  const Launch l = BuildLaunch(a, HostConfig(), kNoLastPt);
  EXPECT_THAT(l.argv, Contains("save_period=3"));
  EXPECT_THAT(l.argv, Not(Contains("save_period=10")));
  EXPECT_EQ(EnvValue(l.env, "GPUSCHED_SAVE_PERIOD"), "3");
}

TEST(Launch, YoloPrefixComesFirst) {
  const LaunchConfig config{{"/opt/gpusched/bin/gpusched", "fake-yolo"}, "/ckpt", false};
  const Launch l = BuildLaunch(AssignmentBuilder().Build(), config, kNoLastPt);
  ASSERT_GE(l.argv.size(), 3u);
  EXPECT_THAT(std::vector<std::string>(l.argv.begin(), l.argv.begin() + 3),
              ElementsAre("/opt/gpusched/bin/gpusched", "fake-yolo", "train"));
}

TEST(Launch, UnnamedJobRunsInAFolderNamedAfterItsId) {
  Assignment a = AssignmentBuilder().Build();
  a.spec->name.reset();
  const Launch l = BuildLaunch(a, HostConfig(), kNoLastPt);
  EXPECT_EQ(l.run_folder, "/ckpt/job-7/job-7");
  EXPECT_THAT(l.argv, Contains("name=job-7"));
}

TEST(Launch, ResumesFromLastPtWhenAskedAndItIsThere) {
  const Launch l = BuildLaunch(AssignmentBuilder().ResumeEpoch(12).Build(), HostConfig(), kLastPt);
  // device= again: last.pt remembers the GPUs of the run that saved it.
  EXPECT_THAT(l.argv,
              ElementsAre("yolo", "train", "resume",
                          "model=/ckpt/job-7/scratch-defect-v3/weights/last.pt", "device=2,3"));
  EXPECT_TRUE(l.resumed);
  EXPECT_THAT(l.note, IsEmpty());
  EXPECT_EQ(EnvValue(l.env, "GPUSCHED_RESUME_EPOCH"), "12");
  EXPECT_EQ(EnvValue(l.env, "GPUSCHED_CHECKPOINT_DIR"), "/ckpt/job-7/scratch-defect-v3");
}

TEST(Launch, StartsOverWithANoteWhenTheCheckpointIsMissing) {
  const Launch l =
      BuildLaunch(AssignmentBuilder().ResumeEpoch(12).Build(), HostConfig(), kNoLastPt);
  EXPECT_THAT(l.argv, ElementsAre("yolo", "train", "model=yolov8s.pt", ::testing::_, ::testing::_,
                                  ::testing::_, ::testing::_, "device=2,3", ::testing::_,
                                  ::testing::_, ::testing::_, ::testing::_, ::testing::_));
  EXPECT_THAT(l.argv, Not(Contains("resume")));
  EXPECT_FALSE(l.resumed);
  EXPECT_THAT(l.note, HasSubstr("/ckpt/job-7/scratch-defect-v3/weights/last.pt"));
  EXPECT_THAT(l.note, HasSubstr("starting over"));
  EXPECT_THAT(l.note, HasSubstr("epoch 12"));
  EXPECT_EQ(EnvValue(l.env, "GPUSCHED_RESUME_EPOCH"), "0") << "the trainer starts from scratch";
}

TEST(Launch, FirstRunIgnoresALastPtAlreadyThere) {
  const Launch l = BuildLaunch(AssignmentBuilder().ResumeEpoch(0).Build(), HostConfig(), kLastPt);
  EXPECT_THAT(l.argv, Not(Contains("resume")));
  EXPECT_THAT(l.argv, Contains("exist_ok=True"));
  EXPECT_FALSE(l.resumed);
  EXPECT_THAT(l.note, IsEmpty());
}

// --- Command jobs -----------------------------------------------------------

TEST(Launch, CommandJobRunsItsArgvWithTheJobFolderAsRunFolder) {
  const Launch l =
      BuildLaunch(AssignmentBuilder().Spec(kCommandSpec).Build(), HostConfig(), kNoLastPt);
  EXPECT_THAT(l.argv, ElementsAre("python", "train.py", "--epochs", "20"));
  EXPECT_EQ(l.job_folder, "/ckpt/job-7");
  EXPECT_EQ(l.run_folder, "/ckpt/job-7");
  EXPECT_FALSE(l.resumed);
  EXPECT_EQ(EnvValue(l.env, "GPUSCHED_CHECKPOINT_DIR"), "/ckpt/job-7");
  EXPECT_EQ(EnvValue(l.env, "CUDA_VISIBLE_DEVICES"), "2,3");
  EXPECT_EQ(EnvValue(l.env, "SEED"), "7");
}

TEST(Launch, CommandJobResumesWheneverTheServerSaysSo) {
  // The agent cannot know where a command keeps its checkpoints: it passes
  // the epoch on and the trainer decides.
  for (bool last_pt : {kLastPt, kNoLastPt}) {
    const Launch l = BuildLaunch(AssignmentBuilder().Spec(kCommandSpec).ResumeEpoch(4).Build(),
                                 HostConfig(), last_pt);
    EXPECT_THAT(l.argv, ElementsAre("python", "train.py", "--epochs", "20"));
    EXPECT_TRUE(l.resumed);
    EXPECT_EQ(EnvValue(l.env, "GPUSCHED_RESUME_EPOCH"), "4");
    EXPECT_THAT(l.note, IsEmpty());
  }
}

// --- Docker -----------------------------------------------------------------

TEST(Docker, JobWithAnImageRunsInAContainerThatSeesOnlyItsGpus) {
  const Launch l = BuildLaunch(AssignmentBuilder().Image("ultralytics/ultralytics:8.2").Build(),
                               DockerConfig(), kNoLastPt);
  EXPECT_THAT(
      l.argv,
      ElementsAre("docker", "run", "--rm", "--init", "--name", "gpusched-run-41", "--gpus",
                  "\"device=2,3\"", "--ipc=host",                                   //
                  "-e", "CUDA_DEVICE_ORDER=PCI_BUS_ID",                             //
                  "-e", "GPUSCHED_JOB_ID=7", "-e", "GPUSCHED_RUN_ID=41",            //
                  "-e", "GPUSCHED_CHECKPOINT_DIR=/ckpt/job-7/scratch-defect-v3",    //
                  "-e", "GPUSCHED_RESUME_EPOCH=0", "-e", "GPUSCHED_SAVE_PERIOD=5",  //
                  "-e", "OMP_NUM_THREADS=4", "-e", "WANDB_MODE=offline",            //
                  "-v", "/ckpt/job-7:/ckpt/job-7", "-w", "/ckpt/job-7",             //
                  "ultralytics/ultralytics:8.2",                                    //
                  // Inside, the two GPUs are 0 and 1.
                  "yolo", "train", "model=yolov8s.pt", "data=scratches.yaml", "epochs=50",
                  "imgsz=640", "batch=32", "device=0,1", "save_period=5", "project=/ckpt/job-7",
                  "name=scratch-defect-v3", "exist_ok=True", "amp=True"));
}

TEST(Docker, ContainerGetsNoCudaVisibleDevices) {
  const Launch l = BuildLaunch(AssignmentBuilder().Image("ultralytics/ultralytics:8.2").Build(),
                               DockerConfig(), kNoLastPt);
  for (const std::string& arg : l.argv) EXPECT_THAT(arg, Not(StartsWith("CUDA_VISIBLE_DEVICES")));
}

TEST(Docker, ResumeInsideAContainerRenumbersTheDevices) {
  const Launch l = BuildLaunch(
      AssignmentBuilder().Image("ultralytics/ultralytics:8.2").Gpus({5}).ResumeEpoch(9).Build(),
      DockerConfig(), kLastPt);
  EXPECT_TRUE(l.resumed);
  EXPECT_THAT(l.argv, Contains("\"device=5\""));
  const std::vector<std::string> inner(l.argv.end() - 5, l.argv.end());
  EXPECT_THAT(inner,
              ElementsAre("yolo", "train", "resume",
                          "model=/ckpt/job-7/scratch-defect-v3/weights/last.pt", "device=0"));
}

TEST(Docker, CommandJobRunsItsArgvAfterTheImage) {
  const Launch l =
      BuildLaunch(AssignmentBuilder().Spec(kCommandSpec).Image("pytorch/pytorch:2.3").Build(),
                  DockerConfig(), kNoLastPt);
  ASSERT_GE(l.argv.size(), 5u);
  EXPECT_EQ(l.argv[0], "docker");
  const std::vector<std::string> tail(l.argv.end() - 5, l.argv.end());
  EXPECT_THAT(tail, ElementsAre("pytorch/pytorch:2.3", "python", "train.py", "--epochs", "20"));
  EXPECT_THAT(l.argv, Contains("-w"));
  EXPECT_THAT(l.argv, Contains("GPUSCHED_CHECKPOINT_DIR=/ckpt/job-7"));
}

TEST(Docker, JobWithoutAnImageRunsOnTheHost) {
  const Launch l = BuildLaunch(AssignmentBuilder().Build(), DockerConfig(), kNoLastPt);
  EXPECT_EQ(l.argv.front(), "yolo");
  EXPECT_THAT(l.argv, Contains("device=2,3"));
  EXPECT_EQ(EnvValue(l.env, "CUDA_VISIBLE_DEVICES"), "2,3");
}

TEST(Docker, ImageIsIgnoredWhenTheNodeDoesNotRunContainers) {
  const Launch l = BuildLaunch(AssignmentBuilder().Image("ultralytics/ultralytics:8.2").Build(),
                               HostConfig(), kNoLastPt);
  EXPECT_EQ(l.argv.front(), "yolo");
  EXPECT_THAT(l.argv, Contains("device=2,3"));
}

TEST(Docker, DockerArgvWrapsAnyLaunch) {
  const Assignment a = AssignmentBuilder().Gpus({0, 2}).Image("img:1").Build();
  Launch inner;
  inner.argv = {"./train", "--fast"};
  inner.env = {{"CUDA_VISIBLE_DEVICES", "0,2"}, {"A", "1"}, {"B", "x=y"}};
  inner.job_folder = "/data/jobs/job-7";
  inner.run_folder = "/data/jobs/job-7/r";
  EXPECT_THAT(DockerArgv(a, inner),
              ElementsAre("docker", "run", "--rm", "--init", "--name", "gpusched-run-41", "--gpus",
                          "\"device=0,2\"", "--ipc=host", "-e", "A=1", "-e", "B=x=y", "-v",
                          "/data/jobs/job-7:/data/jobs/job-7", "-w", "/data/jobs/job-7", "img:1",
                          "./train", "--fast"));
}

// --- The assignments route's body -----------------------------------------

constexpr const char* kSpecJson =
    R"({"name":"scratch-defect-v3","ultralytics":{"model":"yolov8s.pt","data":"scratches.yaml",)"
    R"("epochs":50,"imgsz":640,"batch":32},"gpus":2,"image":"ultralytics/ultralytics:8.2"})";

TEST(Assignments, FullBodyReadsEveryField) {
  const std::string body =
      std::string(R"({"assignments":[{"id":41,"job":7,)") +
      R"("gpus":[{"index":2,"uuid":"GPU-aaaa"},{"index":3,"uuid":"GPU-bbbb"}],)"
      R"("resume_epoch":12,"stop":true,"stop_in_s":30,"save_period":3,)"
      R"("class":"critical","stop_deadline":123456,"spec":)" +
      kSpecJson + R"(}],"version":"00000000deadbeef"})";
  Result<AssignmentList> list = ParseAssignmentList(body);
  ASSERT_TRUE(list) << list.error().message;
  EXPECT_EQ(list->version, "00000000deadbeef");
  Assignment want;
  want.id = 41;
  want.job = 7;
  want.gpus = {2, 3};
  want.resume_epoch = 12;
  want.stop = true;
  want.stop_in_s = 30;
  want.save_period = 3;
  want.class_name = "critical";
  want.spec = *api::ParseJobSpec(kSpecJson, api::SpecFormat::kJson);
  EXPECT_THAT(list->assignments, ElementsAre(want));
}

TEST(Assignments, AbsentOptionalFieldsTakeTheirDefaults) {
  const std::string body =
      std::string(R"({"assignments":[{"id":1,"job":2,"gpus":[{"index":0}],"spec":)") + kSpecJson +
      "}]}";
  Result<AssignmentList> list = ParseAssignmentList(body);
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->assignments.size(), 1u);
  const Assignment& a = list->assignments[0];
  EXPECT_EQ(a.resume_epoch, 0);
  EXPECT_FALSE(a.stop);
  EXPECT_EQ(a.stop_in_s, 0);
  EXPECT_EQ(a.save_period, 5);
  EXPECT_EQ(a.class_name, "");
  EXPECT_TRUE(a.spec.has_value());
  EXPECT_EQ(list->version, "");
}

TEST(Assignments, EmptyListIsNoRuns) {
  Result<AssignmentList> list = ParseAssignmentList(R"({"assignments":[],"version":"v1"})");
  ASSERT_TRUE(list) << list.error().message;
  EXPECT_THAT(list->assignments, IsEmpty());
  EXPECT_EQ(list->version, "v1");
}

TEST(Assignments, SpecTheParserRefusesMarksOnlyItsRun) {
  const std::string body = std::string(R"({"assignments":[)") +
                           R"({"id":1,"job":2,"gpus":[],"spec":{"command":["true"],"gpuz":1}},)" +
                           R"({"id":3,"job":4,"gpus":[],"spec":)" + kSpecJson + "}]}";
  Result<AssignmentList> list = ParseAssignmentList(body);
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->assignments.size(), 2u);
  EXPECT_FALSE(list->assignments[0].spec.has_value());
  EXPECT_THAT(list->assignments[0].spec_error, HasSubstr("gpuz"));
  EXPECT_TRUE(list->assignments[1].spec.has_value());
  EXPECT_THAT(list->assignments[1].spec_error, IsEmpty());
}

TEST(Assignments, MissingSpecMarksTheRun) {
  Result<AssignmentList> list =
      ParseAssignmentList(R"({"assignments":[{"id":1,"job":2,"gpus":[]}]})");
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->assignments.size(), 1u);
  EXPECT_FALSE(list->assignments[0].spec.has_value());
  EXPECT_THAT(list->assignments[0].spec_error, Not(IsEmpty()));
}

struct MalformedCase {
  const char* name;
  const char* body;
  const char* message;  // what the error says: the field's path first
};

TEST(Assignments, MalformedBodiesAreErrorsNamingTheField) {
  const MalformedCase cases[] = {
      {"not JSON", "assignments please", "assignments: not a JSON object"},
      {"empty", "", "assignments: not a JSON object"},
      {"a list, not an object", "[]", "assignments: not a JSON object"},
      {"no assignments", R"({"version":"v"})", "assignments: not a JSON object"},
      {"assignments an object", R"({"assignments":{"id":1}})", "assignments: must be a list"},
      {"assignments null", R"({"assignments":null})", "assignments: must be a list"},
      {"an assignment not an object", R"({"assignments":[5]})",
       "assignments[0]: must be an object"},
      {"no id", R"({"assignments":[{"job":2,"gpus":[]}]})", "assignments[0].id: missing"},
      {"id a string", R"({"assignments":[{"id":"x","job":2,"gpus":[]}]})", "assignments[0].id"},
      {"id negative", R"({"assignments":[{"id":-1,"job":2,"gpus":[]}]})", "assignments[0].id"},
      {"no job", R"({"assignments":[{"id":1,"gpus":[]}]})", "assignments[0].job: missing"},
      {"no gpus", R"({"assignments":[{"id":1,"job":2}]})", "assignments[0].gpus: missing"},
      {"gpus not a list", R"({"assignments":[{"id":1,"job":2,"gpus":{"index":0}}]})",
       "assignments[0].gpus: must be a list"},
      {"gpu without index",
       R"({"assignments":[{"id":1,"job":2,"gpus":[{"index":0},{"uuid":"G"}]}]})",
       "assignments[0].gpus[1].index: missing"},
      {"gpu index a string", R"({"assignments":[{"id":1,"job":2,"gpus":[{"index":"0"}]}]})",
       "assignments[0].gpus[0].index"},
      {"resume_epoch a string",
       R"({"assignments":[{"id":1,"job":2,"gpus":[],"resume_epoch":"3"}]})",
       "assignments[0].resume_epoch"},
      {"resume_epoch a fraction",
       R"({"assignments":[{"id":1,"job":2,"gpus":[],"resume_epoch":1.5}]})",
       "assignments[0].resume_epoch"},
      {"stop a string", R"({"assignments":[{"id":1,"job":2,"gpus":[],"stop":"yes"}]})",
       "assignments[0].stop"},
      {"stop_in_s out of range", R"({"assignments":[{"id":1,"job":2,"gpus":[],"stop_in_s":1e30}]})",
       "assignments[0].stop_in_s"},
      {"save_period a bool", R"({"assignments":[{"id":1,"job":2,"gpus":[],"save_period":true}]})",
       "assignments[0].save_period"},
      {"class a number", R"({"assignments":[{"id":1,"job":2,"gpus":[],"class":1}]})",
       "assignments[0].class"},
      {"second assignment bad",
       R"({"assignments":[{"id":1,"job":2,"gpus":[]},{"id":2,"job":3,"gpus":[],"stop":1}]})",
       "assignments[1].stop"},
      {"version a number", R"({"assignments":[],"version":7})", "version"},
  };
  for (const MalformedCase& c : cases) {
    SCOPED_TRACE(c.name);
    Result<AssignmentList> list = ParseAssignmentList(c.body);
    if (list) {
      ADD_FAILURE() << "accepted: " << c.body;
      continue;
    }
    EXPECT_EQ(list.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(list.error().message, StartsWith(c.message));
  }
}

}  // namespace
}  // namespace gpusched::agent
