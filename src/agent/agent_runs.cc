// The agent's runs: start what the server assigns, stop what it tells to stop
// (or no longer assigns), watch progress, checkpoints, memory and logs, and
// report each exit once.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "agent/agent_state.h"
#include "agent/log_text.h"
#include "agent/yolo_command.h"

namespace gpusched::agent {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::int64_t kLogChunk = 64 * 1024;      // bytes per log report
constexpr std::int64_t kLogResend = 1024 * 1024;   // after a restart: the last MiB
constexpr std::size_t kTailBytes = 2048;           // of a failed run's log, in its report

RunReport NewReport(std::uint64_t assignment, const char* kind) {
  RunReport r;
  r.assignment = assignment;
  r.kind = kind;
  return r;
}

RunReport WithEpoch(RunReport r, int epoch) {
  r.epoch = epoch;
  return r;
}

std::string RecordPath(const LocalRun& r) { return r.dir + "/run.json"; }
std::string LogPath(const LocalRun& r) { return r.dir + "/output.log"; }
std::string ExitPath(const LocalRun& r) { return r.dir + "/exit"; }
std::string ReportedPath(const LocalRun& r) { return r.dir + "/reported"; }

void SaveRecord(const LocalRun& r) {
  const json o{{"id", r.id},
               {"job", r.job},
               {"pgid", r.pgid},
               {"run_folder", r.run_folder},
               {"resume_epoch", r.resume_epoch}};
  const std::string tmp = RecordPath(r) + ".tmp";
  std::ofstream(tmp) << o.dump() << "\n";
  std::error_code ec;
  fs::rename(tmp, RecordPath(r), ec);
  if (ec) spdlog::error("cannot write \"{}\": {}", RecordPath(r), ec.message());
}

std::optional<LocalRun> LoadRecord(const fs::path& dir) {
  std::ifstream in(dir / "run.json");
  const json o = json::parse(in, nullptr, false);
  if (o.is_discarded() || !o.is_object()) return std::nullopt;
  LocalRun r;
  try {
    r.id = o.at("id").get<std::uint64_t>();
    r.job = o.at("job").get<JobId>();
    r.pgid = o.at("pgid").get<pid_t>();
    r.run_folder = o.at("run_folder").get<std::string>();
    r.resume_epoch = o.at("resume_epoch").get<int>();
  } catch (const json::exception&) {
    return std::nullopt;
  }
  r.dir = dir.string();
  return r;
}

void AppendLog(const std::string& path, const std::string& line) {
  std::ofstream(path, std::ios::app) << "gpusched: " << line << "\n";
}

// The last `bytes` of the file, from a line start when possible.
std::string Tail(const std::string& path, std::size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(std::max<std::streamoff>(0, in.tellg()));
  const std::size_t from = size > bytes ? size - bytes : 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::string text(size - from, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (from > 0) {
    const auto nl = text.find('\n');
    if (nl != std::string::npos && nl + 1 < text.size()) text.erase(0, nl + 1);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

std::int64_t FileSize(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : 0;
}

}  // namespace

// After an agent restart: every run folder without a "reported" mark is a
// run this node still owes the server news of: alive, or ended meanwhile.
void Agent::State::Recover() {
  const fs::path dir = fs::path(options.work_dir) / "runs";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_directory() || fs::exists(entry.path() / "reported")) continue;
    std::optional<LocalRun> run = LoadRecord(entry.path());
    if (!run) continue;
    run->tracker = ProgressTracker(run->resume_epoch);
    run->checkpoint_epoch = run->resume_epoch;
    run->log_sent = std::max<std::int64_t>(0, FileSize(LogPath(*run)) - kLogResend);
    run->last_epoch_at = Clock::now();
    // The supervisor records the status once the trainer is gone, so a
    // recorded status means the run is over even if its leader lingers as a
    // zombie nobody reaped.
    std::optional<ExitStatus> recorded = ReadExitFile(ExitPath(*run));
    if (recorded || !GroupAlive(run->pgid)) {
      run->exit = recorded.value_or(ExitStatus{137, "ended while the agent was down; no exit status"});
    }
    spdlog::info("found run {} of job {}: {}", run->id, run->job,
                 run->exit ? run->exit->detail : "still running");
    runs.emplace(run->id, std::move(*run));
  }
}

std::vector<std::uint64_t> Agent::State::LiveRunIds() const {
  std::vector<std::uint64_t> ids;
  for (const auto& [id, run] : runs) {
    if (!run.exit_reported) ids.push_back(id);
  }
  return ids;
}

void Agent::State::ApplyAssignments(const AssignmentList& list) {
  std::set<std::uint64_t> listed;
  for (const Assignment& a : list.assignments) {
    listed.insert(a.id);
    auto it = runs.find(a.id);
    if (it == runs.end()) {
      if (fs::exists(fmt::format("{}/runs/{}/run.json", options.work_dir, a.id))) {
        // It ran here and its end was reported: a list from before the
        // server took that in. Never start a run twice.
        continue;
      }
      if (a.stop) {
        // Told to stop before it ever started here: nothing to save.
        outbox.push_back(NewReport(a.id, "preempted"));
      } else {
        Start(a);
      }
    } else if (a.stop && !it->second.stopping && !it->second.exit) {
      BeginStop(it->second, std::chrono::seconds(a.stop_in_s), true);
    }
  }
  for (auto& [id, run] : runs) {
    if (listed.contains(id)) continue;
    if (!run.exit) {
      if (!run.stopping || run.report) {
        spdlog::warn("run {} of job {} is no longer assigned here: stopping it", id, run.job);
        BeginStop(run, std::chrono::seconds(10), false);
      }
    } else {
      run.exit_reported = true;  // the server is done with it
    }
  }
  ForgetReported();
}

void Agent::State::Start(const Assignment& a) {
  LocalRun run;
  run.id = a.id;
  run.job = a.job;
  run.dir = fmt::format("{}/runs/{}", options.work_dir, a.id);
  std::error_code dir_error;
  fs::create_directories(run.dir, dir_error);
  if (dir_error) {
    // Nowhere to keep its log or record: report it as not started, once.
    spdlog::error("run {} of job {}: cannot create \"{}\": {}", a.id, a.job, run.dir,
                  dir_error.message());
    RunReport r = WithEpoch(NewReport(a.id, "exited"), 0);
    r.exit_code = 127;
    r.message = fmt::format("the agent cannot create \"{}\": {}", run.dir, dir_error.message());
    outbox.push_back(std::move(r));
    return;
  }
  auto fail = [&](const std::string& why) {
    spdlog::error("run {} of job {}: {}", a.id, a.job, why);
    AppendLog(LogPath(run), why);
    run.exit = ExitStatus{127, why};
    SaveRecord(run);
    runs.emplace(a.id, std::move(run));
  };
  if (!a.spec) return fail("cannot read the job's spec: " + a.spec_error);
  const std::string last_pt =
      RunFolder(JobFolder(launch.checkpoint_root, a.job), RunName(a)) + "/weights/last.pt";
  const Launch l = BuildLaunch(a, launch, fs::exists(last_pt));
  std::error_code ec;
  fs::create_directories(l.run_folder, ec);
  if (ec) return fail(fmt::format("cannot create the job folder \"{}\": {}", l.run_folder, ec.message()));
  run.run_folder = l.run_folder;
  run.resume_epoch = l.resumed ? a.resume_epoch : 0;
  run.tracker = ProgressTracker(run.resume_epoch);
  run.checkpoint_epoch = run.resume_epoch;
  if (!l.note.empty()) AppendLog(LogPath(run), l.note);
  SpawnRequest req{l.argv, {}, l.run_folder, LogPath(run), ExitPath(run), lease_path, options.shim};
  for (const auto& [key, value] : l.env) req.env[key] = value;
  Result<pid_t> pid = SpawnRun(req);
  if (!pid) return fail(pid.error().message);
  run.pgid = *pid;
  run.child = true;
  run.last_epoch_at = Clock::now();
  SaveRecord(run);
  spdlog::info("run {} of job {} started on GPUs {} (pid {}){}", a.id, a.job,
               fmt::join(a.gpus, ","), *pid,
               l.resumed ? fmt::format(", resuming from epoch {}", a.resume_epoch) : "");
  outbox.push_back(NewReport(a.id, "started"));
  runs.emplace(a.id, std::move(run));
}

void Agent::State::BeginStop(LocalRun& run, std::chrono::seconds grace, bool report) {
  run.report = report;
  if (run.stopping) {
    run.kill_at = std::min(run.kill_at, Clock::now() + grace);
    return;
  }
  run.stopping = true;
  run.kill_at = Clock::now() + grace;
  spdlog::info("run {} of job {}: SIGTERM, {} s to save before SIGKILL", run.id, run.job,
               grace.count());
  AppendLog(LogPath(run), fmt::format("stopping: SIGTERM, SIGKILL in {} s", grace.count()));
  SignalGroup(run.pgid, SIGTERM);
}

// Collects exits: of children by waitpid, of recovered runs by their group
// disappearing. Kills runs whose grace is over.
void Agent::State::Reap() {
  int status = 0;
  pid_t pid = 0;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (auto& [id, run] : runs) {
      if (run.pgid != pid || run.exit) continue;
      run.exit = ReadExitFile(ExitPath(run)).value_or(FromWaitStatus(status));
    }
  }
  const auto now = Clock::now();
  for (auto& [id, run] : runs) {
    if (run.exit) continue;
    std::optional<ExitStatus> recorded;
    if (!run.child) recorded = ReadExitFile(ExitPath(run));
    if (!run.child && (recorded || !GroupAlive(run.pgid))) {
      run.exit = recorded.value_or(ExitStatus{137, "ended; no exit status"});
    } else if (run.stopping && !run.killed && now >= run.kill_at) {
      spdlog::warn("run {} of job {}: grace over, SIGKILL", id, run.job);
      AppendLog(LogPath(run), "grace over: SIGKILL");
      SignalGroup(run.pgid, SIGKILL);
      run.killed = true;
    }
  }
}

