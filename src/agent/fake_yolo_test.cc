// The fake trainer as a specification: it must leave on disk what
// Ultralytics leaves, so that the agent's progress reading, checkpointing
// and resuming can be tested without a GPU. Argument errors run in-process;
// everything else runs in a forked child (GPUSCHED_FAKE_EPOCH_S=0.05) whose
// files are read with ReadRunFiles / ParseResultsCsv. Every wait is bounded.
#include "agent/fake_yolo.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/agent_testing.h"
#include "agent/run_progress.h"

namespace gpusched::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

using testing::ReadFile;
using testing::ScopedEnv;
using testing::TempFolder;

constexpr auto kWaitLimit = 5s;

using Env = std::map<std::string, std::string>;

// `fake-yolo ARGS` in a child process started in `dir`, with
// GPUSCHED_FAKE_EPOCH_S=0.05 and `env`; its stdout and stderr go to files.
class Trainer {
 public:
  Trainer(const std::string& dir, std::vector<std::string> args, const Env& env = {}) {
    static int count = 0;
    const std::string prefix = dir + "/trainer-" + std::to_string(++count);
    out_path_ = prefix + ".out";
    err_path_ = prefix + ".err";
    std::fflush(stdout);  // or the child would write the parent's buffer too
    std::fflush(stderr);
    pid_ = ::fork();
    if (pid_ == 0) RunChild(dir, args, env);
  }
  ~Trainer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // The exit status; -1 (with a test failure) when it was killed or did not
  // exit within kWaitLimit (then it is killed).
  int Wait() {
    const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "fake-yolo did not exit within 5 s; stdout:\n" << Stdout();
        return -1;  // the destructor kills it
      }
      std::this_thread::sleep_for(2ms);
    }
    pid_ = -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    ADD_FAILURE() << "fake-yolo died of signal " << WTERMSIG(status);
    return -1;
  }
  void Signal(int signo) const { ::kill(pid_, signo); }
  std::string Stdout() const { return ReadFile(out_path_); }
  std::string Stderr() const { return ReadFile(err_path_); }

 private:
  [[noreturn]] void RunChild(const std::string& dir, const std::vector<std::string>& args,
                             const Env& env) const {
    for (const char* name : {"GPUSCHED_FAKE_FAIL_AT_EPOCH", "GPUSCHED_FAKE_SAVE_ON_TERM",
                             "CUDA_VISIBLE_DEVICES", "GPUSCHED_JOB_ID"}) {
      ::unsetenv(name);
    }
    ::setenv("GPUSCHED_FAKE_EPOCH_S", "0.05", 1);
    for (const auto& [key, value] : env) ::setenv(key.c_str(), value.c_str(), 1);
    const int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0 ||
        ::chdir(dir.c_str()) != 0) {
      ::_exit(99);
    }
    ::_exit(RunFakeYolo(args));
  }

  pid_t pid_ = -1;
  std::string out_path_;
  std::string err_path_;
};

// Waits (bounded) until results.csv in `run_folder` shows epoch `epoch`.
bool WaitForEpoch(const std::string& run_folder, int epoch) {
  const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
  while (ReadRunFiles(run_folder).last_epoch < epoch) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

ResultsCsv Results(const std::string& run_folder) {
  Result<ResultsCsv> csv = ParseResultsCsv(ReadFile(run_folder + "/results.csv"));
  EXPECT_TRUE(csv.has_value()) << csv.error().message;
  return csv ? *csv : ResultsCsv{};
}

// Column `col` of every data row of results.csv.
std::vector<double> Column(const std::string& run_folder, int col) {
  std::istringstream in(ReadFile(run_folder + "/results.csv"));
  std::string line;
  std::getline(in, line);  // header
  std::vector<double> values;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string field;
    for (int i = 0; i <= col; ++i) std::getline(fields, field, ',');
    values.push_back(std::stod(field));
  }
  return values;
}

