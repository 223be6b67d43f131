// `gpusched sim`: maps the options onto a SimRequest, runs it, prints the
// comparison table and writes the JSON and HTML reports.
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "sim/policies.h"
#include "sim/report.h"
#include "sim/sim_run.h"

namespace gpusched::cli {
namespace {

using sim::PolicyReport;

Result<sim::SimRequest> MakeRequest(const SimCommandOptions& o) {
  sim::SimRequest req;
  req.cluster_path = o.cluster;
  req.trace_path = o.trace;
  req.scenario = o.scenario;
  Result<sim::TraceFormat> format = sim::ParseTraceFormat(o.format);
  if (!format) return tl::unexpected(format.error());
  req.format = *format;
  if (!o.scenario.empty() && !o.trace.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "give --trace or --scenario, not both");
  }
  if (!o.compare.empty()) {
    Result<std::vector<std::string_view>> names = sim::ParsePolicyList(o.compare);
    if (!names) return MakeError(names.error().code, "--compare: " + names.error().message);
    req.policies.assign(names->begin(), names->end());
  } else if (!o.policy.empty()) {
    req.policies = {o.policy};
  }
  req.seed = o.seed;
  req.per_vc = o.per_vc;
  req.vc_path = o.vc_file;
  req.pai_nodes_path = o.pai_nodes;
  req.checkpoint_interval_s = o.checkpoint_interval_s;
  req.horizon_s = o.horizon_s;
  req.load = o.load;
  req.cluster_fraction = o.cluster_fraction;
  return req;
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    return MakeError(ErrorCode::kFailedPrecondition, fmt::format("cannot write \"{}\"", path));
  }
  return OkStatus();
}

std::string PerVcTable(const std::vector<sim::VcRuns>& vcs) {
  std::string out = fmt::format("{:<8} {:>5} {:>7}", "VC", "GPUs", "jobs");
  for (const PolicyReport& r : vcs.front().reports) {
    out += fmt::format("  {:>22}", r.policy + " JCT / queue (h)");
  }
  out += "\n";
  for (const sim::VcRuns& vc : vcs) {
    out += fmt::format("{:<8} {:>5} {:>7}", vc.vc, vc.gpus,
                       vc.reports.empty() ? 0 : vc.reports.front().jobs);
    for (const PolicyReport& r : vc.reports) {
      out += fmt::format("  {:>22}", fmt::format("{:.2f} / {:.2f}", r.jct_mean_s / 3600,
                                                 r.queue_delay_mean_s / 3600));
    }
    out += "\n";
  }
  return out;
}

void PrintHeader(const sim::ReportContext& c) {
  fmt::print("trace    {} ({})\ncluster  {}\nseed     {}\n", c.trace, c.format, c.cluster, c.seed);
  for (const auto& [key, value] : c.settings) fmt::print("{:<8} {}\n", key, value);
  fmt::print("\n");
}

}  // namespace

int RunSim(const SimCommandOptions& options) {
  Result<sim::SimRequest> req = MakeRequest(options);
  if (!req) {
    PrintError("sim", req.error().message);
    return kExitUsage;
  }
  Result<sim::SimRun> run = sim::RunSimulation(*req);
  if (!run) {
    PrintError("sim", run.error().message);
    return run.error().code == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  std::vector<PolicyReport> reports;
  std::vector<const sim::SimResult*> results;
  for (const sim::SimResult& r : run->results) {
    reports.push_back(sim::ComputeReport(r));
    results.push_back(&r);
  }
  PrintHeader(run->context);
  fmt::print("{}", sim::ReportTable(reports));
  if (!run->per_vc.empty()) fmt::print("\nper virtual cluster\n{}", PerVcTable(run->per_vc));
  if (!options.json_out.empty()) {
    if (Status st = WriteFile(options.json_out, sim::ReportJson(reports, run->context)); !st) {
      PrintError("sim", st.error().message);
      return kExitFailure;
    }
    fmt::print("\nwrote {}\n", options.json_out);
  }
  if (!options.html_out.empty()) {
    if (Status st = WriteFile(options.html_out, sim::ReportHtml(reports, results, run->context));
        !st) {
      PrintError("sim", st.error().message);
      return kExitFailure;
    }
    fmt::print("wrote {}\n", options.html_out);
  }
  return kExitOk;
}

}  // namespace gpusched::cli
