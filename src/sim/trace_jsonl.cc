// JSON Lines trace reader. Each line is parsed into a LineState by one setter
// per field (a table keyed by field name, so an unknown name is caught in one
// place); the cross-field rules (model refinements, memory, duration) are
// checked once the whole line is read.
#include "sim/trace_jsonl.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace gpusched::sim {
namespace {

using nlohmann::json;

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// What one line said, before the cross-field checks.
struct LineState {
  TraceJob job;
  bool has_id = false;
  bool has_epochs = false;
  bool has_epoch_s = false;
  bool has_duration_s = false;
  std::optional<std::string> model;
  std::optional<int> batch;
  std::optional<double> batch_fraction;
  std::optional<int> imgsz;
  std::optional<Precision> precision;
  std::string first_refinement;  // first of batch/imgsz/precision seen
};

// A field's value is wrong; the caller adds the line and the field name.
tl::unexpected<Error> Invalid(const json& v, std::string_view expected) {
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("must be {}, got {}", expected, v.dump()));
}

Result<std::int64_t> ReadInt(const json& v, std::int64_t min, std::int64_t max,
                             std::string_view expected) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(max) && static_cast<std::int64_t>(u) >= min) {
      return static_cast<std::int64_t>(u);
    }
  } else if (v.is_number_integer()) {
    const auto n = v.get<std::int64_t>();
    if (n >= min && n <= max) return n;
  }
  return Invalid(v, expected);
}

Result<double> ReadPositive(const json& v) {
  if (v.is_number()) {
    const auto d = v.get<double>();
    if (std::isfinite(d) && d > 0) return d;
  }
  return Invalid(v, "a number > 0");
}

Result<std::string> ReadNonEmptyString(const json& v) {
  if (v.is_string() && !v.get_ref<const std::string&>().empty()) return v.get<std::string>();
  return Invalid(v, "a non-empty string");
}

Status SetId(const json& v, LineState& s) {
  if (v.is_number_integer()) {
    s.job.id = v.dump();
  } else {
    auto id = ReadNonEmptyString(v);
    if (!id) return Invalid(v, "a non-empty string or an integer");
    s.job.id = std::move(*id);
  }
  s.has_id = true;
  return OkStatus();
}

Status SetBatch(const json& v, LineState& s) {
  s.first_refinement = s.first_refinement.empty() ? "batch" : s.first_refinement;
  if (v.is_number_integer()) {
    auto n = ReadInt(v, -1, kIntMax, "");
    if (n && *n != 0) {
      s.batch = static_cast<int>(*n);
      return OkStatus();
    }
  } else if (v.is_number_float() && v.get<double>() > 0 && v.get<double>() < 1) {
    s.batch_fraction = v.get<double>();
    return OkStatus();
  }
  return Invalid(v, "an integer >= 1, -1 (AutoBatch) or a fraction in (0, 1)");
}

Status SetImgsz(const json& v, LineState& s) {
  s.first_refinement = s.first_refinement.empty() ? "imgsz" : s.first_refinement;
  return ReadInt(v, 32, kIntMax, "an integer >= 32").map([&](std::int64_t n) {
    s.imgsz = static_cast<int>(n);
  });
}

Status SetPrecision(const json& v, LineState& s) {
  s.first_refinement = s.first_refinement.empty() ? "precision" : s.first_refinement;
  if (v == "fp32")
    s.precision = Precision::kFp32;
  else if (v == "amp")
    s.precision = Precision::kAmp;
  else
    return Invalid(v, "\"fp32\" or \"amp\"");
  return OkStatus();
}

Status SetGpuTypes(const json& v, LineState& s) {
  const char* expected = "a list of non-empty strings";
  if (!v.is_array()) return Invalid(v, expected);
  for (const json& e : v) {
    auto name = ReadNonEmptyString(e);
    if (!name) return Invalid(v, expected);
    s.job.gpu_types.push_back(std::move(*name));
  }
  return OkStatus();
}

using Setter = Status (*)(const json&, LineState&);

const std::map<std::string_view, Setter>& Setters() {
  static const auto* const kSetters = new std::map<std::string_view, Setter>{
      {"id", &SetId},
      {"batch", &SetBatch},
      {"imgsz", &SetImgsz},
      {"precision", &SetPrecision},
      {"gpu_types", &SetGpuTypes},
  };
  return *kSetters;
}

