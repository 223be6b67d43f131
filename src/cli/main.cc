// The `gpusched` binary: maps the command line onto the subcommands in
// commands.h with CLI11. Parse errors print a hint and exit with kExitUsage.
#include <cctype>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "agent/fake_yolo.h"
#include "cli/commands.h"
#include "cli/text_format.h"

namespace gpusched::cli {
namespace {

// `-o text|json`, case-insensitive. The validator rewrites the word to the
// enum's number, which CLI11 then converts.
void AddOutputOption(CLI::App& command, OutputFormat& output) {
  const CLI::Validator format(
      [](std::string& value) -> std::string {
        std::string lower = value;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower == "text" || lower == "json") {
          const OutputFormat parsed = lower == "json" ? OutputFormat::kJson : OutputFormat::kText;
          value = std::to_string(static_cast<int>(parsed));
          return {};
        }
        return "expected text or json, got \"" + value + "\"";
      },
      "text|json", "output format");
  command.add_option("-o,--output", output, "Output format: text (default) or json")
      ->transform(format)
      ->option_text("text|json");
}

// "gpusched: error: <what>", and where to look for usage.
std::string FailureMessage(const CLI::App* app, const CLI::Error& e) {
  std::string message = "gpusched: error: " + std::string(e.what()) + "\n";
  message += "Run '" + app->get_name() + " --help' for usage.\n";
  return message;
}

// Each Add*Command registers one subcommand. Its options live in a shared_ptr
// owned by the callback, which runs the command and stores its exit code.
void AddVersionCommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<VersionOptions>();
  CLI::App* command = app.add_subcommand("version", "Print the gpusched version");
  AddOutputOption(*command, options->output);
  command->callback([options, &exit_code] { exit_code = RunVersion(*options); });
}

void AddCatalogCommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<CatalogOptions>();
  CLI::App* command = app.add_subcommand(
      "catalog", "List the built-in GPU types: memory, speed relative to a T4, aliases");
  AddOutputOption(*command, options->output);
  command->callback([options, &exit_code] { exit_code = RunCatalog(*options); });
}

void AddEstimateCommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<EstimateOptions>();
  CLI::App* command = app.add_subcommand(
      "estimate", "Estimate the per-GPU memory of an Ultralytics YOLO training job");
  command
      ->add_option("-m,--model", options->model,
                   "Weights or config name, e.g. yolov8s.pt, yolo11n-seg.pt")
      ->required();
  command
      ->add_option("-b,--batch", options->batch,
                   "Total batch over all GPUs (default 16); -1: AutoBatch; 0 < b < 1: "
                   "fraction of the card's memory")
      ->option_text("N|-1|FRACTION");
  command->add_option("--imgsz", options->imgsz, "Training image size (default 640)");
  command
      ->add_option("--precision", options->precision, "fp32, or amp: mixed precision (default amp)")
      ->option_text("fp32|amp");
  command->add_option("--gpus", options->gpus, "GPUs the job trains on (DDP)")->default_val(1);
  AddOutputOption(*command, options->output);
  command->callback([options, &exit_code] { exit_code = RunEstimate(*options); });
}

void AddSimCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SimCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "sim", "Replay a trace or scenario in virtual time and compare scheduling policies");
  command->add_option("--cluster", o->cluster,
                      "Cluster file (YAML); optional for philly, pai and tiresias traces");
  command->add_option("--trace", o->trace, "Trace file");
  command->add_option("--format", o->format, "Trace format")
      ->check(CLI::IsMember({"jsonl", "philly", "pai", "tiresias"}))
      ->default_val("jsonl");
  command->add_option("--scenario", o->scenario, "Built-in scenario instead of a trace: factory")
      ->check(CLI::IsMember({"factory"}));
  auto* policy = command->add_option("--policy", o->policy,
                                     "One policy: fifo, priority, k8s or gpusched (default)");
  auto* compare =
      command->add_option("--compare", o->compare, "Policies side by side, e.g. fifo,k8s,gpusched");
  policy->excludes(compare);
  command->add_option("--json", o->json_out, "Write the results as JSON to this file");
  command->add_option("--html", o->html_out, "Write an offline HTML report to this file");
  command->add_option("--seed", o->seed, "Seed for derived classes and scenario jitter")
      ->default_val(1);
  command->add_flag("--per-vc", o->per_vc,
                    "Philly: each virtual cluster on its own (Oct-Nov 2017, philly_vc.csv sizes)");
  command->add_option("--vc-file", o->vc_file, "Per-VC mode: the philly_vc.csv to size VCs by");
  command->add_option("--pai-nodes", o->pai_nodes, "PAI: the node list (default: beside the trace)");
  command
      ->add_option("--checkpoint-interval", o->checkpoint_interval_s,
                   "Real traces: seconds between synthetic checkpoints")
      ->default_val(1800)
      ->check(CLI::PositiveNumber);
  command->add_option("--horizon", o->horizon_s, "Stop at this virtual second (0: run to the end)")
      ->default_val(0)
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--load", o->load,
                   "Arrival-rate multiplier: submit times divided by it (default 1)")
      ->default_val(1.0)
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--cluster-fraction", o->cluster_fraction,
                   "Keep this share of the nodes, evenly spread (default 1)")
      ->default_val(1.0)
      ->check(CLI::Range(0.0, 1.0));
  command->callback([o, &exit_code] { exit_code = RunSim(*o); });
}

void AddServerCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ServerCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "server", "Run the control plane: REST API, durable state, scheduling loop");
  command->add_option("--db", o->db, "SQLite database file (created and migrated if missing)")
      ->default_val("gpusched.db");
  command->add_option("--listen", o->listen, "HOST:PORT to listen on; port 0 picks a free one")
      ->default_val("127.0.0.1:8080");
  command->add_option("--config", o->config,
                      "Server configuration: tenants, classes, policy, tokens (YAML)");
  command->add_option("--admin-token", o->admin_token,
                      "Admin token (else $GPUSCHED_ADMIN_TOKEN); at least 16 characters");
  command->callback([o, &exit_code] { exit_code = RunServer(*o); });
}

void AddAgentCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<AgentCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "agent", "Run the node agent: report this machine's GPUs, run the jobs assigned to it");
  command->add_option("--server", o->server,
                      "Server URL (default: $GPUSCHED_SERVER, else http://127.0.0.1:8080)");
  command->add_option("--token", o->token, "Agent token (default: $GPUSCHED_TOKEN)");
  command->add_option("--node", o->node, "This node's name (default: the host name)");
  command->add_option("--work-dir", o->work_dir,
                      "Runs, logs and the lease file (default: ./gpusched-agent-NODE)");
  command->add_option("--checkpoint-dir", o->checkpoint_dir,
                      "Job folders with checkpoints; shared storage lets jobs resume on other "
                      "nodes (default: WORK_DIR/jobs)");
  command->add_option("--fake-gpus", o->fake_gpus,
                      "Pretend to have these GPUs instead of asking NVML, e.g. \"2xT4,1xA100-40\"");
  command->add_option("--nvml-lib", o->nvml_library,
                      "NVML library to load (default: $GPUSCHED_NVML_LIB, else libnvidia-ml.so.1)");
  command->add_option("--max-temperature", o->max_temperature_c,
                      "A GPU this hot (Celsius) is reported unhealthy")
      ->default_val(90);
  command->add_option("--yolo", o->yolo, "The Ultralytics command, words split on spaces")
      ->default_val("yolo");
  command->add_flag("--docker", o->docker,
                    "Run jobs that name an image in containers (docker run --gpus)");
  command->add_option("--label", o->labels, "A node label, e.g. image:ultralytics (repeatable)");
  command
      ->add_option("--stop-runs-on-exit", o->stop_runs_on_exit_s,
                   "On SIGTERM, stop the runs with this grace in seconds (default 0: leave them "
                   "running for the next agent)")
      ->default_val(0)
      ->check(CLI::NonNegativeNumber);
  command->callback([o, &exit_code] { exit_code = RunAgent(*o); });
}

void AddDemoCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<DemoOptions>();
  CLI::App* command = app.add_subcommand(
      "demo", "Run a server, three agents with fake GPUs and the factory scenario, with a live "
              "timeline (about a minute)");
  command->add_flag("--keep-running", o->keep_running,
                    "After the summary, keep the cluster running for the CLI until Ctrl-C");
  command->add_option("--json", o->json_out, "Write the summary as JSON to this file");
  command->add_option("--work-dir", o->work_dir,
                      "Keep the database, logs and job folders here (default: a temporary "
                      "folder, removed at the end)");
  command->add_option("--epoch-seconds", o->epoch_s, "Length of one training epoch")
      ->default_val(1.0)
      ->check(CLI::Range(0.1, 10.0));
  command->add_flag("--quiet", o->quiet, "Print only the summary");
  command->callback([o, &exit_code] { exit_code = RunDemo(*o); });
}

// --- clients of the REST API ------------------------------------------------

// `--server`, `--token` and `-o`: the options every client command takes.
void AddClientOptions(CLI::App& command, ClientOptions& o) {
  command.add_option("--server", o.server,
                     "Server URL (default: $GPUSCHED_SERVER, else http://127.0.0.1:8080)");
  command.add_option("--token", o.token, "API token (default: $GPUSCHED_TOKEN)");
  AddOutputOption(command, o.output);
}

// A duration ("90s", "15m", "2h", "1d", "1h30m" or seconds), stored as
// seconds. `Seconds` is std::int64_t or std::optional<std::int64_t>.
template <typename Seconds>
CLI::Option* AddDurationOption(CLI::App& command, const std::string& name, Seconds& seconds,
                               const std::string& help) {
  const CLI::Validator duration(
      [](std::string& value) -> std::string {
        Result<std::int64_t> parsed = ParseDuration(value);
        if (!parsed) return parsed.error().message;
        value = std::to_string(*parsed);
        return {};
      },
      "DURATION", "duration");
  return command.add_option(name, seconds, help)->transform(duration)->option_text("DURATION");
}

CLI::Option* AddJobId(CLI::App& command, std::int64_t& id) {
  return command.add_option("ID", id, "Job id")->required()->check(CLI::PositiveNumber);
}

ClientOptions& ClientOf(ClientOptions& o) { return o; }
template <typename Options>
ClientOptions& ClientOf(Options& o) {
  return o.client;
}

// Registers a client command that runs `run` on its options; the caller adds
// the command's own options to the returned subcommand.
template <typename Options>
std::pair<CLI::App*, std::shared_ptr<Options>> AddClientCommand(CLI::App& app, int& exit_code,
                                                                const std::string& name,
                                                                const std::string& help,
                                                                int (*run)(const Options&)) {
  auto o = std::make_shared<Options>();
  CLI::App* command = app.add_subcommand(name, help);
  AddClientOptions(*command, ClientOf(*o));
  command->callback([o, run, &exit_code] { exit_code = run(*o); });
  return {command, o};
}

void AddJobCommands(CLI::App& app, int& exit_code) {
  auto [submit, s] = AddClientCommand(app, exit_code, "submit", "Submit a job file", RunSubmit);
  submit
      ->add_option("FILE", s->file,
                   "Job file (docs/job-spec.md): YAML, JSON if it ends in .json; - reads stdin")
      ->required();
  auto [jobs, j] = AddClientCommand(app, exit_code, "jobs", "List jobs", RunJobs);
  jobs->add_option("--state", j->state, "Only jobs in this state")
      ->check(
          CLI::IsMember({"pending", "running", "stopping", "succeeded", "failed", "cancelled"}));
  jobs->add_option("--tenant", j->tenant, "Only jobs of this tenant");
  jobs->add_option("--class", j->class_name, "Only jobs of this priority class");
  auto [describe, d] =
      AddClientCommand(app, exit_code, "describe",
                       "Show a job: state, placement, why it waits, history", RunDescribe);
  AddJobId(*describe, d->id);
  auto [cancel, c] = AddClientCommand(app, exit_code, "cancel", "Cancel a job", RunCancel);
  AddJobId(*cancel, c->id);
  auto [approve, a] = AddClientCommand(app, exit_code, "approve",
                                       "Approve a job above its tenant's class limit", RunApprove);
  AddJobId(*approve, a->id);
  auto [boost, b] = AddClientCommand(app, exit_code, "boost",
                                     "Raise a job's priority class for a while", RunBoost);
  AddJobId(*boost, b->id);
  boost->add_option("--class", b->class_name, "The class to boost to")->required();
  AddDurationOption(*boost, "--for", b->for_s, "How long the boost lasts")->required();
}

