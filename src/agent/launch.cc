#include "agent/launch.h"

#include <string_view>
#include <type_traits>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agent/yolo_command.h"

namespace gpusched::agent {
namespace {

using nlohmann::json;

std::string Join(const std::vector<int>& values) {
  std::string out;
  for (int v : values) out += (out.empty() ? "" : ",") + std::to_string(v);
  return out;
}

// A field of the body that is missing or of the wrong type; the message
// names it by its path, e.g. `assignments[0].gpus[1].index: missing`.
struct BadField {
  std::string message;
};

std::string FieldPath(const std::string& where, std::string_view key) {
  return where.empty() ? std::string(key) : fmt::format("{}.{}", where, key);
}

// o[key] (o is at `where`), which must be there and of type T: an integer
// in T's range, a boolean, a string, or (T = json) any value.
template <typename T>
T Get(const json& o, const std::string& where, std::string_view key) {
  if (!o.is_object()) {
    throw BadField{fmt::format("{}: must be an object, got {}", where, o.type_name())};
  }
  const std::string path = FieldPath(where, key);
  const auto it = o.find(key);
  if (it == o.end()) throw BadField{path + ": missing"};
  const json& v = *it;
  if constexpr (std::is_same_v<T, json>) {
    return v;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (v.is_boolean()) return v.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (v.is_number_unsigned() && std::in_range<T>(v.get<std::uint64_t>())) return v.get<T>();
    if (v.is_number_integer() && std::in_range<T>(v.get<std::int64_t>())) return v.get<T>();
  } else {
    static_assert(std::is_same_v<T, std::string>);
    if (v.is_string()) return v.get<std::string>();
  }
  throw BadField{fmt::format("{}: wrong type or out of range: {}", path, v.dump())};
}

// Like Get, with `fallback` when the field is absent.
template <typename T>
T GetOr(const json& o, const std::string& where, std::string_view key, T fallback) {
  return o.is_object() && !o.contains(key) ? fallback : Get<T>(o, where, key);
}

// o[key], which must be a list.
json GetList(const json& o, const std::string& where, std::string_view key) {
  json list = Get<json>(o, where, key);
  if (!list.is_array()) {
    throw BadField{
        fmt::format("{}: must be a list, got {}", FieldPath(where, key), list.type_name())};
  }
  return list;
}

Assignment ReadAssignment(const json& o, const std::string& where) {
  Assignment a;
  a.id = Get<std::uint64_t>(o, where, "id");
  a.job = Get<JobId>(o, where, "job");
  const json gpus = GetList(o, where, "gpus");
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    a.gpus.push_back(Get<int>(gpus[i], fmt::format("{}.gpus[{}]", where, i), "index"));
  }
  a.resume_epoch = GetOr<int>(o, where, "resume_epoch", 0);
  a.stop = GetOr<bool>(o, where, "stop", false);
  a.stop_in_s = GetOr<int>(o, where, "stop_in_s", 0);
  a.save_period = GetOr<int>(o, where, "save_period", 5);
  a.class_name = GetOr<std::string>(o, where, "class", "");
  const json spec = GetOr<json>(o, where, "spec", json::object());
  Result<api::JobSpec> parsed = api::ParseJobSpec(spec.dump(), api::SpecFormat::kJson);
  if (parsed) {
    a.spec = std::move(*parsed);
  } else {
    a.spec_error = parsed.error().message;
  }
  return a;
}

}  // namespace

Result<AssignmentList> ParseAssignmentList(std::string_view body) {
  const json o = json::parse(body, nullptr, false);
  if (o.is_discarded() || !o.is_object() || !o.contains("assignments")) {
    return MakeError(ErrorCode::kInvalidArgument, "assignments: not a JSON object with a list");
  }
  AssignmentList list;
  try {
    list.version = GetOr<std::string>(o, "", "version", "");
    const json assignments = GetList(o, "", "assignments");
    for (std::size_t i = 0; i < assignments.size(); ++i) {
      list.assignments.push_back(ReadAssignment(assignments[i], fmt::format("assignments[{}]", i)));
    }
  } catch (const BadField& e) {
    return MakeError(ErrorCode::kInvalidArgument, e.message);
  }
  return list;
}

