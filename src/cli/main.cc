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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here too, with exit code 0.
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}
