// The `gpusched` binary: maps the command line onto the subcommands in
// commands.h with CLI11. Parse errors print a hint and exit with kExitUsage.
#include <cctype>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

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

}  // namespace
}  // namespace gpusched::cli

int main(int argc, char** argv) {
  using namespace gpusched::cli;
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here too, with exit code 0.
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}