void AddLogsCommand(CLI::App& app, int& exit_code) {
  auto [logs, l] = AddClientCommand(app, exit_code, "logs",
                                    "Print a job's log (its runs' stdout and stderr)", RunLogs);
  AddJobId(*logs, l->id);
  logs->add_option("--tail", l->tail_bytes, "At most this many bytes from the end (default 65536)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1048576}))
      ->option_text("BYTES");
  logs->add_option("--run", l->run, "This run (its assignment id), not the newest")
      ->check(CLI::PositiveNumber);
  logs->add_flag("-f,--follow", l->follow,
                 "Print new output as it comes, through restarts, until the job ends");
}

void AddFreezeCommands(CLI::App& app, int& exit_code) {
  auto [freeze, f] = AddClientCommand(
      app, exit_code, "freeze", "Stop preemptions of the cluster, a tenant or a job", RunFreeze);
  auto [unfreeze, u] = AddClientCommand(app, exit_code, "unfreeze", "Remove a freeze", RunUnfreeze);
  for (auto [command, o] : {std::pair{freeze, f.get()}, std::pair{unfreeze, u.get()}}) {
    CLI::Option* tenant = command->add_option("--tenant", o->tenant, "A tenant's freeze");
    command->add_option("--job", o->job, "A job's freeze")
        ->check(CLI::PositiveNumber)
        ->excludes(tenant);
  }
  AddDurationOption(*freeze, "--for", f->for_s, "How long the freeze lasts")->required();
  AddClientCommand(app, exit_code, "freezes", "List the freezes", RunFreezes);
}

void AddNodeCommands(CLI::App& app, int& exit_code) {
  AddClientCommand(app, exit_code, "nodes", "List the nodes and their GPUs", RunNodes);
  auto [drain, d] = AddClientCommand(app, exit_code, "drain",
                                     "Start no new work on a node (running jobs go on)", RunDrain);
  drain->add_option("NODE", d->node, "Node name")->required();
  auto [undrain, u] =
      AddClientCommand(app, exit_code, "undrain", "Let a drained node take work", RunUndrain);
  undrain->add_option("NODE", u->node, "Node name")->required();
}

void AddReportCommands(CLI::App& app, int& exit_code) {
  auto [sla, s] = AddClientCommand(app, exit_code, "sla",
                                   "SLA attainment and waits per priority class", RunSla);
  AddDurationOption(*sla, "--window", s->window_s, "Jobs started within this window (e.g. 1h)");
  auto [events, e] =
      AddClientCommand(app, exit_code, "events", "The scheduler's event log", RunEvents);
  events->add_option("--job", e->job, "Only this job's events")->check(CLI::PositiveNumber);
  events->add_option("--kind", e->kind, "Only events whose kind starts with this");
  events->add_option("--limit", e->limit, "At most this many events")->check(CLI::PositiveNumber);
  events->add_option("--after", e->after, "Only events after this sequence number")
      ->check(CLI::NonNegativeNumber);
}

}  // namespace
}  // namespace gpusched::cli

int main(int argc, char** argv) {
  using namespace gpusched::cli;
  // The agent's helper processes take their arguments as they are.
  if (argc >= 2 && (std::string(argv[1]) == "run-shim" || std::string(argv[1]) == "fake-yolo")) {
    const std::vector<std::string> args(argv + 2, argv + argc);
    return std::string(argv[1]) == "run-shim" ? RunShimCommand(args) : gpusched::agent::RunFakeYolo(args);
  }
  CLI::App app{"gpusched: schedules deep-learning training jobs on a shared GPU fleet", "gpusched"};
  app.require_subcommand(1);
  app.failure_message(FailureMessage);
  app.set_version_flag("--version", std::string("gpusched ") + Version());

  int exit_code = kExitOk;
  AddVersionCommand(app, exit_code);
  AddCatalogCommand(app, exit_code);
  AddEstimateCommand(app, exit_code);
  AddSimCommand(app, exit_code);
  AddServerCommand(app, exit_code);
  AddAgentCommand(app, exit_code);
  AddDemoCommand(app, exit_code);
  AddJobCommands(app, exit_code);
  AddLogsCommand(app, exit_code);
  AddFreezeCommands(app, exit_code);
  AddNodeCommands(app, exit_code);
  AddReportCommands(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here too, with exit code 0.
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}
