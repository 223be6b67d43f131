// The subcommands of the `gpusched` binary. Each one takes its parsed options
// as a plain struct and returns the process exit code; main.cc maps the
// command line onto these structs with CLI11, so the commands themselves do
// not depend on the argument parser.
//
// Output: results go to stdout, errors to stderr as one line that names the
// option at fault. No exception escapes a Run* function.
#pragma once

#include <optional>
#include <string>

namespace gpusched::cli {

// Process exit codes shared by all subcommands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command could not do its work
inline constexpr int kExitUsage = 2;    // bad command line or bad input value

enum class OutputFormat { kText, kJson };

// `gpusched version`: prints the program name and version.
struct VersionOptions {
  OutputFormat output = OutputFormat::kText;
};
int RunVersion(const VersionOptions& options);

// The version string compiled into the binary ("0.1.0").
const char* Version();

// `gpusched catalog`: lists the built-in GPU types.
struct CatalogOptions {
  OutputFormat output = OutputFormat::kText;
};
int RunCatalog(const CatalogOptions& options);

// `gpusched estimate`: the per-GPU memory need of an Ultralytics YOLO
// training job. Fields left empty take Ultralytics' defaults.
struct EstimateOptions {
  std::string model;                 // "yolov8s.pt", "yolo11n-seg.yaml", ...
  std::optional<std::string> batch;  // "32", "-1" (AutoBatch) or "0.7" (fraction)
  std::optional<int> imgsz;
  std::optional<std::string> precision;  // "fp32" or "amp"
  int gpus = 1;
  OutputFormat output = OutputFormat::kText;
};
int RunEstimate(const EstimateOptions& options);

}  // namespace gpusched::cli
