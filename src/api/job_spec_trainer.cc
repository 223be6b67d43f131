// The trainer part of a job spec: `ultralytics:` (with its extra `args`)
// or `command:`, never both.
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "api/job_spec_internal.h"

namespace gpusched::api {
namespace {

constexpr int kMaxEpochs = 100'000;
constexpr int kMinImgsz = 32;
constexpr int kMaxImgsz = 8192;
constexpr std::size_t kMaxArgs = 256;
constexpr std::size_t kMaxCommandItems = 256;
constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
constexpr std::string_view kBatchExpected =
    "an integer >= 1, -1 (AutoBatch) or a fraction in (0, 1)";

// ultralytics.batch: an integer >= 1 or -1, or a fraction in (0, 1).
Status ReadBatch(const Fields& u, UltralyticsSpec& out) {
  const TreeValue* v = u.Find("batch");
  if (v == nullptr) return OkStatus();
  if (const auto* n = std::get_if<std::int64_t>(&v->v)) {
    if ((*n >= 1 && *n <= kIntMax) || *n == -1) {
      out.batch = static_cast<int>(*n);
      return OkStatus();
    }
  } else if (const double* d = std::get_if<double>(&v->v); d != nullptr && *d > 0 && *d < 1) {
    out.batch = 0;
    out.batch_fraction = *d;
    return OkStatus();
  }
  return MustBe(u.Path("batch"), kBatchExpected, *v);
}

// Ultralytics' rules for the batch across GPUs (as `gpusched estimate`).
Status CheckBatchForGpus(const Fields& u, const UltralyticsSpec& s, int gpus) {
  if (gpus == 1) return OkStatus();
  if (s.batch == -1 || s.batch_fraction > 0) {
    return FieldError(u.Path("batch"),
                      fmt::format("AutoBatch (-1) and fractions need gpus: 1 (Ultralytics does "
                                  "not support them with DDP), got gpus: {}",
                                  gpus));
  }
  if (s.batch % gpus != 0) {
    return FieldError(u.Path("batch"),
                      fmt::format("must be a multiple of gpus ({}), the total batch being split "
                                  "evenly across GPUs, got {}",
                                  gpus, s.batch));
  }
  return OkStatus();
}

Status ReadPrecision(const Fields& u, UltralyticsSpec& out) {
  const TreeValue* v = u.Find("precision");
  if (v == nullptr) return OkStatus();
  const std::string* s = v->AsString();
  if (s != nullptr && *s == "amp") {
    out.precision = Precision::kAmp;
  } else if (s != nullptr && *s == "fp32") {
    out.precision = Precision::kFp32;
  } else {
    return MustBe(u.Path("precision"), "\"amp\" or \"fp32\"", *v);
  }
  return OkStatus();
}

// Why an args key may not be given, or nullptr when it may.
const char* ReservedArgReason(std::string_view key) {
  static constexpr std::string_view kOwnFields[] = {"model", "data",  "epochs",
                                                    "imgsz", "batch", "save_period"};
  static constexpr std::string_view kSetByGpusched[] = {"device", "resume", "project", "name",
                                                        "exist_ok"};
  for (std::string_view f : kOwnFields) {
    if (key == f) return "is a field of \"ultralytics\" itself; set it there";
  }
  for (std::string_view f : kSetByGpusched) {
    if (key == f) return "is set by gpusched and cannot be given";
  }
  if (key == "amp") return "is set from ultralytics.precision; use that";
  return nullptr;
}

bool IsArgName(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

Result<ArgValue> ReadArgValue(const TreeValue& v, const std::string& path) {
  if (const bool* b = std::get_if<bool>(&v.v)) return ArgValue{*b};
  if (const auto* n = std::get_if<std::int64_t>(&v.v)) return ArgValue{*n};
  if (const double* d = std::get_if<double>(&v.v); d != nullptr && std::isfinite(*d)) {
    return ArgValue{*d};
  }
  if (v.AsString() != nullptr) {
    Result<std::string> s = ReadString(v, path, /*allow_empty=*/true);
    API_TRY(s);
    return ArgValue{std::move(*s)};
  }
  return MustBe(path, "a string, a finite number or true/false", v);
}

Status ReadArgs(const Fields& u, UltralyticsSpec& out) {
  const TreeValue* v = u.Find("args");
  if (v == nullptr) return OkStatus();
  const std::string path = u.Path("args");
  const TreeMap* map = v->AsMap();
  if (map == nullptr) return MustBe(path, "a mapping of yolo train arguments", *v);
  if (map->size() > kMaxArgs) {
    return FieldError(path,
                      fmt::format("must have at most {} arguments, got {}", kMaxArgs, map->size()));
  }
  for (const auto& [key, value] : *map) {
    if (!IsArgName(key)) {
      return FieldError(path, fmt::format("{} is not an argument name (a-z, 0-9 and '_')",
                                          DescribeValue(TreeValue{key})));
    }
    if (const char* why = ReservedArgReason(key)) return FieldError(JoinPath(path, key), why);
    Result<ArgValue> arg = ReadArgValue(value, JoinPath(path, key));
    API_TRY(arg);
    out.args.emplace(key, std::move(*arg));
  }
  return OkStatus();
}

Result<UltralyticsSpec> ReadUltralytics(const TreeValue& v, int gpus) {
  Result<Fields> u = Fields::Open(
      v, "ultralytics",
      {"model", "data", "epochs", "imgsz", "batch", "precision", "save_period", "args"},
      "extra yolo train arguments go under ultralytics.args");
  API_TRY(u);
  UltralyticsSpec s;
  API_TRY(u->Require("model"));
  API_TRY(u->String("model", s.model));
  if (Result<UltralyticsParams> p = ParseYoloModel(s.model); !p) {
    return FieldError(u->Path("model"), p.error().message);
  }
  API_TRY(u->Require("data"));
  API_TRY(u->String("data", s.data));
  API_TRY(u->Require("epochs"));
  API_TRY(u->Int("epochs", s.epochs, 1, kMaxEpochs, IntegerFromTo(1, kMaxEpochs)));
  API_TRY(u->Int("imgsz", s.imgsz, kMinImgsz, kMaxImgsz, IntegerFromTo(kMinImgsz, kMaxImgsz)));
  API_TRY(ReadBatch(*u, s));
  API_TRY(ReadPrecision(*u, s));
  API_TRY(u->Int("save_period", s.save_period, 1, kIntMax, IntegerAtLeast(1)));
  API_TRY(ReadArgs(*u, s));
  API_TRY(CheckBatchForGpus(*u, s, gpus));
  return s;
}

Result<std::vector<std::string>> ReadArgv(const TreeValue& v) {
  const TreeList* list = v.AsList();
  if (list == nullptr || list->empty()) return MustBe("command", "a non-empty list of strings", v);
  if (list->size() > kMaxCommandItems) {
    return FieldError("command", fmt::format("must have at most {} items, got {}", kMaxCommandItems,
                                             list->size()));
  }
  std::vector<std::string> argv;
  for (std::size_t i = 0; i < list->size(); ++i) {
    Result<std::string> item = ReadString((*list)[i], IndexPath("command", i));
    API_TRY(item);
    argv.push_back(std::move(*item));
  }
  return argv;
}

}  // namespace

Status ReadTrainer(const Fields& top, JobSpec& spec) {
  const TreeValue* ultralytics = top.Find("ultralytics");
  const TreeValue* command = top.Find("command");
  if (ultralytics != nullptr && command != nullptr) {
    return FieldError("", "give either \"ultralytics\" or \"command\", not both");
  }
  if (ultralytics == nullptr && command == nullptr) {
    return FieldError("",
                      "needs \"ultralytics\" (a YOLO training run) or \"command\" (any trainer)");
  }
  if (ultralytics != nullptr) {
    if (top.Has("epochs")) {
      return FieldError("epochs", "only valid with \"command\" (use ultralytics.epochs)");
    }
    Result<UltralyticsSpec> u = ReadUltralytics(*ultralytics, spec.gpus);
    API_TRY(u);
    spec.trainer = std::move(*u);
    return OkStatus();
  }
  CommandSpec c;
  Result<std::vector<std::string>> argv = ReadArgv(*command);
  API_TRY(argv);
  c.argv = std::move(*argv);
  API_TRY(top.Int("epochs", c.epochs, 1, kIntMax, IntegerAtLeast(1)));
  spec.trainer = std::move(c);
  return OkStatus();
}

std::optional<int> DeclaredEpochs(const JobSpec& spec) {
  if (const auto* u = std::get_if<UltralyticsSpec>(&spec.trainer)) return u->epochs;
  return std::get<CommandSpec>(spec.trainer).epochs;
}

}  // namespace gpusched::api
