// Loading a simulation's inputs and replaying them under each policy.
#include "sim/sim_run.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <map>

#include "sim/file_text.h"
#include "sim/policies.h"
#include "sim/presets.h"
#include "sim/scenario_factory.h"
#include "sim/trace_readers.h"

namespace gpusched::sim {
namespace {

namespace fs = std::filesystem;

// One cluster and the jobs replayed on it.
struct Part {
  std::string name;  // VC id in per-VC mode, else empty
  ClusterConfig config;
  std::vector<TraceJob> trace;
};

struct Inputs {
  GpuCatalog catalog = GpuCatalog::BuiltIn();
  std::vector<Part> parts;
  ReportContext context;
};

template <typename T>
Result<T> Annotate(Result<T> r, std::string_view path) {
  if (r) return r;
  return MakeError(r.error().code, fmt::format("{}: {}", path, r.error().message));
}

std::string Sibling(const std::string& file, std::string_view relative) {
  return (fs::path(file).parent_path() / fs::path(relative)).lexically_normal().string();
}

int GpuCount(const ClusterConfig& c) {
  int n = 0;
  for (const NodeSpec& node : c.nodes) n += static_cast<int>(node.gpus.size());
  return n;
}

std::string Describe(const ClusterConfig& c) {
  return fmt::format("{} nodes, {} GPUs", c.nodes.size(), GpuCount(c));
}

// The cluster file, or the preset the format implies.
Result<ClusterConfig> LoadCluster(const SimRequest& req, Inputs& in) {
  if (!req.cluster_path.empty()) {
    Result<std::string> text = ReadFileText(req.cluster_path);
    if (!text) return tl::unexpected(text.error());
    return Annotate(ParseClusterFile(*text, in.catalog), req.cluster_path);
  }
  switch (req.format) {
    case TraceFormat::kPhilly: {
      Preset p = PhillyPreset();
      in.catalog = p.catalog;
      return p.config;
    }
    case TraceFormat::kPai: {
      const std::string nodes = req.pai_nodes_path.empty()
                                    ? Sibling(req.trace_path, "openb_node_list_gpu_node.csv")
                                    : req.pai_nodes_path;
      Result<std::string> text = ReadFileText(nodes);
      if (!text) return tl::unexpected(text.error());
      Result<Preset> p = Annotate(PaiPreset(*text), nodes);
      if (!p) return tl::unexpected(p.error());
      in.catalog = p->catalog;
      return p->config;
    }
    case TraceFormat::kTiresias: {
      Preset p = TiresiasPreset();
      in.catalog = p.catalog;
      return p.config;
    }
    case TraceFormat::kJsonl:
      break;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "--cluster is required for a jsonl trace (only philly, pai and tiresias "
                   "traces have a built-in cluster)");
}

Result<TraceRead> ReadTrace(const SimRequest& req, std::string_view text,
                            const std::set<std::string, std::less<>>& vcs) {
  switch (req.format) {
    case TraceFormat::kJsonl: {
      Result<std::vector<TraceJob>> jobs = ParseTraceJsonl(text);
      if (!jobs) return tl::unexpected(jobs.error());
      TraceRead read;
      read.stats.rows = read.stats.kept = static_cast<int>(jobs->size());
      read.jobs = std::move(*jobs);
      return read;
    }
    case TraceFormat::kPhilly: {
      PhillyOptions o;
      o.seed = req.seed;
      o.checkpoint_interval_s = req.checkpoint_interval_s;
      if (req.per_vc) {
        o.window = HeliosPhillyWindow();
        o.vcs = vcs;
      }
      return ParsePhillyCsv(text, o);
    }
    case TraceFormat::kPai: {
      PaiOptions o;
      o.checkpoint_interval_s = req.checkpoint_interval_s;
      return ParsePaiPods(text, o);
    }
    case TraceFormat::kTiresias: {
      TiresiasOptions o;
      o.seed = req.seed;
      o.checkpoint_interval_s = req.checkpoint_interval_s;
      return ParseTiresiasCsv(text, o);
    }
  }
  return MakeError(ErrorCode::kInvalidArgument, "unknown trace format");
}

std::string DroppedText(const ReadStats& stats) {
  std::string out;
  for (const auto& [why, n] : stats.dropped) {
    out += fmt::format("{}{} {}", out.empty() ? "" : "; ", n, why);
  }
  return out.empty() ? "none" : out;
}

// Per-VC mode: one part per VC of the list, with that VC's jobs.
Status SplitByVc(const SimRequest& req, const Inputs& in, std::vector<TraceJob> jobs,
                 std::vector<Preset>& presets, std::vector<Part>& parts) {
  std::map<std::string, std::vector<TraceJob>, std::less<>> by_vc;
  for (TraceJob& j : jobs) by_vc[j.tenant].push_back(std::move(j));
  for (Preset& p : presets) {
    Part part;
    part.name = p.name.substr(p.name.rfind('-') + 1);
    part.config = std::move(p.config);
    part.trace = std::move(by_vc[part.name]);
    parts.push_back(std::move(part));
  }
  (void)req;
  (void)in;
  return OkStatus();
}

Status LoadPerVc(const SimRequest& req, Inputs& in) {
  if (req.format != TraceFormat::kPhilly) {
    return MakeError(ErrorCode::kInvalidArgument, "--per-vc needs --format philly");
  }
  if (!req.cluster_path.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--per-vc sizes each virtual cluster from --vc-file; --cluster does not apply");
  }
  const std::string vc_path = req.vc_path.empty()
                                  ? Sibling(req.trace_path, "../philly-helios-qssf/philly_vc.csv")
                                  : req.vc_path;
  Result<std::string> vc_text = ReadFileText(vc_path);
  if (!vc_text) return tl::unexpected(vc_text.error());
  Result<std::vector<Preset>> presets = Annotate(PhillyVcPresets(*vc_text), vc_path);
  if (!presets) return tl::unexpected(presets.error());
  std::set<std::string, std::less<>> vcs;
  for (const Preset& p : *presets) vcs.insert(p.name.substr(p.name.rfind('-') + 1));
  Result<std::string> text = ReadFileText(req.trace_path);
  if (!text) return tl::unexpected(text.error());
  Result<TraceRead> read = Annotate(ReadTrace(req, *text, vcs), req.trace_path);
  if (!read) return tl::unexpected(read.error());
  in.catalog = presets->front().catalog;
  int gpus = 0;
  for (const Preset& p : *presets) gpus += GpuCount(p.config);
  in.context.cluster = fmt::format("{} virtual clusters, {} GPUs ({})", presets->size(), gpus,
                                   vc_path);
  in.context.settings.push_back({"jobs", std::to_string(read->jobs.size())});
  in.context.settings.push_back({"window", "2017-10-01 00:00 .. 2017-11-30 23:59"});
  in.context.settings.push_back({"dropped", DroppedText(read->stats)});
  return SplitByVc(req, in, std::move(read->jobs), *presets, in.parts);
}

Status LoadTrace(const SimRequest& req, Inputs& in) {
  Result<ClusterConfig> config = LoadCluster(req, in);
  if (!config) return tl::unexpected(config.error());
  Result<std::string> text = ReadFileText(req.trace_path);
  if (!text) return tl::unexpected(text.error());
  Result<TraceRead> read = Annotate(ReadTrace(req, *text, {}), req.trace_path);
  if (!read) return tl::unexpected(read.error());
  in.context.cluster =
      fmt::format("{} ({})", Describe(*config),
                  req.cluster_path.empty() ? "built-in preset" : req.cluster_path);
  in.context.settings.push_back({"jobs", std::to_string(read->jobs.size())});
  in.context.settings.push_back({"dropped", DroppedText(read->stats)});
  in.parts.push_back(Part{"", std::move(*config), std::move(read->jobs)});
  return OkStatus();
}

// Divides every submit time by the load factor (order is kept).
void ApplyLoad(double load, std::vector<Part>& parts) {
  if (load == 1.0) return;
  for (Part& part : parts) {
    for (TraceJob& j : part.trace) {
      j.submit_s = std::llround(static_cast<double>(j.submit_s) / load);
    }
  }
}

Status LoadInputs(const SimRequest& req, Inputs& in) {
  in.context.seed = std::to_string(req.seed);
  if (!req.scenario.empty()) {
    if (req.scenario != "factory") {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("unknown scenario \"{}\" (known: factory)", req.scenario));
    }
    Scenario s = FactoryScenario(in.catalog, req.seed);
    in.context.trace = "scenario factory";
    in.context.format = "scenario";
    in.context.cluster = fmt::format("{} (built in)", Describe(s.config));
    in.context.settings.push_back({"scenario", s.description});
    in.parts.push_back(Part{"", std::move(s.config), std::move(s.trace)});
    return OkStatus();
  }
  if (req.trace_path.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "--trace FILE or --scenario factory is required");
  }
  in.context.trace = req.trace_path;
  in.context.format = std::string(TraceFormatName(req.format));
  if (req.format != TraceFormat::kJsonl) {
    in.context.settings.push_back(
        {"checkpoint_interval_s", std::to_string(req.checkpoint_interval_s)});
  }
  return req.per_vc ? LoadPerVc(req, in) : LoadTrace(req, in);
}

