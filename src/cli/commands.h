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
#include <vector>

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

// `gpusched agent`: the node agent. Runs until SIGINT or SIGTERM; its runs
// keep running for a restarted agent unless stop_runs_on_exit_s > 0.
struct AgentCommandOptions {
  std::string server;  // empty: $GPUSCHED_SERVER, else http://127.0.0.1:8080
  std::string token;   // empty: $GPUSCHED_TOKEN
  std::string node;    // empty: the host name
  std::string work_dir;        // empty: ./gpusched-agent-<node>
  std::string checkpoint_dir;  // empty: <work_dir>/jobs
  std::string fake_gpus;       // "2xT4,1xA100-40"; empty: NVML
  std::string nvml_library;    // empty: $GPUSCHED_NVML_LIB, else libnvidia-ml.so.1
  int max_temperature_c = 90;
  std::string yolo = "yolo";   // the `yolo` program, words split on spaces
  bool docker = false;
  std::vector<std::string> labels;
  int stop_runs_on_exit_s = 0;
};
int RunAgent(const AgentCommandOptions& options);

// `gpusched run-shim ...` (started by the agent, see agent/process.h).
int RunShimCommand(const std::vector<std::string>& args);

// `gpusched demo`: a server, three agents with fake GPUs and the factory
// scenario in compressed time, with a live timeline and a summary.
struct DemoOptions {
  bool keep_running = false;  // after the summary, keep serving until Ctrl-C
  std::string json_out;       // the summary as JSON, for tests
  std::string work_dir;       // empty: a new folder under $TMPDIR, removed at the end
  double epoch_s = 1.0;       // one training epoch, in seconds
  bool quiet = false;         // no timeline, only the summary
};
int RunDemo(const DemoOptions& options);

// --- Clients of the REST API of `gpusched server` (docs/openapi.yaml) ------
// Each prints the answer as text, or with -o json the server's JSON body as
// it came. A server that cannot be reached or answers with an error is one
// line on stderr and kExitFailure.

// Options every client command takes.
struct ClientOptions {
  std::string server;  // base URL; empty: $GPUSCHED_SERVER, else http://127.0.0.1:8080
  std::string token;   // bearer token; empty: $GPUSCHED_TOKEN, else none
  OutputFormat output = OutputFormat::kText;
};

// `gpusched submit FILE`: a YAML job file (JSON when FILE ends in .json;
// "-" reads standard input). An unreadable file is kExitUsage, naming it.
struct SubmitOptions {
  ClientOptions client;
  std::string file;
};
int RunSubmit(const SubmitOptions& options);

// `gpusched jobs`: the jobs the token may see; empty filters match all.
struct JobsOptions {
  ClientOptions client;
  std::string state;
  std::string tenant;
  std::string class_name;
};
int RunJobs(const JobsOptions& options);

// `gpusched describe|cancel|approve ID`.
struct JobOptions {
  ClientOptions client;
  std::int64_t id = 0;
};
int RunDescribe(const JobOptions& options);
int RunCancel(const JobOptions& options);
int RunApprove(const JobOptions& options);

// `gpusched boost ID --class C --for DURATION`.
struct BoostOptions {
  ClientOptions client;
  std::int64_t id = 0;
  std::string class_name;
  std::int64_t for_s = 0;  // > 0
};
int RunBoost(const BoostOptions& options);

// `gpusched logs ID [--tail BYTES] [--run R] [-f|--follow]`: the job's run
// log as it is (stdout and stderr together; -o json: the server's answer).
// Without --run, the newest run that has logs. With --follow, polls every
// second for new output, into the job's next run when it restarts, until
// the job has ended and its log is drained.
struct LogsOptions {
  ClientOptions client;
  std::int64_t id = 0;
  std::optional<std::int64_t> tail_bytes;  // 1 to 1 MiB; nullopt: the server's 64 KiB
  std::optional<std::int64_t> run;
  bool follow = false;
};
int RunLogs(const LogsOptions& options);

// `gpusched freeze [--tenant T | --job ID] --for DURATION` and `unfreeze`
// (which ignores for_s). Neither tenant nor job: the whole cluster.
struct FreezeOptions {
  ClientOptions client;
  std::string tenant;
  std::optional<std::int64_t> job;
  std::int64_t for_s = 0;
};
int RunFreeze(const FreezeOptions& options);
int RunUnfreeze(const FreezeOptions& options);
// `gpusched freezes`, `gpusched nodes`.
int RunFreezes(const ClientOptions& options);
int RunNodes(const ClientOptions& options);

// `gpusched drain|undrain NODE`.
struct NodeOptions {
  ClientOptions client;
  std::string node;
};
int RunDrain(const NodeOptions& options);
int RunUndrain(const NodeOptions& options);

// `gpusched sla [--window DURATION]`; no window: the server's default.
struct SlaOptions {
  ClientOptions client;
  std::optional<std::int64_t> window_s;
};
int RunSla(const SlaOptions& options);

// `gpusched events [--job ID] [--kind PREFIX] [--limit N] [--after SEQ]`.
struct EventsOptions {
  ClientOptions client;
  std::optional<std::int64_t> job;
  std::string kind;
  std::optional<std::int64_t> limit;
  std::optional<std::int64_t> after;
};
int RunEvents(const EventsOptions& options);

}  // namespace gpusched::cli
