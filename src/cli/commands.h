// The subcommands of the `gpusched` binary. Each one takes its parsed options
// as a plain struct and returns the process exit code; main.cc maps the
// command line onto these structs with CLI11, so the commands themselves do
// not depend on the argument parser.
//
// Output: results go to stdout, errors to stderr as one line that names the
// option at fault. No exception escapes a Run* function.
#pragma once

#include <cstdint>
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

// `gpusched sim`: replays a trace (or the built-in scenario) in virtual time
// through the scheduling core under one or more policies and reports waits,
// SLA attainment, JCT, utilization, preemptions and lost work.
struct SimCommandOptions {
  std::string cluster;          // cluster file; empty: the format's preset
  std::string trace;            // trace file
  std::string format = "jsonl"; // jsonl | philly | pai | tiresias
  std::string scenario;         // "factory"
  std::string policy;           // one policy, or
  std::string compare;          // "fifo,priority,k8s,gpusched"
  std::string json_out;         // --json FILE
  std::string html_out;         // --html FILE
  std::uint64_t seed = 1;
  bool per_vc = false;
  std::string vc_file;          // per-VC mode: philly_vc.csv
  std::string pai_nodes;        // PAI node list
  std::int64_t checkpoint_interval_s = 1800;
  std::int64_t horizon_s = 0;
  double load = 1.0;
  double cluster_fraction = 1.0;
};
int RunSim(const SimCommandOptions& options);

// `gpusched server`: the control plane. Runs until SIGINT or SIGTERM, then
// stops cleanly (every acknowledged change durable).
struct ServerCommandOptions {
  std::string db = "gpusched.db";      // SQLite file, created if missing
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free one
  std::string config;                  // server configuration file (YAML)
  std::string admin_token;             // else $GPUSCHED_ADMIN_TOKEN
};
int RunServer(const ServerCommandOptions& options);

}  // namespace gpusched::cli