// Progress and checkpoints from the run folder, and new log bytes.
void Agent::State::Observe(LocalRun& run) {
  if (!run.run_folder.empty()) {
    const ProgressTracker::Events ev = run.tracker.Observe(ReadRunFiles(run.run_folder));
    const auto now = Clock::now();
    for (int epoch : ev.epochs) {
      // An epoch's length only when it followed the previous one in this run.
      double seconds = 0;
      if (run.last_epoch > run.resume_epoch && epoch == run.last_epoch + 1 && ev.epochs.size() == 1) {
        seconds = std::chrono::duration<double>(now - run.last_epoch_at).count();
      }
      RunReport r = WithEpoch(NewReport(run.id, "epoch"), epoch);
      r.epoch_s = seconds;
      outbox.push_back(std::move(r));
      run.last_epoch = epoch;
      run.last_epoch_at = now;
    }
    if (ev.checkpoint && *ev.checkpoint > run.checkpoint_epoch) {
      run.checkpoint_epoch = *ev.checkpoint;
      outbox.push_back(WithEpoch(NewReport(run.id, "checkpoint"), *ev.checkpoint));
    }
  }
  const std::int64_t size = FileSize(LogPath(run));
  if (size < run.log_sent) run.log_sent = 0;  // truncated
  while (run.log_sent < size) {
    const std::int64_t n = std::min(kLogChunk, size - run.log_sent);
    std::ifstream in(LogPath(run), std::ios::binary);
    in.seekg(run.log_sent);
    std::string text(static_cast<std::size_t>(n), '\0');
    in.read(text.data(), n);
    text.resize(static_cast<std::size_t>(in.gcount()));
    // Whole characters only, unless the run is over and nothing will follow.
    if (!run.exit) text.resize(CompleteUtf8Prefix(text));
    if (text.empty()) break;
    ReplaceInvalidUtf8(text);
    RunReport r = NewReport(run.id, "log");
    r.offset = run.log_sent;
    r.text = std::move(text);
    run.log_sent += static_cast<std::int64_t>(r.text.size());
    outbox.push_back(std::move(r));
  }
}

