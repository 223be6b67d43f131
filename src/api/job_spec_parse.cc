// ParseJobSpec: text -> neutral tree (YAML or JSON reader) -> one validation
// path, field group by field group, in a fixed order; the first error wins.
#include <cmath>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "api/job_spec.h"
#include "api/job_spec_internal.h"

namespace gpusched::api {
namespace {

constexpr int kMaxGpus = 1024;
constexpr std::size_t kMaxGpuTypes = 32;
constexpr std::size_t kMaxEnv = 64;
constexpr int kMaxRetries = 10;
constexpr std::size_t kMaxNameChars = 63;
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsJobName(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameChars || !IsLowerAlnum(s[0])) return false;
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

bool IsEnvName(std::string_view s) {
  if (s.empty() || IsDigit(s[0])) return false;
  for (char c : s) {
    if (!IsLetter(c) && !IsDigit(c) && c != '_') return false;
  }
  return true;
}

// name, tenant, class.
Status ReadIdentity(const Fields& top, JobSpec& spec) {
  if (const TreeValue* v = top.Find("name")) {
    const std::string* s = v->AsString();
    if (s == nullptr || !IsJobName(*s)) {
      return MustBe("name",
                    "1 to 63 characters of a-z, 0-9, '.', '_' and '-', starting with a letter "
                    "or digit",
                    *v);
    }
    spec.name = *s;
  }
  API_TRY(top.String("tenant", spec.tenant));
  API_TRY(top.String("class", spec.class_name));
  return OkStatus();
}

Status ReadGpuTypes(const TreeValue& v, std::vector<std::string>& out) {
  const TreeList* list = v.AsList();
  if (list == nullptr) return MustBe("gpu_types", "a list of GPU type names", v);
  if (list->size() > kMaxGpuTypes) {
    return FieldError(
        "gpu_types", fmt::format("must list at most {} types, got {}", kMaxGpuTypes, list->size()));
  }
  std::set<std::string, std::less<>> seen;
  for (std::size_t i = 0; i < list->size(); ++i) {
    Result<std::string> name = ReadString((*list)[i], IndexPath("gpu_types", i));
    API_TRY(name);
    if (!seen.insert(*name).second) {
      return FieldError(IndexPath("gpu_types", i),
                        fmt::format("{} is listed twice", DescribeValue(TreeValue{*name})));
    }
    out.push_back(std::move(*name));
  }
  return OkStatus();
}

// gpus, gpu_types, memory_mib, exclusive, preemptible.
Status ReadResources(const Fields& top, JobSpec& spec) {
  API_TRY(top.Int("gpus", spec.gpus, 1, kMaxGpus, IntegerFromTo(1, kMaxGpus)));
  if (const TreeValue* v = top.Find("gpu_types")) API_TRY(ReadGpuTypes(*v, spec.gpu_types));
  API_TRY(top.Int("memory_mib", spec.memory_mib, 1, kInt64Max, IntegerAtLeast(1)));
  API_TRY(top.Bool("exclusive", spec.exclusive));
  API_TRY(top.Bool("preemptible", spec.preemptible));
  return OkStatus();
}

Status ReadEnv(const TreeValue& v, std::map<std::string, std::string>& out) {
  const TreeMap* map = v.AsMap();
  if (map == nullptr) return MustBe("env", "a mapping of variable names to strings", v);
  if (map->size() > kMaxEnv) {
    return FieldError("env",
                      fmt::format("must have at most {} variables, got {}", kMaxEnv, map->size()));
  }
  for (const auto& [key, value] : *map) {
    if (!IsEnvName(key)) {
      return FieldError("env", fmt::format("{} is not a variable name (letters, digits and '_', "
                                           "not starting with a digit)",
                                           DescribeValue(TreeValue{key})));
    }
    const std::string path = JoinPath("env", key);
    if (value.AsString() == nullptr) {
      return MustBe(path, "a string (quote numbers and booleans)", value);
    }
    Result<std::string> text = ReadString(value, path, /*allow_empty=*/true);
    API_TRY(text);
    out.emplace(key, std::move(*text));
  }
  return OkStatus();
}

// image, dataset, env, max_retries.
Status ReadRuntime(const Fields& top, JobSpec& spec) {
  API_TRY(top.String("image", spec.image));
  API_TRY(top.String("dataset", spec.dataset));
  if (const TreeValue* v = top.Find("env")) API_TRY(ReadEnv(*v, spec.env));
  API_TRY(top.Int("max_retries", spec.max_retries, 0, kMaxRetries, IntegerFromTo(0, kMaxRetries)));
  return OkStatus();
}

Result<double> ReadSeconds(const Fields& e, std::string_view key) {
  const TreeValue& v = *e.Find(key);
  double seconds = 0;
  if (const auto* n = std::get_if<std::int64_t>(&v.v)) seconds = static_cast<double>(*n);
  if (const double* d = std::get_if<double>(&v.v)) seconds = *d;
  if (!(seconds > 0 && seconds <= kMaxEstimateSeconds)) {
    return MustBe(e.Path(key),
                  fmt::format("a number of seconds > 0 and <= {:.0f}", kMaxEstimateSeconds), v);
  }
  return seconds;
}

// estimate: {epoch_s: N} or {duration_s: N}. REQUIRES: the trainer was read.
Status ReadEstimate(const Fields& top, JobSpec& spec) {
  const TreeValue* v = top.Find("estimate");
  if (v == nullptr) return OkStatus();
  Result<Fields> e = Fields::Open(*v, "estimate", {"epoch_s", "duration_s"});
  API_TRY(e);
  if (e->Has("epoch_s") == e->Has("duration_s")) {
    return FieldError("estimate", e->Has("epoch_s") ? "give epoch_s or duration_s, not both"
                                                    : "needs epoch_s or duration_s");
  }
  RuntimeEstimate estimate;
  if (e->Has("duration_s")) {
    Result<double> s = ReadSeconds(*e, "duration_s");
    API_TRY(s);
    estimate.duration_s = *s;
  } else {
    Result<double> s = ReadSeconds(*e, "epoch_s");
    API_TRY(s);
    if (!DeclaredEpochs(spec)) {
      return FieldError("estimate.epoch_s",
                        "needs \"epochs\" (how many epochs the command runs) beside \"command\"");
    }
    estimate.epoch_s = *s;
  }
  spec.estimate = estimate;
  return OkStatus();
}

Result<JobSpec> JobSpecFromTree(const TreeValue& root) {
  if (root.AsMap() == nullptr) {
    return FieldError(
        "", fmt::format("the job spec must be a mapping of fields, got {}", DescribeValue(root)));
  }
  Result<Fields> top = Fields::Open(root, "",
                                    {"name", "tenant", "class", "ultralytics", "command", "epochs",
                                     "gpus", "gpu_types", "memory_mib", "exclusive", "preemptible",
                                     "image", "dataset", "env", "max_retries", "estimate"});
  API_TRY(top);
  JobSpec spec;
  API_TRY(ReadIdentity(*top, spec));
  API_TRY(ReadResources(*top, spec));
  API_TRY(ReadRuntime(*top, spec));
  API_TRY(ReadTrainer(*top, spec));
  API_TRY(ReadEstimate(*top, spec));
  return spec;
}

// Escapes can make the canonical JSON of a large document larger than the
// document (a raw control byte becomes "\u0001"), which would break the
// round trip through the size limit. No byte of input yields more than 8 of
// canonical JSON, so only documents above kMaxSpecBytes / 16 need the check.
Status CheckCanonicalSize(std::string_view text, const JobSpec& spec) {
  if (text.size() <= kMaxSpecBytes / 16) return OkStatus();
  const std::size_t size = JobSpecToJson(spec).size();
  if (size <= kMaxSpecBytes) return OkStatus();
  return FieldError(
      "", fmt::format("the job spec takes {} bytes as canonical JSON; the limit is {}", size,
                      kMaxSpecBytes));
}

}  // namespace

Result<JobSpec> ParseJobSpec(std::string_view text, SpecFormat format) {
  if (text.size() > kMaxSpecBytes) {
    return FieldError(
        "", fmt::format("the job spec is {} bytes; the limit is {}", text.size(), kMaxSpecBytes));
  }
  Result<TreeValue> tree = format == SpecFormat::kYaml ? ParseYamlTree(text) : ParseJsonTree(text);
  API_TRY(tree);
  try {
    Result<JobSpec> spec = JobSpecFromTree(*tree);
    API_TRY(spec);
    API_TRY(CheckCanonicalSize(text, *spec));
    return spec;
  } catch (const std::exception& e) {  // std::bad_alloc: nothing else throws here
    return FieldError("", fmt::format("cannot read the job spec: {}", e.what()));
  }
}

}  // namespace gpusched::api