// Keeps node i when floor((i + 1) f) > floor(i f): round(n f) nodes, evenly
// spread, so a list grouped by type keeps its mix.
void ShrinkCluster(double fraction, std::vector<Part>& parts) {
  if (fraction >= 1.0) return;
  for (Part& part : parts) {
    std::vector<NodeSpec> kept;
    const std::vector<NodeSpec>& nodes = part.config.nodes;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const double lo = std::floor(static_cast<double>(i) * fraction);
      const double hi = std::floor(static_cast<double>(i + 1) * fraction);
      if (hi > lo) kept.push_back(nodes[i]);
    }
    part.config.nodes = std::move(kept);
  }
}

Status Load(const SimRequest& req, Inputs& in) {
  if (!(req.load > 0)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("--load must be > 0, got {}", req.load));
  }
  if (!(req.cluster_fraction > 0 && req.cluster_fraction <= 1)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("--cluster-fraction must be in (0, 1], got {}",
                                 req.cluster_fraction));
  }
  if (Status st = LoadInputs(req, in); !st) return st;
  ApplyLoad(req.load, in.parts);
  ShrinkCluster(req.cluster_fraction, in.parts);
  if (req.load != 1.0) {
    in.context.settings.push_back({"load", fmt::format("{}x arrival rate", req.load)});
  }
  if (req.cluster_fraction != 1.0) {
    int nodes = 0, gpus = 0;
    for (const Part& part : in.parts) {
      nodes += static_cast<int>(part.config.nodes.size());
      gpus += GpuCount(part.config);
    }
    in.context.cluster = fmt::format("{} nodes, {} GPUs: {} of the nodes of {}", nodes, gpus,
                                     req.cluster_fraction, in.context.cluster);
  }
  return OkStatus();
}

}  // namespace

