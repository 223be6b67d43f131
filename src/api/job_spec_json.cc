// JobSpec -> canonical JSON, and the estimator's view of an Ultralytics job.
#include <nlohmann/json.hpp>

#include "api/job_spec.h"

namespace gpusched::api {
namespace {

using Json = nlohmann::ordered_json;

std::string_view PrecisionText(Precision p) { return p == Precision::kFp32 ? "fp32" : "amp"; }

Json ArgToJson(const ArgValue& arg) {
  return std::visit([](const auto& value) { return Json(value); }, arg);
}

Json UltralyticsToJson(const UltralyticsSpec& u) {
  Json j = Json::object();
  j["model"] = u.model;
  j["data"] = u.data;
  j["epochs"] = u.epochs;
  j["imgsz"] = u.imgsz;
  if (u.batch_fraction > 0) {
    j["batch"] = u.batch_fraction;
  } else {
    j["batch"] = u.batch;
  }
  j["precision"] = PrecisionText(u.precision);
  if (u.save_period) j["save_period"] = *u.save_period;
  Json args = Json::object();
  for (const auto& [key, value] : u.args) args[key] = ArgToJson(value);
  j["args"] = std::move(args);
  return j;
}

void TrainerToJson(const JobSpec& spec, Json& j) {
  if (const auto* u = std::get_if<UltralyticsSpec>(&spec.trainer)) {
    j["ultralytics"] = UltralyticsToJson(*u);
    return;
  }
  const CommandSpec& c = std::get<CommandSpec>(spec.trainer);
  j["command"] = c.argv;
  if (c.epochs) j["epochs"] = *c.epochs;
}

void EstimateToJson(const RuntimeEstimate& e, Json& j) {
  Json estimate = Json::object();
  if (e.epoch_s > 0) estimate["epoch_s"] = e.epoch_s;
  if (e.duration_s > 0) estimate["duration_s"] = e.duration_s;
  j["estimate"] = std::move(estimate);
}

}  // namespace

std::string JobSpecToJson(const JobSpec& spec) {
  Json j = Json::object();
  if (spec.name) j["name"] = *spec.name;
  if (spec.tenant) j["tenant"] = *spec.tenant;
  if (spec.class_name) j["class"] = *spec.class_name;
  TrainerToJson(spec, j);
  j["gpus"] = spec.gpus;
  j["gpu_types"] = spec.gpu_types;
  if (spec.memory_mib) j["memory_mib"] = *spec.memory_mib;
  j["exclusive"] = spec.exclusive;
  j["preemptible"] = spec.preemptible;
  if (spec.image) j["image"] = *spec.image;
  if (spec.dataset) j["dataset"] = *spec.dataset;
  j["env"] = spec.env;
  j["max_retries"] = spec.max_retries;
  if (spec.estimate) EstimateToJson(*spec.estimate, j);
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

UltralyticsParams ToUltralyticsParams(const UltralyticsSpec& spec) {
  Result<UltralyticsParams> parsed = ParseYoloModel(spec.model);
  GPUSCHED_CHECK(parsed.has_value(), "ToUltralyticsParams: " + parsed.error().message);
  UltralyticsParams p = *parsed;
  if (spec.batch_fraction > 0) {
    p.batch_fraction = spec.batch_fraction;
  } else {
    p.batch = spec.batch;
  }
  p.imgsz = spec.imgsz;
  p.precision = spec.precision;
  return p;
}

}  // namespace gpusched::api