std::string JobFolder(const std::string& root, JobId job) {
  return fmt::format("{}/job-{}", root, job);
}

std::string RunName(const Assignment& a) {
  if (a.spec && a.spec->name) return *a.spec->name;
  return fmt::format("job-{}", a.job);
}

Launch BuildLaunch(const Assignment& a, const LaunchConfig& config, bool last_pt_exists) {
  Launch l;
  l.job_folder = JobFolder(config.checkpoint_root, a.job);
  const api::JobSpec& spec = *a.spec;
  const bool container = config.docker && spec.image.has_value();
  // `device=` names the GPUs as the trainer sees them: the physical indices,
  // or 0..n-1 inside a container, which only sees its own.
  std::vector<int> devices = a.gpus;
  if (container) {
    for (std::size_t i = 0; i < devices.size(); ++i) devices[i] = static_cast<int>(i);
  }
  if (const auto* u = std::get_if<api::UltralyticsSpec>(&spec.trainer)) {
    l.run_folder = RunFolder(l.job_folder, RunName(a));
    if (a.resume_epoch > 0 && last_pt_exists) {
      // device= again: last.pt remembers the GPUs of the run that saved it.
      l.argv = BuildYoloResume(config.yolo, l.run_folder + "/weights/last.pt", devices);
      l.resumed = true;
    } else {
      if (a.resume_epoch > 0) {
        l.note = fmt::format("no checkpoint at {}/weights/last.pt: starting over instead of "
                             "resuming from epoch {}",
                             l.run_folder, a.resume_epoch);
      }
      l.argv = BuildYoloTrain(*u, YoloRun{config.yolo, devices, l.job_folder, RunName(a),
                                          a.save_period});
    }
  } else {
    l.run_folder = l.job_folder;
    l.argv = std::get<api::CommandSpec>(spec.trainer).argv;
    l.resumed = a.resume_epoch > 0;
  }
  l.env = {{"CUDA_VISIBLE_DEVICES", Join(a.gpus)},
           {"CUDA_DEVICE_ORDER", "PCI_BUS_ID"},
           {"GPUSCHED_JOB_ID", std::to_string(a.job)},
           {"GPUSCHED_RUN_ID", std::to_string(a.id)},
           {"GPUSCHED_CHECKPOINT_DIR", l.run_folder},
           {"GPUSCHED_RESUME_EPOCH", std::to_string(l.resumed ? a.resume_epoch : 0)},
           {"GPUSCHED_SAVE_PERIOD", std::to_string(a.save_period)}};
  for (const auto& [key, value] : spec.env) l.env.emplace_back(key, value);
  if (container) l.argv = DockerArgv(a, l);
  return l;
}

std::vector<std::string> DockerArgv(const Assignment& a, const Launch& inner) {
  std::vector<std::string> argv{"docker",
                                "run",
                                "--rm",
                                "--init",
                                "--name",
                                fmt::format("gpusched-run-{}", a.id),
                                "--gpus",
                                fmt::format("\"device={}\"", Join(a.gpus)),
                                "--ipc=host"};
  for (const auto& [key, value] : inner.env) {
    // Inside the container the assigned GPUs are renumbered from 0.
    if (key == "CUDA_VISIBLE_DEVICES") continue;
    argv.push_back("-e");
    argv.push_back(key + "=" + value);
  }
  argv.insert(argv.end(), {"-v", inner.job_folder + ":" + inner.job_folder, "-w", inner.job_folder,
                           *a.spec->image});
  argv.insert(argv.end(), inner.argv.begin(), inner.argv.end());
  return argv;
}

}  // namespace gpusched::agent
