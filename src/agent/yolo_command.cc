#include "agent/yolo_command.h"

#include <charconv>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <variant>

namespace gpusched::agent {
namespace {

std::string Arg(std::string_view key, std::string_view value) {
  std::string out;
  out.reserve(key.size() + 1 + value.size());
  out.append(key).append("=").append(value);
  return out;
}

std::string FormatArgValue(const api::ArgValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          return v ? "True" : "False";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          return FormatArgDouble(v);
        } else {
          return v;
        }
      },
      value);
}

std::string BatchText(const api::UltralyticsSpec& spec) {
  if (spec.batch_fraction > 0) return FormatArgDouble(spec.batch_fraction);
  return std::to_string(spec.batch);
}

}  // namespace

std::string FormatArgDouble(double value) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  GPUSCHED_CHECK(ec == std::errc(), "to_chars(double) cannot overflow 64 bytes");
  std::string out(buf, end);
  if (out.find_first_not_of("-0123456789") == std::string::npos) out += ".0";
  return out;
}

std::string DeviceList(const std::vector<int>& devices) {
  std::string out;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(devices[i]);
  }
  return out;
}

std::vector<std::string> BuildYoloTrain(const api::UltralyticsSpec& spec, const YoloRun& run) {
  GPUSCHED_CHECK(!run.yolo.empty(), "BuildYoloTrain: empty program prefix");
  GPUSCHED_CHECK(!run.devices.empty(), "BuildYoloTrain: no GPU assigned");
  std::vector<std::string> argv = run.yolo;
  argv.push_back("train");
  argv.push_back(Arg("model", spec.model));
  argv.push_back(Arg("data", spec.data));
  argv.push_back(Arg("epochs", std::to_string(spec.epochs)));
  argv.push_back(Arg("imgsz", std::to_string(spec.imgsz)));
  argv.push_back(Arg("batch", BatchText(spec)));
  argv.push_back(Arg("device", DeviceList(run.devices)));
  argv.push_back(Arg("save_period", std::to_string(run.save_period)));
  argv.push_back(Arg("project", run.project));
  argv.push_back(Arg("name", run.name));
  argv.push_back("exist_ok=True");
  argv.push_back(Arg("amp", spec.precision == Precision::kAmp ? "True" : "False"));
  for (const auto& [key, value] : spec.args) argv.push_back(Arg(key, FormatArgValue(value)));
  return argv;
}

std::vector<std::string> BuildYoloResume(const std::vector<std::string>& yolo,
                                         const std::string& last_pt,
                                         const std::vector<int>& devices) {
  GPUSCHED_CHECK(!yolo.empty(), "BuildYoloResume: empty program prefix");
  std::vector<std::string> argv = yolo;
  argv.push_back("train");
  argv.push_back("resume");
  argv.push_back(Arg("model", last_pt));
  if (!devices.empty()) argv.push_back(Arg("device", DeviceList(devices)));
  return argv;
}

std::string RunFolder(const std::string& project, const std::string& name) {
  if (project.empty()) return name;
  if (project.back() == '/') return project + name;
  return project + "/" + name;
}

}  // namespace gpusched::agent