std::vector<int> EpochColumn(const std::string& run_folder) {
  std::vector<int> epochs;
  for (double e : Column(run_folder, 0)) epochs.push_back(static_cast<int>(e));
  return epochs;
}

// The epoch a fake last.pt holds (its `epoch: N` line); -1 when none.
int CheckpointEpoch(const std::string& run_folder) {
  std::istringstream in(ReadFile(run_folder + "/weights/last.pt"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("epoch: ", 0) == 0) return std::stoi(line.substr(7));
  }
  return -1;
}

// `train model=yolov8n.pt data=coco8.yaml epochs=N ... project=DIR/job
// name=run exist_ok=True` plus `extra`.
std::vector<std::string> TrainArgs(const std::string& dir, int epochs,
                                   std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"train",
                                "model=yolov8n.pt",
                                "data=coco8.yaml",
                                "epochs=" + std::to_string(epochs),
                                "imgsz=320",
                                "batch=8",
                                "project=" + dir + "/job",
                                "name=run",
                                "exist_ok=True"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::string RunFolderIn(const std::string& dir) { return dir + "/job/run"; }

// ---- argument errors (in-process) ------------------------------------------

TEST(FakeYoloArgs, FreshTrainNeedsModelDataAndEpochs) {
  EXPECT_EQ(RunFakeYolo({"train", "data=x.yaml", "epochs=3"}), 2);
  EXPECT_EQ(RunFakeYolo({"train", "model=yolov8n.pt", "epochs=3"}), 2);
  EXPECT_EQ(RunFakeYolo({"train", "model=yolov8n.pt", "data=x.yaml"}), 2);
}

TEST(FakeYoloArgs, NumbersMustBeNumbers) {
  const std::vector<std::string> base{"train", "model=yolov8n.pt", "data=x.yaml"};
  for (std::string bad : {"epochs=ten", "epochs=0", "epochs=2.5", "imgsz=big", "batch=abc",
                          "save_period=x", "exist_ok=maybe"}) {
    std::vector<std::string> args = base;
    if (bad.rfind("epochs=", 0) != 0) args.push_back("epochs=3");
    args.push_back(bad);
    EXPECT_EQ(RunFakeYolo(args), 2) << bad;
  }
}

TEST(FakeYoloArgs, OnlyTrainIsAMode) {
  EXPECT_EQ(RunFakeYolo({}), 2);
  EXPECT_EQ(RunFakeYolo({"val", "model=yolov8n.pt", "data=x.yaml"}), 2);
}

TEST(FakeYoloArgs, ArgumentsAreKeyEqualsValue) {
  EXPECT_EQ(RunFakeYolo({"train", "model", "data=x.yaml", "epochs=3"}), 2);
  EXPECT_EQ(RunFakeYolo({"train", "model=", "data=x.yaml", "epochs=3"}), 2);
  EXPECT_EQ(RunFakeYolo({"train", "=x", "model=m.pt", "data=x.yaml", "epochs=3"}), 2);
}

TEST(FakeYoloArgs, ResumeNeedsACheckpointItCanRead) {
  EXPECT_EQ(RunFakeYolo({"train", "resume"}), 2);
  EXPECT_EQ(RunFakeYolo({"train", "resume", "model=/nonexistent/weights/last.pt"}), 2);
  TempFolder dir;
  const std::string not_a_checkpoint = dir.path() + "/last.pt";
  std::ofstream(not_a_checkpoint) << "PK\x03\x04 a real torch zip\n";
  EXPECT_EQ(RunFakeYolo({"train", "resume", "model=" + not_a_checkpoint}), 2);
}

TEST(FakeYoloArgs, EnvironmentMustBeValid) {
  const std::vector<std::string> args{"train", "model=m.pt", "data=x.yaml", "epochs=1"};
  {
    ScopedEnv env("GPUSCHED_FAKE_EPOCH_S", "-1");
    EXPECT_EQ(RunFakeYolo(args), 2);
  }
  {
    ScopedEnv env("GPUSCHED_FAKE_EPOCH_S", "fast");
    EXPECT_EQ(RunFakeYolo(args), 2);
  }
  {
    ScopedEnv env("GPUSCHED_FAKE_FAIL_AT_EPOCH", "0");
    EXPECT_EQ(RunFakeYolo(args), 2);
  }
}

// ---- training on disk (forked) -----------------------------------------------

TEST(FakeYolo, TrainsEveryEpochIntoTheRunFolderLikeUltralytics) {
  TempFolder dir;
  Trainer trainer(dir.path(), TrainArgs(dir.path(), 3, {"device=0,2", "lr0=0.01"}),
                  {{"CUDA_VISIBLE_DEVICES", "0,2"}, {"GPUSCHED_JOB_ID", "42"}});
  ASSERT_EQ(trainer.Wait(), 0) << trainer.Stderr();
  const std::string run = RunFolderIn(dir.path());

  const std::string csv = ReadFile(run + "/results.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "epoch,time,train/box_loss,metrics/mAP50(B)");
  EXPECT_THAT(EpochColumn(run), ElementsAre(1, 2, 3));
  const std::vector<double> time = Column(run, 1), loss = Column(run, 2), map = Column(run, 3);
  EXPECT_TRUE(std::is_sorted(time.begin(), time.end())) << csv;
  EXPECT_GT(time.front(), 0.0);
  EXPECT_GT(loss.front(), loss.back());
  EXPECT_LT(map.front(), map.back());

  const RunFiles files = ReadRunFiles(run);
  EXPECT_EQ(files.last_epoch, 3);
  EXPECT_EQ(files.last_time_s, time.back());
  EXPECT_TRUE(files.has_last_pt);  // the final epoch is always saved
  EXPECT_EQ(CheckpointEpoch(run), 3);

  const std::string yaml = ReadFile(run + "/args.yaml");
  EXPECT_THAT(yaml, HasSubstr("model: yolov8n.pt\n"));
  EXPECT_THAT(yaml, HasSubstr("epochs: 3\n"));
  EXPECT_THAT(yaml, HasSubstr("device: 0,2\n"));
  EXPECT_THAT(yaml, HasSubstr("lr0: 0.01\n"));  // unknown keys are kept, not used
  EXPECT_THAT(trainer.Stdout(), HasSubstr("CUDA_VISIBLE_DEVICES=0,2"));
  EXPECT_THAT(trainer.Stdout(), HasSubstr("GPUSCHED_JOB_ID=42"));
  EXPECT_FALSE(std::filesystem::exists(run + "/weights/last.pt.tmp"));
}

TEST(FakeYolo, LastPtIsWrittenEverySavePeriodEpochs) {
  TempFolder dir;
  // The failure in epoch 6 freezes the folder as it was after epoch 5.
  Trainer trainer(dir.path(), TrainArgs(dir.path(), 7, {"save_period=3"}),
                  {{"GPUSCHED_FAKE_FAIL_AT_EPOCH", "6"}});
  ASSERT_EQ(trainer.Wait(), 1);
  EXPECT_EQ(Results(RunFolderIn(dir.path())).rows, 5);
  EXPECT_EQ(CheckpointEpoch(RunFolderIn(dir.path())), 3);
}

TEST(FakeYolo, SavePeriodZeroOrLessSavesEveryEpoch) {
  for (const char* period : {"save_period=0", "save_period=-1"}) {
    TempFolder dir;
    Trainer trainer(dir.path(), TrainArgs(dir.path(), 5, {period}),
                    {{"GPUSCHED_FAKE_FAIL_AT_EPOCH", "3"}});
    ASSERT_EQ(trainer.Wait(), 1) << period;
    EXPECT_EQ(CheckpointEpoch(RunFolderIn(dir.path())), 2) << period;
  }
}

TEST(FakeYolo, TrackerWatchingTheRunSeesEachEpochOnceAndTheCheckpoints) {
  TempFolder dir;
  const std::string run = RunFolderIn(dir.path());
  Trainer trainer(dir.path(), TrainArgs(dir.path(), 7, {"save_period=3"}));
  ProgressTracker tracker(0);
  std::vector<int> epochs, checkpoints;
  auto look = [&] {
    const ProgressTracker::Events events = tracker.Observe(ReadRunFiles(run));
    epochs.insert(epochs.end(), events.epochs.begin(), events.epochs.end());
    if (events.checkpoint) checkpoints.push_back(*events.checkpoint);
  };
  const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
  while (tracker.highest_epoch() < 7 && std::chrono::steady_clock::now() < deadline) {
    look();
    std::this_thread::sleep_for(2ms);
  }
  ASSERT_EQ(trainer.Wait(), 0);
  look();
  EXPECT_THAT(epochs, ElementsAre(1, 2, 3, 4, 5, 6, 7));
  // Saved at 3, 6 and 7; a look may fall between two saves only if slow.
  ASSERT_FALSE(checkpoints.empty());
  EXPECT_EQ(checkpoints.back(), 7);
  for (int c : checkpoints) EXPECT_THAT(c, ::testing::AnyOf(3, 6, 7));
}

TEST(FakeYolo, ResumeContinuesAfterTheCheckpointAndAppendsRows) {
  TempFolder dir;
  const std::string run = RunFolderIn(dir.path());
  {
    Trainer lost(dir.path(), TrainArgs(dir.path(), 6, {"save_period=2", "device=0"}),
                 {{"GPUSCHED_FAKE_FAIL_AT_EPOCH", "4"}});
    ASSERT_EQ(lost.Wait(), 1);
  }
  ASSERT_EQ(CheckpointEpoch(run), 2);  // rows 1-3, last.pt at 2
  const double time_at_2 = Column(run, 1)[1];

  const std::string last_pt = run + "/weights/last.pt";
  Trainer resumed(dir.path(), {"train", "resume", "model=" + last_pt, "device=1"});
  ASSERT_EQ(resumed.Wait(), 0) << resumed.Stderr();
  EXPECT_THAT(resumed.Stdout(),
              HasSubstr("Resuming training " + last_pt + " from epoch 3 to 6 total epochs"));
  EXPECT_THAT(EpochColumn(run), ElementsAre(1, 2, 3, 3, 4, 5, 6));
  EXPECT_GE(Column(run, 1)[3], time_at_2);  // cumulative time goes on from the checkpoint
  EXPECT_EQ(ReadRunFiles(run).last_epoch, 6);
  EXPECT_EQ(CheckpointEpoch(run), 6);
  const std::string yaml = ReadFile(run + "/args.yaml");
  EXPECT_THAT(yaml, HasSubstr("data: coco8.yaml\n"));  // restored from last.pt
  EXPECT_THAT(yaml, HasSubstr("save_period: 2\n"));
  EXPECT_THAT(yaml, HasSubstr("device: 1\n"));  // given again on resume
}

TEST(FakeYolo, ResumingAFinishedRunHasNothingToResume) {
  TempFolder dir;
  {
    Trainer done(dir.path(), TrainArgs(dir.path(), 2));
    ASSERT_EQ(done.Wait(), 0);
  }
  const std::string last_pt = RunFolderIn(dir.path()) + "/weights/last.pt";
  Trainer again(dir.path(), {"train", "resume", "model=" + last_pt});
  EXPECT_EQ(again.Wait(), 1);
  EXPECT_THAT(again.Stderr(), HasSubstr(last_pt + " training to 2 epochs is finished, nothing to "
                                                  "resume"));
  EXPECT_EQ(Results(RunFolderIn(dir.path())).rows, 2);
}

TEST(FakeYolo, SigtermSavesTheLastFinishedEpoch) {
  TempFolder dir;
  const std::string run = RunFolderIn(dir.path());
  Trainer trainer(dir.path(), TrainArgs(dir.path(), 1000, {"save_period=500"}));
  ASSERT_TRUE(WaitForEpoch(run, 2));
  trainer.Signal(SIGTERM);
  ASSERT_EQ(trainer.Wait(), 128 + SIGTERM);
  const int finished = ReadRunFiles(run).last_epoch;
  EXPECT_GE(finished, 2);
  EXPECT_EQ(CheckpointEpoch(run), finished);
  EXPECT_THAT(trainer.Stdout(),
              HasSubstr("saved last.pt at epoch " + std::to_string(finished) + " on SIGTERM"));
}

TEST(FakeYolo, SigtermWithSaveOnTermOffSavesNothingLikeUltralytics) {
  TempFolder dir;
  const std::string run = RunFolderIn(dir.path());
  Trainer trainer(dir.path(), TrainArgs(dir.path(), 1000, {"save_period=500"}),
                  {{"GPUSCHED_FAKE_SAVE_ON_TERM", "0"}});
  ASSERT_TRUE(WaitForEpoch(run, 2));
  trainer.Signal(SIGTERM);
  ASSERT_EQ(trainer.Wait(), 128 + SIGTERM);
  EXPECT_FALSE(ReadRunFiles(run).has_last_pt);
  EXPECT_THAT(trainer.Stdout(), Not(HasSubstr("saved last.pt")));
}

TEST(FakeYolo, SigtermRightAfterASaveDoesNotSaveAgain) {
  TempFolder dir;
  const std::string run = RunFolderIn(dir.path());
  // Saving every epoch: the last finished epoch is always saved already.
  Trainer trainer(dir.path(), TrainArgs(dir.path(), 1000, {"save_period=1"}));
  ASSERT_TRUE(WaitForEpoch(run, 2));
  trainer.Signal(SIGTERM);
  ASSERT_EQ(trainer.Wait(), 128 + SIGTERM);
  EXPECT_EQ(CheckpointEpoch(run), ReadRunFiles(run).last_epoch);
  EXPECT_THAT(trainer.Stdout(), Not(HasSubstr("on SIGTERM")));
}

TEST(FakeYolo, SigintStopsToo) {
  TempFolder dir;
  const std::string run = RunFolderIn(dir.path());
  Trainer trainer(dir.path(), TrainArgs(dir.path(), 1000));
  ASSERT_TRUE(WaitForEpoch(run, 1));
  trainer.Signal(SIGINT);
  EXPECT_EQ(trainer.Wait(), 128 + SIGINT);
}

TEST(FakeYolo, InjectedFailureLooksLikeACudaCrash) {
  TempFolder dir;
  Trainer trainer(dir.path(), TrainArgs(dir.path(), 5), {{"GPUSCHED_FAKE_FAIL_AT_EPOCH", "2"}});
  EXPECT_EQ(trainer.Wait(), 1);
  EXPECT_THAT(trainer.Stderr(), HasSubstr("Traceback (most recent call last):"));
  EXPECT_THAT(trainer.Stderr(),
              EndsWith("RuntimeError: CUDA error: an illegal memory access was encountered\n"));
  EXPECT_EQ(Results(RunFolderIn(dir.path())).rows, 1);
}

TEST(FakeYolo, DefaultFolderIsRunsDetectTrainAndExistingOnesAreNotReused) {
  TempFolder dir;
  const std::vector<std::string> args{"train", "model=yolov8n.pt", "data=coco8.yaml", "epochs=1"};
  for (int i = 0; i < 2; ++i) {
    Trainer trainer(dir.path(), args, {{"GPUSCHED_FAKE_EPOCH_S", "0"}});
    ASSERT_EQ(trainer.Wait(), 0);
  }
  EXPECT_EQ(ReadRunFiles(dir.path() + "/runs/detect/train").last_epoch, 1);
  EXPECT_EQ(ReadRunFiles(dir.path() + "/runs/detect/train2").last_epoch, 1);
}

}  // namespace
}  // namespace gpusched::agent
