#include "agent/fake_yolo.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include <fmt/core.h>

#include "agent/yolo_command.h"
#include "gpusched/status.h"

namespace gpusched::agent {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kCheckpointMagic =
    "# gpusched fake-yolo checkpoint (not a PyTorch file)";
constexpr std::string_view kResultsHeader = "epoch,time,train/box_loss,metrics/mAP50(B)\n";
constexpr int kMaxEpochs = 1'000'000;

// ---- stop signals ---------------------------------------------------------

volatile std::sig_atomic_t g_stop_signal = 0;

void OnStopSignal(int signo) { g_stop_signal = signo; }

// Owns the SIGTERM and SIGINT handlers for its lifetime.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal = 0;
    struct sigaction action {};
    action.sa_handler = OnStopSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, &old_term_);
    sigaction(SIGINT, &action, &old_int_);
  }
  ~StopSignals() {
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGINT, &old_int_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_term_ {};
  struct sigaction old_int_ {};
};

// Sleeps `seconds` in steps of at most 10 ms; false as soon as a stop
// signal has arrived (checked before the first step too).
bool SleepUnlessStopped(double seconds) {
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(seconds));
  while (g_stop_signal == 0) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) return true;
    std::this_thread::sleep_for(std::min<Clock::duration>(left, std::chrono::milliseconds(10)));
  }
  return false;
}

// ---- arguments ------------------------------------------------------------

