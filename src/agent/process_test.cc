// The process runtime as a specification: a run is its own process group,
// led by `gpusched run-shim` (the real binary, GPUSCHED_BIN), its output in
// one log file and its end in an exit file; and the shim fences itself when
// the agent's lease file says the lease is over.
//
// Every test gets a fresh folder; every wait is bounded (kWaitLimit) and a
// run still going at the end of a test is killed and reaped, so no test
// hangs or leaves processes behind.
#include "agent/process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/agent_testing.h"

namespace gpusched::agent {
namespace {

namespace fs = std::filesystem;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::chrono_literals;

using testing::ReadFile;
using testing::TempFolder;
using testing::WriteFile;

constexpr auto kWaitLimit = 5s;

std::int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Polls `done` every 10 ms until it holds or `limit` passes.
bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = kWaitLimit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// Whether `pid` has ended: gone, or a zombie nobody reaped yet (an orphan
// whose new parent does not reap is still a zombie).
bool Ended(pid_t pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const std::size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

// One run under the real shim. Killed (the whole group) and reaped when it
// goes out of scope, whatever the test did.
class ShimRun {
 public:
  explicit ShimRun(SpawnRequest request) : request_(std::move(request)) {
    Result<pid_t> pid = SpawnRun(request_);
    EXPECT_TRUE(pid) << pid.error().message;
    if (pid) pid_ = *pid;
  }
  ~ShimRun() {
    if (pid_ <= 0) return;
    SignalGroup(pid_, SIGKILL);  // also the trainer's children, if any are left
    if (!reaped_) waitpid(pid_, nullptr, 0);
  }
  ShimRun(const ShimRun&) = delete;
  ShimRun& operator=(const ShimRun&) = delete;

  pid_t pid() const { return pid_; }

  // The shim's wait status, once it ends within `limit`; nullopt (a test
  // failure) when it is still running then.
  std::optional<int> Wait(std::chrono::milliseconds limit = kWaitLimit) {
    if (pid_ <= 0) return std::nullopt;
    int status = 0;
    pid_t done = 0;
    const bool ended = Eventually(
        [&] {
          done = waitpid(pid_, &status, WNOHANG);
          return done == pid_ || (done < 0 && errno != EINTR);
        },
        limit);
    if (!ended) {
      ADD_FAILURE() << "the run " << pid_ << " did not end within " << limit.count() << " ms";
      return std::nullopt;
    }
    reaped_ = true;
    if (done != pid_) {
      ADD_FAILURE() << "waitpid(" << pid_ << "): " << std::strerror(errno);
      return std::nullopt;
    }
    return status;
  }

  // The exit file, once the run has ended.
  std::optional<ExitStatus> Exit() {
    if (!reaped_ && !Wait()) return std::nullopt;
    return ReadExitFile(request_.exit_path);
  }

  std::string Log() const { return ReadFile(request_.log_path); }

 private:
  SpawnRequest request_;
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// A request for `argv` with its log and exit file in `folder`.
SpawnRequest Request(const TempFolder& folder, std::vector<std::string> argv) {
  SpawnRequest r;
  r.argv = std::move(argv);
  r.log_path = folder / "output.log";
  r.exit_path = folder / "exit";
  r.shim = GPUSCHED_BIN;
  return r;
}

SpawnRequest Shell(const TempFolder& folder, const std::string& script) {
  return Request(folder, {"sh", "-c", script});
}

bool ExitedWith(const std::optional<int>& status, int code) {
  return status && WIFEXITED(*status) && WEXITSTATUS(*status) == code;
}

bool KilledBy(const std::optional<int>& status, int signal) {
  return status && WIFSIGNALED(*status) && WTERMSIG(*status) == signal;
}

MATCHER_P2(IsExit, code, detail, "") { return arg && arg->code == code && arg->detail == detail; }

// --- Output, environment, folder -----------------------------------------

TEST(Process, StdoutAndStderrBothLandInTheLog) {
  TempFolder dir;
  ShimRun run(Shell(dir, "echo to-stdout; echo to-stderr >&2; echo again"));
  ASSERT_TRUE(ExitedWith(run.Wait(), 0));
  EXPECT_EQ(run.Log(), "to-stdout\nto-stderr\nagain\n");
}

TEST(Process, LogIsAppendedToNotTruncated) {
  TempFolder dir;
  WriteFile(dir / "output.log", "a note from the agent\n");
  ShimRun run(Shell(dir, "echo from the trainer"));
  ASSERT_TRUE(ExitedWith(run.Wait(), 0));
  EXPECT_EQ(run.Log(), "a note from the agent\nfrom the trainer\n");
}

TEST(Process, EnvOverridesReachTheProgram) {
  TempFolder dir;
  SpawnRequest r = Shell(dir, "echo \"$GPUSCHED_TEST_FOO\"; echo \"$HOME\"");
  r.env = {{"GPUSCHED_TEST_FOO", "bar baz"}, {"HOME", "/nowhere"}};
  ShimRun run(r);
  ASSERT_TRUE(ExitedWith(run.Wait(), 0));
  EXPECT_EQ(run.Log(), "bar baz\n/nowhere\n");
}

TEST(Process, TheAgentsOwnEnvironmentIsInherited) {
  TempFolder dir;
  // PATH is how `sh` was found at all; it must reach the trainer unchanged.
  ShimRun run(Shell(dir, "echo \"$PATH\""));
  ASSERT_TRUE(ExitedWith(run.Wait(), 0));
  const char* path = std::getenv("PATH");
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(run.Log(), std::string(path) + "\n");
}

TEST(Process, RunsInTheRequestedFolder) {
  TempFolder dir;
  fs::create_directory(dir / "job-7");
  SpawnRequest r = Shell(dir, "pwd; echo made-here > marker");
  r.cwd = dir / "job-7";
  ShimRun run(r);
  ASSERT_TRUE(ExitedWith(run.Wait(), 0));
  EXPECT_EQ(run.Log(), dir.path() + "/job-7\n");
  EXPECT_EQ(ReadFile(dir / "job-7/marker"), "made-here\n");
}

// --- Process group ----------------------------------------------------------

TEST(Process, RunLeadsItsOwnProcessGroupWithTheTrainerInIt) {
  TempFolder dir;
  ShimRun run(Shell(dir, "echo $$ > " + (dir / "trainer.pid") + "; sleep 30"));
  ASSERT_GT(run.pid(), 0);
  EXPECT_EQ(GroupOf(run.pid()), run.pid());
  EXPECT_NE(GroupOf(run.pid()), getpgrp()) << "not the test's group";
  ASSERT_TRUE(Eventually([&] { return !ReadFile(dir / "trainer.pid").empty(); }));
  const pid_t trainer = std::stoi(ReadFile(dir / "trainer.pid"));
  EXPECT_NE(trainer, run.pid()) << "the shim is the leader; the trainer is its child";
  EXPECT_EQ(GroupOf(trainer), run.pid());
  EXPECT_TRUE(GroupAlive(run.pid()));
}

TEST(Process, SignalGroupReachesTheTrainersChildrenToo) {
  TempFolder dir;
  ShimRun run(Shell(dir, "sleep 30 & echo $! > " + (dir / "child.pid") + "; sleep 30; wait"));
  ASSERT_TRUE(Eventually([&] { return !ReadFile(dir / "child.pid").empty(); }));
  const pid_t child = std::stoi(ReadFile(dir / "child.pid"));
  EXPECT_EQ(GroupOf(child), run.pid());

  EXPECT_TRUE(SignalGroup(run.pid(), SIGTERM));
  // The shim survives the group's SIGTERM to record how the trainer ended.
  EXPECT_TRUE(ExitedWith(run.Wait(), 143));
  EXPECT_THAT(run.Exit(), IsExit(143, "killed by signal 15 (SIGTERM)"));
  EXPECT_TRUE(Eventually([&] { return Ended(child); })) << "the background sleep survived";
}

TEST(Process, GroupIsGoneOnceTheRunEndedAndWasReaped) {
  TempFolder dir;
  ShimRun run(Request(dir, {"sleep", "0.2"}));
  EXPECT_TRUE(GroupAlive(run.pid()));
  ASSERT_TRUE(ExitedWith(run.Wait(), 0));
  EXPECT_FALSE(GroupAlive(run.pid()));
  EXPECT_FALSE(SignalGroup(run.pid(), SIGTERM));
  EXPECT_EQ(GroupOf(run.pid()), -1);
}

TEST(Process, SignalGroupRefusesTheWholeSystemAndInit) {
  // kill(-1) would reach every process the agent may signal; -0 its own group.
  EXPECT_FALSE(SignalGroup(0, 0));
  EXPECT_FALSE(SignalGroup(1, 0));
  EXPECT_FALSE(SignalGroup(-5, 0));
  EXPECT_FALSE(GroupAlive(0));
}

// --- How a run ends -----------------------------------------------------------

TEST(Process, ExitFileRecordsACleanExit) {
  TempFolder dir;
  ShimRun run(Request(dir, {"true"}));
  ASSERT_TRUE(ExitedWith(run.Wait(), 0));
  EXPECT_EQ(ReadFile(dir / "exit"), "0 exited 0\n");
  EXPECT_THAT(ReadExitFile(dir / "exit"), IsExit(0, "exited 0"));
  EXPECT_FALSE(fs::exists(dir / "exit.tmp"));
}

TEST(Process, ExitFileRecordsTheTrainersCodeAndTheShimExitsWithIt) {
  TempFolder dir;
  ShimRun run(Shell(dir, "exit 3"));
  EXPECT_TRUE(ExitedWith(run.Wait(), 3));
  EXPECT_EQ(ReadFile(dir / "exit"), "3 exited 3\n");
  EXPECT_THAT(run.Exit(), IsExit(3, "exited 3"));
}

TEST(Process, ExitFileRecordsATrainerKilledBySignal) {
  TempFolder dir;
  ShimRun run(Shell(dir, "kill -9 $$"));
  EXPECT_TRUE(ExitedWith(run.Wait(), 137));
  EXPECT_THAT(run.Exit(), IsExit(137, "killed by signal 9 (SIGKILL)"));
}

TEST(Process, ProgramThatDoesNotExistExits127WithALineInTheLog) {
  for (const std::string program : {"/nonexistent/bin/trainer", "gpusched-no-such-trainer"}) {
    SCOPED_TRACE(program);
    TempFolder dir;
    ShimRun run(Request(dir, {program, "--epochs", "3"}));
    EXPECT_TRUE(ExitedWith(run.Wait(), 127));
    EXPECT_THAT(run.Log(), HasSubstr("cannot execute \"" + program + "\""));
    const std::optional<ExitStatus> ended = run.Exit();
    ASSERT_TRUE(ended);
    EXPECT_EQ(ended->code, 127);
    EXPECT_THAT(ended->detail, HasSubstr(program));
  }
}

// --- Spawn errors -------------------------------------------------------------

TEST(Process, UnopenableLogPathIsAnErrorNamingThePath) {
  TempFolder dir;
  SpawnRequest r = Request(dir, {"true"});
  r.log_path = dir / "no-such-folder/output.log";
  Result<pid_t> pid = SpawnRun(r);
  ASSERT_FALSE(pid);
  EXPECT_THAT(pid.error().message, HasSubstr(r.log_path));
  EXPECT_FALSE(fs::exists(dir / "exit"));
}

TEST(Process, EmptyCommandIsAnError) {
  TempFolder dir;
  EXPECT_FALSE(SpawnRun(Request(dir, {})));
  EXPECT_FALSE(SpawnRun(Request(dir, {""})));
}

TEST(Process, ShimThatCannotStartIsAnErrorNamingIt) {
  TempFolder dir;
  SpawnRequest r = Request(dir, {"true"});
  r.shim = dir / "no-gpusched-here";
  Result<pid_t> pid = SpawnRun(r);
  ASSERT_FALSE(pid);
  EXPECT_THAT(pid.error().message, HasSubstr(r.shim));
}

// --- Wait statuses and the exit file -----------------------------------------

TEST(Process, FromWaitStatusTellsExitsFromSignals) {
  EXPECT_THAT(std::optional(FromWaitStatus(W_EXITCODE(0, 0))), IsExit(0, "exited 0"));
  EXPECT_THAT(std::optional(FromWaitStatus(W_EXITCODE(3, 0))), IsExit(3, "exited 3"));
  EXPECT_THAT(std::optional(FromWaitStatus(W_EXITCODE(255, 0))), IsExit(255, "exited 255"));
  EXPECT_THAT(std::optional(FromWaitStatus(W_EXITCODE(0, SIGTERM))),
              IsExit(143, "killed by signal 15 (SIGTERM)"));
  EXPECT_THAT(std::optional(FromWaitStatus(W_EXITCODE(0, SIGKILL))),
              IsExit(137, "killed by signal 9 (SIGKILL)"));
  EXPECT_THAT(std::optional(FromWaitStatus(W_EXITCODE(0, SIGSEGV))),
              IsExit(139, "killed by signal 11 (SIGSEGV)"));
  const ExitStatus usr1 = FromWaitStatus(W_EXITCODE(0, SIGUSR1));
  EXPECT_EQ(usr1.code, 128 + SIGUSR1);
  EXPECT_THAT(usr1.detail, StartsWith("killed by signal " + std::to_string(SIGUSR1)));
}

TEST(Process, FromWaitStatusOfAStoppedProcessIsNotAnExit) {
  const ExitStatus stopped = FromWaitStatus(W_STOPCODE(SIGSTOP));
  EXPECT_EQ(stopped.code, 255);
  EXPECT_THAT(stopped.detail, HasSubstr("wait status"));
}

TEST(Process, ReadExitFileReadsTheCodeAndTheRestOfTheLine) {
  TempFolder dir;
  WriteFile(dir / "exit", "137 fenced: the agent's lease with the server ended\n");
  EXPECT_THAT(ReadExitFile(dir / "exit"),
              IsExit(137, "fenced: the agent's lease with the server ended"));
}

TEST(Process, ReadExitFileOfNothingIsNothing) {
  TempFolder dir;
  EXPECT_FALSE(ReadExitFile(dir / "missing"));
  WriteFile(dir / "empty", "");
  EXPECT_FALSE(ReadExitFile(dir / "empty"));
  WriteFile(dir / "garbage", "exited zero\n");
  EXPECT_FALSE(ReadExitFile(dir / "garbage"));
}

// --- The lease file -----------------------------------------------------------

TEST(Lease, WriteThenReadRoundTrips) {
  TempFolder dir;
  const LeaseDeadline d{1'700'000'000'000, 1'700'000'005'000};
  WriteLeaseFile(dir / "lease", d);
  const std::optional<LeaseDeadline> read = ReadLeaseFile(dir / "lease");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->term_ms, d.term_ms);
  EXPECT_EQ(read->kill_ms, d.kill_ms);
  EXPECT_FALSE(fs::exists(dir / "lease.tmp")) << "written through a temporary, then renamed";
}

TEST(Lease, RewriteReplacesTheDeadline) {
  TempFolder dir;
  WriteLeaseFile(dir / "lease", LeaseDeadline{1'000'000'000'000, 1'000'000'001'000});
  WriteLeaseFile(dir / "lease", LeaseDeadline{2'000, 3'000});
  const std::optional<LeaseDeadline> read = ReadLeaseFile(dir / "lease");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->term_ms, 2'000);
  EXPECT_EQ(read->kill_ms, 3'000);
}

TEST(Lease, MissingOrMalformedFileReadsAsNone) {
  TempFolder dir;
  EXPECT_FALSE(ReadLeaseFile(dir / "lease"));
  WriteFile(dir / "lease", "soon\n");
  EXPECT_FALSE(ReadLeaseFile(dir / "lease"));
  WriteFile(dir / "lease", "1000\n");
  EXPECT_FALSE(ReadLeaseFile(dir / "lease"));
}

// --- The shim: self-fencing ---------------------------------------------------

TEST(Shim, LeaseInTheFutureLeavesTheRunAlone) {
  TempFolder dir;
  WriteLeaseFile(dir / "lease", LeaseDeadline{WallMs() + 60'000, WallMs() + 65'000});
  SpawnRequest r = Shell(dir, "sleep 0.6; echo finished");  // the shim reads the lease twice
  r.lease_path = dir / "lease";
  ShimRun run(r);
  EXPECT_TRUE(ExitedWith(run.Wait(), 0));
  EXPECT_THAT(run.Exit(), IsExit(0, "exited 0"));
  EXPECT_EQ(run.Log(), "finished\n");
}

TEST(Shim, LeasePastItsKillDeadlineKillsTheRunAsFenced) {
  TempFolder dir;
  WriteLeaseFile(dir / "lease", LeaseDeadline{WallMs() - 2'000, WallMs() - 1'000});
  SpawnRequest r = Shell(dir, "echo $$ > " + (dir / "trainer.pid") + "; sleep 30");
  r.lease_path = dir / "lease";
  ShimRun run(r);
  // The shim kills its whole group, itself included.
  EXPECT_TRUE(KilledBy(run.Wait(), SIGKILL));
  const std::optional<ExitStatus> ended = run.Exit();
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->code, 137);
  EXPECT_THAT(ended->detail, StartsWith("fenced"));
  EXPECT_THAT(run.Log(), HasSubstr("fenced"));
  const std::string trainer = ReadFile(dir / "trainer.pid");
  if (!trainer.empty()) {
    EXPECT_TRUE(Eventually([&] { return Ended(std::stoi(trainer)); }));
  }
}

TEST(Shim, LeasePastItsTermDeadlineTermsTheTrainerThenKillsTheGroupAtTheKillDeadline) {
  TempFolder dir;
  // term_ms a little ahead, so that the trainer has set its trap by then.
  const std::int64_t term_ms = WallMs() + 700;
  const std::int64_t kill_ms = term_ms + 2'000;
  WriteLeaseFile(dir / "lease", LeaseDeadline{term_ms, kill_ms});
  // A trainer that outlives SIGTERM (it saves a checkpoint, say) and says so.
  SpawnRequest r = Shell(dir, "trap 'echo got-term >> " + (dir / "term.marker") +
                                  "' TERM; while :; do sleep 0.05; done");
  r.lease_path = dir / "lease";
  ShimRun run(r);

  ASSERT_TRUE(Eventually([&] { return fs::exists(dir / "term.marker"); }))
      << "the trainer never got SIGTERM; log:\n"
      << run.Log();
  EXPECT_EQ(ReadFile(dir / "term.marker"), "got-term\n") << "SIGTERM is sent once";
  EXPECT_TRUE(GroupAlive(run.pid())) << "SIGTERM alone does not end a trainer that traps it";
  EXPECT_THAT(run.Log(), HasSubstr("SIGTERM"));

  EXPECT_TRUE(
      KilledBy(run.Wait(std::chrono::milliseconds(kill_ms - WallMs()) + kWaitLimit), SIGKILL));
  EXPECT_GE(WallMs(), kill_ms) << "killed before the kill deadline";
  const std::optional<ExitStatus> ended = run.Exit();
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->code, 137);
  EXPECT_THAT(ended->detail, StartsWith("fenced"));
}

TEST(Shim, RenewedLeaseBeforeTheDeadlineKeepsTheRunGoing) {
  TempFolder dir;
  WriteLeaseFile(dir / "lease", LeaseDeadline{WallMs() + 800, WallMs() + 1'000});
  SpawnRequest r = Shell(dir, "sleep 1.6; echo finished");
  r.lease_path = dir / "lease";
  ShimRun run(r);
  // The agent's heartbeat renews the lease in time.
  WriteLeaseFile(dir / "lease", LeaseDeadline{WallMs() + 60'000, WallMs() + 65'000});
  EXPECT_TRUE(ExitedWith(run.Wait(), 0));
  EXPECT_THAT(run.Exit(), IsExit(0, "exited 0"));
}

TEST(Shim, WrongArgumentsAreAUsageError) {
  EXPECT_EQ(RunShim({}), 2);
  EXPECT_EQ(RunShim({"exit", "-", "--"}), 2) << "no program";
  EXPECT_EQ(RunShim({"exit", "-", "true"}), 2) << "no --";
}

}  // namespace
}  // namespace gpusched::agent
