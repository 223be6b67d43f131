// `gpusched agent`: the node agent, and the two helpers it runs as separate
// processes (`run-shim`, `fake-yolo`).
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agent/agent.h"
#include "agent/fake_gpus.h"
#include "agent/nvml.h"
#include "agent/process.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace gpusched::cli {
namespace {

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "node";
  return name;
}

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

Result<std::unique_ptr<agent::GpuSource>> OpenGpus(const AgentCommandOptions& o,
                                                   const std::string& node) {
  static const GpuCatalog catalog = GpuCatalog::BuiltIn();
  if (!o.fake_gpus.empty()) return agent::MakeFakeGpus(o.fake_gpus, catalog, node);
  return agent::OpenNvml(agent::NvmlOptions{o.nvml_library, o.max_temperature_c}, catalog);
}

}  // namespace

int RunAgent(const AgentCommandOptions& o) {
  agent::AgentOptions options;
  const ClientOptions client{o.server, o.token, OutputFormat::kText};
  options.server = ResolveServer(client);
  options.token = ResolveToken(client);
  options.node = o.node.empty() ? HostName() : o.node;
  options.work_dir = o.work_dir.empty() ? "gpusched-agent-" + options.node : o.work_dir;
  options.checkpoint_dir = o.checkpoint_dir;
  options.yolo = Words(o.yolo);
  options.docker = o.docker;
  options.labels = o.labels;
  options.stop_runs_on_exit = std::chrono::seconds(o.stop_runs_on_exit_s);
  spdlog::set_pattern(fmt::format("%H:%M:%S.%e %^%-5l%$ agent {}: %v", options.node));
  if (o.docker) {
    if (Status docker = agent::CheckDockerEngine(); !docker) {
      PrintError("agent", docker.error().message);
      return kExitFailure;
    }
  }
  Result<std::unique_ptr<agent::GpuSource>> gpus = OpenGpus(o, options.node);
  if (!gpus) {
    PrintError("agent", gpus.error().message);
    return kExitFailure;
  }
  Result<std::unique_ptr<agent::Agent>> a = agent::Agent::Create(options, std::move(*gpus));
  if (!a) {
    PrintError("agent", a.error().message);
    return a.error().code == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  // Block the stop signals in every thread; a watcher thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    const timespec tick{0, 100'000'000};
    while (!done) {
      const int sig = sigtimedwait(&stop_signals, nullptr, &tick);
      if (sig > 0) {
        spdlog::info("{} received, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
        stop = true;
      }
    }
  });
  const int code = (*a)->Run(stop);
  done = true;
  watcher.join();
  return code == 0 ? kExitOk : kExitFailure;
}

int RunShimCommand(const std::vector<std::string>& args) { return agent::RunShim(args); }

}  // namespace gpusched::cli