tl::unexpected<Error> Usage(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// `key=value` arguments in the order given; a repeated key keeps its first
// position and takes the last value.
class ArgList {
 public:
  void Set(const std::string& key, const std::string& value) {
    for (auto& item : items_) {
      if (item.first == key) {
        item.second = value;
        return;
      }
    }
    items_.emplace_back(key, value);
  }
  const std::string* Find(std::string_view key) const {
    for (const auto& item : items_) {
      if (item.first == key) return &item.second;
    }
    return nullptr;
  }
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

struct CommandLine {
  bool resume = false;
  ArgList args;
};

bool IsTask(std::string_view word) {
  return word == "detect" || word == "segment" || word == "classify" || word == "pose" ||
         word == "obb";
}

Result<CommandLine> ParseCommandLine(const std::vector<std::string>& words) {
  std::size_t i = 0;
  if (i < words.size() && IsTask(words[i])) ++i;
  if (i >= words.size() || words[i] != "train") {
    return Usage(
        "expected `train` (usage: fake-yolo train key=value ... | train resume model=PATH)");
  }
  CommandLine cmd;
  for (++i; i < words.size(); ++i) {
    const std::string& word = words[i];
    const auto eq = word.find('=');
    if (word.find('\n') != std::string::npos) return Usage("argument contains a newline");
    if (word == "resume" || word == "resume=True" || word == "resume=true") {
      cmd.resume = true;
    } else if (eq == std::string::npos || eq == 0 || eq + 1 == word.size()) {
      return Usage("argument \"" + word + "\" is not key=value");
    } else {
      cmd.args.Set(word.substr(0, eq), word.substr(eq + 1));
    }
  }
  return cmd;
}

std::optional<long long> ParseInt(std::string_view s) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::optional<double> ParseNumber(std::string_view s) {
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

// The integer under `key` within [min, max], or `fallback` when absent.
Result<int> IntArg(const ArgList& args, std::string_view key, int min, int max, int fallback) {
  const std::string* text = args.Find(key);
  if (text == nullptr) return fallback;
  const std::optional<long long> value = ParseInt(*text);
  if (!value || *value < min || *value > max) {
    return Usage(fmt::format("{}={}: must be an integer from {} to {}", key, *text, min, max));
  }
  return static_cast<int>(*value);
}

Result<bool> BoolArg(const ArgList& args, std::string_view key, bool fallback) {
  const std::string* text = args.Find(key);
  if (text == nullptr) return fallback;
  if (*text == "True" || *text == "true") return true;
  if (*text == "False" || *text == "false") return false;
  return Usage(fmt::format("{}={}: must be True or False", key, *text));
}

// ---- the plan of one run --------------------------------------------------

struct Plan {
  ArgList args;  // the train arguments, as args.yaml and last.pt record them
  int epochs = 0;
  int save_period = -1;   // <= 0: last.pt every epoch
  bool exist_ok = false;  // reuse {project}/{name} rather than number a new one
  int start_epoch = 1;    // the first epoch to train
  double time_s = 0;      // training seconds before start_epoch
  std::string save_dir;
};

// Checks the arguments a fresh run needs and fills epochs and save_period.
Status ValidateArgs(Plan& plan) {
  for (std::string_view key : {"model", "data", "epochs"}) {
    if (plan.args.Find(key) == nullptr) return Usage(fmt::format("missing {}= (required)", key));
  }
  const std::string* batch = plan.args.Find("batch");
  if (batch != nullptr && !ParseNumber(*batch)) {
    return Usage("batch=" + *batch + ": must be a number");
  }
  Result<int> epochs = IntArg(plan.args, "epochs", 1, kMaxEpochs, 0);
  if (!epochs) return tl::unexpected(epochs.error());
  Result<int> period = IntArg(plan.args, "save_period", -kMaxEpochs, kMaxEpochs, -1);
  if (!period) return tl::unexpected(period.error());
  if (Result<int> imgsz = IntArg(plan.args, "imgsz", 1, 100'000, 640); !imgsz) {
    return tl::unexpected(imgsz.error());
  }
  Result<bool> exist_ok = BoolArg(plan.args, "exist_ok", false);
  if (!exist_ok) return tl::unexpected(exist_ok.error());
  plan.epochs = *epochs;
  plan.save_period = *period;
  plan.exist_ok = *exist_ok;
  return OkStatus();
}

// {project}/{name}, or with exist_ok=False the first free of name2, name3 ...
std::string ChooseSaveDir(const Plan& plan) {
  const std::string* project = plan.args.Find("project");
  const std::string* name = plan.args.Find("name");
  const std::string base = RunFolder(project ? *project : "runs/detect", name ? *name : "train");
  if (plan.exist_ok || !fs::exists(base)) return base;
  for (int n = 2;; ++n) {
    std::string candidate = base + std::to_string(n);
    if (!fs::exists(candidate)) return candidate;
  }
}

Result<Plan> PlanFresh(const ArgList& args) {
  Plan plan;
  plan.args = args;
  if (Status ok = ValidateArgs(plan); !ok) return tl::unexpected(ok.error());
  plan.save_dir = ChooseSaveDir(plan);
  return plan;
}

// ---- last.pt --------------------------------------------------------------

std::string CheckpointText(const Plan& plan, int epoch, double time_s) {
  std::string text = fmt::format("{}\nepoch: {}\nepochs: {}\ntime_s: {:.6f}\nsave_dir: {}\n",
                                 kCheckpointMagic, epoch, plan.epochs, time_s, plan.save_dir);
  for (const auto& [key, value] : plan.args.items())
    text += fmt::format("arg: {}={}\n", key, value);
  return text;
}

// Reads what CheckpointText wrote: the arguments, save_dir, time_s and the
// epoch it holds (as start_epoch - 1).
Result<Plan> ParseCheckpoint(const std::string& path, std::istream& in) {
  auto bad = [&](std::string_view what) {
    return Usage(fmt::format("{}: not a fake-yolo checkpoint ({})", path, what));
  };
  std::string line;
  if (!std::getline(in, line) || line != kCheckpointMagic) return bad("first line");
  Plan plan;
  std::optional<long long> epoch;
  while (std::getline(in, line)) {
    const auto colon = line.find(": ");
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, colon);
    const std::string value = line.substr(colon + 2);
    if (key == "epoch") epoch = ParseInt(value);
    if (key == "time_s") plan.time_s = ParseNumber(value).value_or(0);
    if (key == "save_dir") plan.save_dir = value;
    const auto eq = value.find('=');
    if (key == "arg" && eq != std::string::npos)
      plan.args.Set(value.substr(0, eq), value.substr(eq + 1));
  }
  if (!epoch || *epoch < 0 || *epoch > kMaxEpochs) return bad("epoch");
  if (plan.save_dir.empty()) return bad("save_dir");
  if (Status ok = ValidateArgs(plan); !ok) return bad(ok.error().message);
  plan.start_epoch = static_cast<int>(*epoch) + 1;
  return plan;
}

Result<Plan> PlanResume(const CommandLine& cmd) {
  const std::string* model = cmd.args.Find("model");
  if (model == nullptr) return Usage("resume needs model=PATH/last.pt");
  std::ifstream in(*model);
  if (!in) return Usage(*model + ": cannot read the checkpoint to resume from");
  Result<Plan> plan = ParseCheckpoint(*model, in);
  if (!plan) return plan;
  if (plan->start_epoch > plan->epochs) {
    return MakeError(
        ErrorCode::kFailedPrecondition,
        fmt::format("{} training to {} epochs is finished, nothing to resume.\n"
                    "Start a new training without resuming, i.e. 'yolo train model={}'",
                    *model, plan->epochs, *model));
  }
  // Ultralytics lets these be given again on resume (a new device list, or
  // less memory).
  for (std::string_view key : {"device", "imgsz", "batch"}) {
    if (const std::string* value = cmd.args.Find(key)) plan->args.Set(std::string(key), *value);
  }
  if (Status ok = ValidateArgs(*plan); !ok) return tl::unexpected(ok.error());
  fmt::print("Resuming training {} from epoch {} to {} total epochs\n", *model, plan->start_epoch,
             plan->epochs);
  return plan;
}

// ---- files of the run folder ----------------------------------------------

Status WriteError(const std::string& path) {
  return MakeError(ErrorCode::kFailedPrecondition, path + ": cannot write");
}

Status WriteFile(const std::string& path, const std::string& text, std::ios::openmode mode) {
  std::ofstream out(path, std::ios::binary | mode);
  out << text;
  out.close();
  if (!out) return WriteError(path);
  return OkStatus();
}

Status PrepareSaveDir(const Plan& plan) {
  std::error_code ec;
  fs::create_directories(fs::path(plan.save_dir) / "weights", ec);
  if (ec) return MakeError(ErrorCode::kFailedPrecondition, plan.save_dir + ": " + ec.message());
  std::string yaml;
  for (const auto& [key, value] : plan.args.items()) yaml += key + ": " + value + "\n";
  yaml += "save_dir: " + plan.save_dir + "\n";
  return WriteFile(plan.save_dir + "/args.yaml", yaml, std::ios::trunc);
}

// A falling loss and a rising mAP, the same for an epoch however it is reached.
double BoxLoss(int epoch, int epochs) { return 0.6 + 1.4 * std::exp(-3.0 * epoch / epochs); }
double Map50(int epoch, int epochs) { return 0.85 * (1.0 - std::exp(-4.0 * epoch / epochs)); }

// Appends the row of a finished epoch in one write (the header first when
// the file is new or empty).
Status AppendResultsRow(const Plan& plan, int epoch, double time_s) {
  const std::string path = plan.save_dir + "/results.csv";
  std::error_code ec;
  const bool fresh = !fs::exists(path, ec) || fs::file_size(path, ec) == 0;
  std::string text = fresh ? std::string(kResultsHeader) : std::string();
  text += fmt::format("{},{:.3f},{:.5f},{:.5f}\n", epoch, time_s, BoxLoss(epoch, plan.epochs),
                      Map50(epoch, plan.epochs));
  return WriteFile(path, text, std::ios::app);
}

// Writes weights/last.pt atomically: a temporary file renamed over it.
Status WriteLastPt(const Plan& plan, int epoch, double time_s) {
  const std::string path = plan.save_dir + "/weights/last.pt";
  const std::string temp = path + ".tmp";
  if (Status ok = WriteFile(temp, CheckpointText(plan, epoch, time_s), std::ios::trunc); !ok) {
    return ok;
  }
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) return WriteError(path);
  return OkStatus();
}

// ---- training -------------------------------------------------------------

struct Env {
  double epoch_s = 1.0;
  std::optional<int> fail_at;
  bool save_on_term = true;
};

Result<Env> ReadEnv() {
  Env env;
  if (const char* s = std::getenv("GPUSCHED_FAKE_EPOCH_S")) {
    const std::optional<double> v = ParseNumber(s);
    if (!v || *v < 0)
      return Usage(fmt::format("GPUSCHED_FAKE_EPOCH_S={}: must be seconds >= 0", s));
    env.epoch_s = *v;
  }
  if (const char* s = std::getenv("GPUSCHED_FAKE_FAIL_AT_EPOCH")) {
    const std::optional<long long> v = ParseInt(s);
    if (!v || *v < 1 || *v > kMaxEpochs) {
      return Usage(fmt::format("GPUSCHED_FAKE_FAIL_AT_EPOCH={}: must be an epoch >= 1", s));
    }
    env.fail_at = static_cast<int>(*v);
  }
  const char* save = std::getenv("GPUSCHED_FAKE_SAVE_ON_TERM");
  env.save_on_term = save == nullptr || std::string_view(save) != "0";
  return env;
}

void PrintIllegalMemoryAccess() {
  std::fputs(
      "Traceback (most recent call last):\n"
      "  File \"/usr/local/bin/yolo\", line 8, in <module>\n"
      "    sys.exit(entrypoint())\n"
      "  File \"/usr/local/lib/python3.11/site-packages/ultralytics/engine/trainer.py\", "
      "line 402, in _do_train\n"
      "    self.scaler.scale(self.loss).backward()\n"
      "RuntimeError: CUDA error: an illegal memory access was encountered\n",
      stderr);
  std::fflush(stderr);
}

const char* EnvOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

void PrintStart(const Plan& plan) {
  const std::string* device = plan.args.Find("device");
  fmt::print("fake-yolo: CUDA_VISIBLE_DEVICES={} GPUSCHED_JOB_ID={}\n",
             EnvOr("CUDA_VISIBLE_DEVICES", "(unset)"), EnvOr("GPUSCHED_JOB_ID", "(unset)"));
  fmt::print("fake-yolo: model={} data={} epochs={} device={} -> {}\n", *plan.args.Find("model"),
             *plan.args.Find("data"), plan.epochs, device ? *device : "(default)", plan.save_dir);
  std::fflush(stdout);
}

bool SaveDue(const Plan& plan, int epoch) {
  return plan.save_period <= 0 || epoch % plan.save_period == 0 || epoch == plan.epochs;
}

// After a stop signal: saves the last finished epoch when newer than the
// last save (unless disabled), and gives 128 + the signal.
int Stop(const Plan& plan, const Env& env, int finished, int saved, double time_s) {
  if (env.save_on_term && finished > saved) {
    if (Status ok = WriteLastPt(plan, finished, time_s); !ok) {
      fmt::print(stderr, "fake-yolo: {}\n", ok.error().message);
    } else {
      fmt::print("saved last.pt at epoch {} on SIGTERM\n", finished);
    }
  }
  std::fflush(stdout);
  return 128 + static_cast<int>(g_stop_signal);
}

int Train(const Plan& plan, const Env& env) {
  const Clock::time_point start = Clock::now();
  int saved = plan.start_epoch - 1;  // the epoch the current last.pt holds
  double time_s = plan.time_s;
  for (int epoch = plan.start_epoch; epoch <= plan.epochs; ++epoch) {
    if (!SleepUnlessStopped(env.epoch_s / 2)) return Stop(plan, env, epoch - 1, saved, time_s);
    if (env.fail_at == epoch) {
      PrintIllegalMemoryAccess();
      return 1;
    }
    if (!SleepUnlessStopped(env.epoch_s / 2)) return Stop(plan, env, epoch - 1, saved, time_s);
    time_s = plan.time_s + std::chrono::duration<double>(Clock::now() - start).count();
    Status ok = AppendResultsRow(plan, epoch, time_s);
    if (ok && SaveDue(plan, epoch)) {
      ok = WriteLastPt(plan, epoch, time_s);
      saved = epoch;
    }
    if (!ok) {
      fmt::print(stderr, "fake-yolo: {}\n", ok.error().message);
      return 1;
    }
    fmt::print("Epoch {}/{}: box_loss {:.4f}  mAP50(B) {:.4f}  time {:.2f}s\n", epoch, plan.epochs,
               BoxLoss(epoch, plan.epochs), Map50(epoch, plan.epochs), time_s);
    std::fflush(stdout);
  }
  fmt::print("{} epochs completed. Results saved to {}\n", plan.epochs, plan.save_dir);
  std::fflush(stdout);
  return 0;
}

// Holds an exclusive lock on the run folder until the process ends, so that
// two runs of one job at once (on two nodes sharing the job folders) fail
// loudly instead of writing over each other's checkpoints.
Status LockSaveDir(const Plan& plan) {
  const std::string path = plan.save_dir + "/.fake-yolo.lock";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return MakeError(ErrorCode::kFailedPrecondition, path + ": " + std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return MakeError(ErrorCode::kFailedPrecondition,
                     "another trainer holds " + plan.save_dir + ": two runs of one job at once");
  }
  return OkStatus();  // the descriptor stays open: the lock lasts as long as the process
}

int Fail(const Error& error) {
  fmt::print(stderr, "fake-yolo: {}\n", error.message);
  std::fflush(stderr);
  return error.code == ErrorCode::kInvalidArgument ? 2 : 1;
}

}  // namespace

int RunFakeYolo(const std::vector<std::string>& args) {
  StopSignals signals;
  Result<Env> env = ReadEnv();
  if (!env) return Fail(env.error());
  Result<CommandLine> cmd = ParseCommandLine(args);
  if (!cmd) return Fail(cmd.error());
  Result<Plan> plan = cmd->resume ? PlanResume(*cmd) : PlanFresh(cmd->args);
  if (!plan) return Fail(plan.error());
  if (Status ok = PrepareSaveDir(*plan); !ok) return Fail(ok.error());
  if (Status ok = LockSaveDir(*plan); !ok) return Fail(ok.error());
  PrintStart(*plan);
  return Train(*plan, *env);
}

}  // namespace gpusched::agent