// Peak memory per run: the GPU processes NVML lists, matched to runs by
// process group.
void Agent::State::ObserveMemory() {
  std::map<pid_t, MiB> per_group;  // summed per GPU, max over GPUs
  for (const GpuInfo& g : gpus) {
    std::map<pid_t, MiB> on_gpu;
    for (const GpuProcess& p : g.processes) {
      const pid_t group = GroupOf(p.pid);
      if (group > 0) on_gpu[group] += p.used_mib;
    }
    for (const auto& [group, mib] : on_gpu) per_group[group] = std::max(per_group[group], mib);
  }
  for (auto& [id, run] : runs) {
    auto it = per_group.find(run.pgid);
    if (run.exit || it == per_group.end() || it->second <= run.peak_reported) continue;
    run.peak_reported = it->second;
    RunReport r = NewReport(id, "memory");
    r.peak_mib = it->second;
    outbox.push_back(std::move(r));
  }
}

// The exit report, once: after the last progress and log bytes.
void Agent::State::FinishRun(LocalRun& run) {
  Observe(run);
  SignalGroup(run.pgid, SIGKILL);  // strays of a finished run
  run.finished = true;
  if (!run.report) {
    run.exit_reported = true;
    spdlog::info("run {} of job {} stopped ({})", run.id, run.job, run.exit->detail);
    return;
  }
  std::string message = run.exit->detail;
  if (run.exit->code != 0 && !run.stopping) {
    const std::string tail = Tail(LogPath(run), kTailBytes);
    if (!tail.empty()) message += "; log tail:\n" + tail;
  }
  spdlog::info("run {} of job {} ended: {}{}", run.id, run.job, run.exit->detail,
               run.stopping ? fmt::format(", checkpoint at epoch {}", run.checkpoint_epoch) : "");
  RunReport r = WithEpoch(NewReport(run.id, "exited"), run.stopping ? run.checkpoint_epoch : 0);
  r.exit_code = run.exit->code;
  r.message = std::move(message);
  outbox.push_back(std::move(r));
}

// Runs whose end the server has taken in are marked on disk (a restarted
// agent skips them) and dropped from memory; their folders keep the logs.
void Agent::State::ForgetReported() {
  for (auto it = runs.begin(); it != runs.end();) {
    if (it->second.exit_reported) {
      std::ofstream(ReportedPath(it->second));
      it = runs.erase(it);
    } else {
      ++it;
    }
  }
}

void Agent::State::StopAll(std::chrono::seconds grace) {
  for (auto& [id, run] : runs) {
    if (!run.exit) BeginStop(run, grace, true);
  }
  const auto deadline = Clock::now() + grace + std::chrono::seconds(5);
  while (Clock::now() < deadline) {
    Reap();
    const bool all = std::all_of(runs.begin(), runs.end(), [](const auto& r) { return r.second.exit.has_value(); });
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace gpusched::agent