// The scalar fields with a plain type and range check. An unknown key gives
// kNotFound with no message; the caller names it.
Status SetOthers(std::string_view key, const json& v, LineState& s) {
  TraceJob& j = s.job;
  auto to_int = [&](int& out) { return [&out](std::int64_t n) { out = static_cast<int>(n); }; };
  if (key == "submit_s") {
    return ReadInt(v, 0, kInt64Max, "an integer >= 0").map([&](std::int64_t n) { j.submit_s = n; });
  }
  if (key == "tenant") return ReadNonEmptyString(v).map([&](std::string t) { j.tenant = t; });
  if (key == "class") {
    if (!v.is_string()) return Invalid(v, "a string");
    j.class_name = v.get<std::string>();
    return OkStatus();
  }
  if (key == "gpus") return ReadInt(v, 1, kIntMax, "an integer >= 1").map(to_int(j.gpus));
  if (key == "memory_mib") {
    return ReadInt(v, 1, kInt64Max, "an integer >= 1").map([&](MiB m) { j.memory_mib = m; });
  }
  if (key == "model") return ReadNonEmptyString(v).map([&](std::string m) { s.model = m; });
  if (key == "epochs") {
    s.has_epochs = true;
    return ReadInt(v, 1, kIntMax, "an integer >= 1").map(to_int(j.epochs));
  }
  if (key == "epoch_s") {
    s.has_epoch_s = true;
    return ReadPositive(v).map([&](double d) { j.epoch_s = d; });
  }
  if (key == "duration_s") {
    s.has_duration_s = true;
    return ReadPositive(v).map([&](double d) { j.duration_s = d; });
  }
  if (key == "save_period")
    return ReadInt(v, 1, kIntMax, "an integer >= 1").map(to_int(j.save_period));
  if (key == "preemptible") {
    if (!v.is_boolean()) return Invalid(v, "true or false");
    j.preemptible = v.get<bool>();
    return OkStatus();
  }
  if (key == "image") return ReadNonEmptyString(v).map([&](std::string i) { j.image = i; });
  if (key == "dataset") return ReadNonEmptyString(v).map([&](std::string d) { j.dataset = d; });
  if (key == "exclusive") {
    if (!v.is_boolean()) return Invalid(v, "true or false");
    j.exclusive = v.get<bool>();
    return OkStatus();
  }
  return MakeError(ErrorCode::kNotFound, "");  // not a field name
}

tl::unexpected<Error> LineError(std::size_t line, std::string_view message,
                                ErrorCode code = ErrorCode::kInvalidArgument) {
  return MakeError(code, fmt::format("line {}: {}", line, message));
}

// Step 2 of a line: the cross-field rules, and the model parameters.
Status Finish(LineState& s, std::size_t line) {
  if (!s.has_id) return LineError(line, "needs id");
  if (!s.model && !s.first_refinement.empty()) {
    return LineError(line, fmt::format("\"{}\": only valid with \"model\"", s.first_refinement));
  }
  if (s.model) {
    auto params = ParseYoloModel(*s.model);
    if (!params) return LineError(line, "\"model\": " + params.error().message);
    if (s.batch) params->batch = *s.batch;
    if (s.batch_fraction) params->batch_fraction = *s.batch_fraction;
    if (s.imgsz) params->imgsz = *s.imgsz;
    if (s.precision) params->precision = *s.precision;
    s.job.model = *params;
  }
  if (!s.job.memory_mib && !s.job.model && !s.job.exclusive) {
    return LineError(line, "needs memory_mib, model or \"exclusive\": true");
  }
  const bool by_epochs = s.has_epochs && s.has_epoch_s;
  if (s.has_duration_s && (s.has_epochs || s.has_epoch_s)) {
    return LineError(line, "give epochs and epoch_s, or duration_s, not both");
  }
  if (!by_epochs && !s.has_duration_s) {
    return LineError(line, "needs epochs and epoch_s, or duration_s");
  }
  return OkStatus();
}

// Step 1 of a line: JSON syntax, then each field on its own.
Result<TraceJob> ParseLine(std::string_view text, std::size_t line) {
  json obj;
  try {
    obj = json::parse(text);
  } catch (const json::parse_error& e) {
    std::string_view what = e.what();
    const std::size_t tag_end = what.find("] ");  // drop "[json.exception.parse_error.N] "
    if (tag_end != std::string_view::npos) what.remove_prefix(tag_end + 2);
    constexpr std::string_view kOwnLine = "parse error at line 1, ";  // the text is one line
    if (what.starts_with(kOwnLine)) what.remove_prefix(kOwnLine.size());
    return LineError(line, fmt::format("not valid JSON: {}", what));
  }
  if (!obj.is_object()) return LineError(line, "must be a JSON object, got " + obj.dump());
  LineState s;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const auto setter = Setters().find(it.key());
    Status st = setter != Setters().end() ? setter->second(it.value(), s)
                                          : SetOthers(it.key(), it.value(), s);
    if (st) continue;
    if (st.error().code == ErrorCode::kNotFound) {
      return LineError(line, fmt::format("unknown field \"{}\"", it.key()));
    }
    return LineError(line, fmt::format("\"{}\": {}", it.key(), st.error().message));
  }
  if (Status st = Finish(s, line); !st) return tl::unexpected(st.error());
  return std::move(s.job);
}

}  // namespace

Result<std::vector<TraceJob>> ParseTraceJsonl(std::string_view text) {
  std::vector<TraceJob> jobs;
  std::set<std::string, std::less<>> ids;
  std::size_t start = 0;
  for (std::size_t line = 1; start <= text.size(); ++line) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view content = text.substr(start, end - start);
    start = end + 1;
    const std::size_t first = content.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || content[first] == '#') continue;
    auto job = ParseLine(content, line);
    if (!job) return tl::unexpected(job.error());
    if (!ids.insert(job->id).second) {
      return LineError(line, fmt::format("duplicate id \"{}\"", job->id),
                       ErrorCode::kAlreadyExists);
    }
    jobs.push_back(std::move(*job));
  }
  std::stable_sort(jobs.begin(), jobs.end(),
                   [](const TraceJob& a, const TraceJob& b) { return a.submit_s < b.submit_s; });
  return jobs;
}

}  // namespace gpusched::sim