Result<TraceFormat> ParseTraceFormat(std::string_view text) {
  for (TraceFormat f : {TraceFormat::kJsonl, TraceFormat::kPhilly, TraceFormat::kPai,
                        TraceFormat::kTiresias}) {
    if (text == TraceFormatName(f)) return f;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("unknown trace format \"{}\" (known: jsonl, philly, pai, tiresias)",
                               text));
}

std::string_view TraceFormatName(TraceFormat format) {
  switch (format) {
    case TraceFormat::kJsonl: return "jsonl";
    case TraceFormat::kPhilly: return "philly";
    case TraceFormat::kPai: return "pai";
    case TraceFormat::kTiresias: return "tiresias";
  }
  return "jsonl";
}

Result<SimRun> RunSimulation(const SimRequest& req) {
  Inputs in;
  if (Status st = Load(req, in); !st) return tl::unexpected(st.error());
  std::vector<PolicyConfig> policies;
  for (const std::string& name : req.policies) {
    Result<PolicyConfig> p = PolicyNamed(name, in.parts.front().config.policy);
    if (!p) return tl::unexpected(p.error());
    policies.push_back(*p);
  }
  SimRun run;
  run.context = std::move(in.context);
  if (req.per_vc) {
    for (const Part& part : in.parts) run.per_vc.push_back(VcRuns{part.name, GpuCount(part.config), {}});
  }
  for (std::size_t p = 0; p < policies.size(); ++p) {
    std::vector<SimResult> per_part;
    for (std::size_t i = 0; i < in.parts.size(); ++i) {
      const Part& part = in.parts[i];
      SimOptions o;
      o.policy_name = req.policies[p];
      o.policy = policies[p];
      o.horizon_s = req.horizon_s;
      o.timeline_samples = req.timeline_samples;
      Result<SimResult> r = Simulate(in.catalog, part.config, part.trace, o);
      if (!r) return tl::unexpected(r.error());
      if (req.per_vc) run.per_vc[i].reports.push_back(ComputeReport(*r));
      per_part.push_back(std::move(*r));
    }
    run.results.push_back(per_part.size() == 1 ? std::move(per_part.front())
                                               : MergeResults(per_part, req.timeline_samples));
  }
  return run;
}

