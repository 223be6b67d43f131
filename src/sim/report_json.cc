// ReportJson: the PolicyReport fields under their own names, in an
// insertion-ordered object so that classes keep their order.
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/report.h"

namespace gpusched::sim {
namespace {

using Json = nlohmann::ordered_json;

double Round(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}
double Fraction(double value) { return Round(value, 4); }
double MeanSeconds(double value) { return Round(value, 1); }

template <typename T>
Json OrNull(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json ClassJson(const ClassReport& c) {
  Json j;
  j["jobs"] = c.jobs;
  j["completed"] = c.completed;
  j["preemptions"] = c.preemptions;
  j["wait_p50_s"] = c.wait_p50_s;
  j["wait_p95_s"] = c.wait_p95_s;
  j["wait_p99_s"] = c.wait_p99_s;
  j["wait_max_s"] = c.wait_max_s;
  j["wait_mean_s"] = MeanSeconds(c.wait_mean_s);
  j["sla_target_s"] = c.sla_target_s >= 0 ? Json(c.sla_target_s) : Json(nullptr);
  j["sla_percentile"] = c.sla_percentile;
  j["sla_attainment"] = c.sla_attainment ? Json(Fraction(*c.sla_attainment)) : Json(nullptr);
  j["sla_met"] = OrNull(c.sla_met);
  return j;
}

Json StarvedJson(const std::vector<StarvedJob>& starved) {
  Json list = Json::array();
  for (const StarvedJob& job : starved)
    list.push_back({{"id", job.id}, {"class", job.class_name}, {"wait_reason", job.wait_reason}});
  return list;
}

// Step 1 of a run's object: identity, classes and time figures.
void AddJobFigures(const PolicyReport& r, Json& j) {
  j["policy"] = r.policy;
  j["jobs"] = r.jobs;
  j["completed"] = r.completed;
  j["total_gpus"] = r.total_gpus;
  Json classes = Json::object();
  for (const ClassReport& c : r.classes) classes[c.name] = ClassJson(c);
  j["classes"] = std::move(classes);
  j["wait_p50_s"] = r.wait_p50_s;
  j["wait_p95_s"] = r.wait_p95_s;
  j["queue_delay_mean_s"] = MeanSeconds(r.queue_delay_mean_s);
  j["jct_mean_s"] = MeanSeconds(r.jct_mean_s);
  j["jct_p50_s"] = r.jct_p50_s;
  j["jct_p95_s"] = r.jct_p95_s;
  j["makespan_s"] = r.makespan_s;
}

// Step 2: resources, preemption, starvation and the replay's cost.
void AddResourceFigures(const PolicyReport& r, Json& j) {
  j["gpu_utilization"] = Fraction(r.gpu_utilization);
  j["useful_utilization"] = Fraction(r.useful_utilization);
  j["preemptions"] = r.preemptions;
  j["migrations"] = r.migrations;
  j["preempted_jobs"] = r.preempted_jobs;
  j["max_preemptions_per_job_24h"] = r.max_preemptions_per_job_24h;
  j["lost_gpu_hours"] = Round(r.lost_gpu_hours, 3);
  j["restart_gpu_hours"] = Round(r.restart_gpu_hours, 3);
  j["lost_fraction"] = Fraction(r.lost_fraction);
  j["starved_jobs"] = r.starved_jobs;
  j["starved_examples"] = StarvedJson(r.starved);
  j["sim_wall_s"] = Round(r.sim_wall_s, 3);
  j["events"] = r.events;
  j["cycles"] = r.cycles;
  j["events_per_s"] = std::llround(r.events_per_s);
  j["virtual_end_s"] = r.virtual_end_s;
}

Json RunJson(const PolicyReport& r) {
  Json j = Json::object();
  AddJobFigures(r, j);
  AddResourceFigures(r, j);
  return j;
}

Json SettingsJson(const ReportContext& ctx) {
  Json j = Json::object();
  j["trace"] = ctx.trace;
  j["format"] = ctx.format;
  j["cluster"] = ctx.cluster;
  j["seed"] = ctx.seed;
  for (const auto& [key, value] : ctx.settings) j[key] = value;
  return j;
}

}  // namespace

std::string ReportJson(const std::vector<PolicyReport>& runs, const ReportContext& ctx) {
  Json out;
  if (runs.size() == 1) {
    out = RunJson(runs.front());
  } else {
    out["runs"] = Json::array();
    for (const PolicyReport& run : runs) out["runs"].push_back(RunJson(run));
  }
  out["settings"] = SettingsJson(ctx);
  // Replace, not throw, on invalid UTF-8 in names from a trace.
  return out.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace gpusched::sim