namespace {

// The value of `timeline` at time t: its last sample at or before t.
const TimelineSample* At(const std::vector<TimelineSample>& timeline, std::int64_t t) {
  auto it = std::upper_bound(timeline.begin(), timeline.end(), t,
                             [](std::int64_t x, const TimelineSample& s) { return x < s.t_s; });
  return it == timeline.begin() ? nullptr : &*(it - 1);
}

std::vector<TimelineSample> SumTimelines(const std::vector<SimResult>& runs, int samples,
                                         std::size_t classes) {
  std::int64_t end = 0;
  for (const SimResult& r : runs) {
    if (!r.timeline.empty()) end = std::max(end, r.timeline.back().t_s);
  }
  const std::int64_t dt = std::max<std::int64_t>(1, end / std::max(1, samples));
  std::vector<TimelineSample> out;
  for (std::int64_t t = 0; t <= end; t += dt) {
    TimelineSample sum;
    sum.t_s = t;
    sum.pending_by_class.assign(classes, 0);
    for (const SimResult& r : runs) {
      const TimelineSample* s = At(r.timeline, t);
      if (!s) continue;
      sum.gpus_busy += s->gpus_busy;
      sum.running += s->running;
      sum.preemptions += s->preemptions;
      for (std::size_t c = 0; c < classes && c < s->pending_by_class.size(); ++c) {
        sum.pending_by_class[c] += s->pending_by_class[c];
      }
    }
    out.push_back(std::move(sum));
  }
  return out;
}

}  // namespace

SimResult MergeResults(const std::vector<SimResult>& runs, int timeline_samples) {
  SimResult merged;
  if (runs.empty()) return merged;
  merged.policy = runs.front().policy;
  merged.class_names = runs.front().class_names;
  merged.sla_target_s = runs.front().sla_target_s;
  merged.sla_percentile = runs.front().sla_percentile;
  for (const SimResult& r : runs) {
    merged.total_gpus += r.total_gpus;
    merged.jobs.insert(merged.jobs.end(), r.jobs.begin(), r.jobs.end());
    merged.events += r.events;
    merged.cycles += r.cycles;
    merged.end_s = std::max(merged.end_s, r.end_s);
    merged.wall_s += r.wall_s;
  }
  merged.timeline = SumTimelines(runs, timeline_samples, merged.class_names.size());
  return merged;
}

}  // namespace gpusched::sim
