// Every way a job spec can be wrong, and the exact message it gets: the
// message names the field path and says why.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/job_spec.h"

namespace gpusched::api {
namespace {

// A valid Ultralytics spec plus `extra` top-level lines.
std::string Yolo(std::string_view extra = "") {
  return "ultralytics: {model: yolov8n.pt, data: d.yaml, epochs: 3}\n" + std::string(extra);
}
// A valid Ultralytics spec whose `ultralytics` mapping also has `fields`.
std::string YoloWith(std::string_view fields) {
  return "ultralytics: {model: yolov8n.pt, data: d.yaml, epochs: 3, " + std::string(fields) + "}";
}
// A valid command spec plus `extra` top-level lines.
std::string Command(std::string_view extra = "") {
  return "command: [train]\n" + std::string(extra);
}

// "[t0, t1, ...]" with n items.
std::string FlowList(int n) {
  std::string list = "[";
  for (int i = 0; i < n; ++i) list += (i ? ", t" : "t") + std::to_string(i);
  return list + "]";
}

struct ErrorCase {
  const char* mistake;
  SpecFormat format;
  std::string text;
  std::string message;
};

constexpr SpecFormat kYaml = SpecFormat::kYaml;
constexpr SpecFormat kJson = SpecFormat::kJson;
const std::string kBatch =
    "ultralytics.batch: must be an integer >= 1, -1 (AutoBatch) or a fraction in (0, 1), got ";
const std::string kName =
    "name: must be 1 to 63 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or "
    "digit, got ";
const std::string kSeconds = "must be a number of seconds > 0 and <= 1000000000, got ";

std::vector<ErrorCase> Cases() {
  return {
      // --- the document ---
      {"malformed YAML", kYaml, "name: a\ncommand: [x\n  y: [",
       "malformed YAML at line 3, column 4: end of sequence flow not found"},
      {"malformed JSON", kJson, R"({"command": ["x"],, })",
       "malformed JSON at byte 19: syntax error while parsing object key - unexpected ','; "
       "expected string literal"},
      {"JSON with trailing text", kJson, R"({"command": ["x"]} x)",
       "malformed JSON at byte 20: syntax error while parsing value - invalid literal; last read: "
       "'\"x\"]} x'; expected end of input"},
      {"JSON number too large for a double", kJson, R"({"command": ["x"], "epochs": 1e999})",
       "malformed JSON at byte 34: number overflow parsing '1e999'"},
      {"empty YAML", kYaml, "# nothing\n", "the job spec is empty"},
      {"empty JSON", kJson, "",
       "malformed JSON at byte 1: syntax error while parsing value - unexpected end of input; "
       "expected '[', '{', or a literal"},
      {"root is a list", kYaml, "- command: [x]",
       "the job spec must be a mapping of fields, got a list"},
      {"root is a string", kJson, R"("command")",
       "the job spec must be a mapping of fields, got \"command\""},
      {"root is null", kYaml, "~", "the job spec must be a mapping of fields, got null"},
      {"duplicate key in YAML", kYaml, Yolo("gpus: 1\ngpus: 2"), "duplicate key \"gpus\""},
      {"duplicate key in JSON", kJson, R"({"command": ["x"], "gpus": 1, "gpus": 2})",
       "duplicate key \"gpus\""},
      {"duplicate nested key in YAML", kYaml, YoloWith("epochs: 4"),
       "ultralytics: duplicate key \"epochs\""},
      {"duplicate nested key in JSON", kJson, R"({"env": {"A": "1", "A": "2"}})",
       "env: duplicate key \"A\""},
      {"YAML alias", kYaml, "command: &c [x]\nenv: *c",
       "unsupported YAML at line 2, column 6: aliases (*name) are not allowed in a job spec"},
      {"YAML tag", kYaml, "command: [x]\ngpus: !!int 2",
       "unsupported YAML at line 2, column 7: tags (\"tag:yaml.org,2002:int\") are not allowed in "
       "a job spec"},
      {"two YAML documents", kYaml, "command: [x]\n---\ncommand: [y]",
       "unsupported YAML at line 2, column 1: a job spec is one YAML document; found a second one"},
      {"YAML key that is a list", kYaml, "command: [x]\n[a]: 1",
       "unsupported YAML at line 2, column 1: a mapping key must be a string, not a collection"},
      {"invalid UTF-8 in YAML", kYaml, "command: [\"\xff\"]",
       "malformed YAML at line 1, column 11: text is not valid UTF-8"},
      {"invalid UTF-8 in JSON", kJson, "{\"command\": [\"\xff\"]}",
       "malformed JSON at byte 15: syntax error while parsing value - invalid string: ill-formed "
       "UTF-8 byte; last read: '\"<FF>'"},
      // --- fields ---
      {"unknown field", kYaml, Yolo("gpuz: 2"), "unknown field \"gpuz\""},
      {"unknown ultralytics field", kYaml, YoloWith("lr0: 0.01"),
       "unknown field \"ultralytics.lr0\" (extra yolo train arguments go under ultralytics.args)"},
      {"unknown estimate field", kYaml, Command("estimate: {seconds: 5}"),
       "unknown field \"estimate.seconds\""},
      {"both trainers", kYaml, Yolo("command: [x]"),
       "give either \"ultralytics\" or \"command\", not both"},
      {"no trainer", kYaml, "gpus: 1",
       "needs \"ultralytics\" (a YOLO training run) or \"command\" (any trainer)"},
      {"bad name", kYaml, Yolo("name: Scratch"), kName + "\"Scratch\""},
      {"name too long", kYaml, Yolo("name: " + std::string(64, 'a')),
       kName + "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\""},
      {"name starting with a dash", kYaml, Yolo("name: -a"), kName + "\"-a\""},
      {"empty tenant", kYaml, Yolo("tenant: ''"), "tenant: must be a non-empty string, got \"\""},
      {"class as a number", kYaml, Yolo("class: 5"), "class: must be a non-empty string, got 5"},
      {"negative gpus", kYaml, Yolo("gpus: -2"), "gpus: must be an integer from 1 to 1024, got -2"},
      {"too many gpus", kJson, R"({"command": ["x"], "gpus": 1025})",
       "gpus: must be an integer from 1 to 1024, got 1025"},
      {"gpus as a quoted YAML string", kYaml, Yolo("gpus: \"2\""),
       "gpus: must be an integer from 1 to 1024, got \"2\""},
      {"gpus as a float", kJson, R"({"command": ["x"], "gpus": 2.0})",
       "gpus: must be an integer from 1 to 1024, got 2.0"},
      {"gpus beyond int64", kYaml, Yolo("gpus: 99999999999999999999"),
       "gpus: must be an integer from 1 to 1024, got 1e+20"},
      {"gpu_types not a list", kYaml, Yolo("gpu_types: T4"),
       "gpu_types: must be a list of GPU type names, got \"T4\""},
      {"gpu_types with an empty name", kYaml, Yolo("gpu_types: [T4, '']"),
       "gpu_types[1]: must be a non-empty string, got \"\""},
      {"gpu_types twice the same", kYaml, Yolo("gpu_types: [T4, A10, T4]"),
       "gpu_types[2]: \"T4\" is listed twice"},
      {"too many gpu_types", kYaml, Yolo("gpu_types: " + FlowList(33)),
       "gpu_types: must list at most 32 types, got 33"},
      {"zero memory", kYaml, Yolo("memory_mib: 0"), "memory_mib: must be an integer >= 1, got 0"},
      {"yes is not a boolean", kYaml, Yolo("exclusive: yes"),
       "exclusive: must be true or false, got \"yes\""},
      {"on is not a boolean", kYaml, Yolo("preemptible: on"),
       "preemptible: must be true or false, got \"on\""},
      {"empty image", kJson, R"({"command": ["x"], "image": ""})",
       "image: must be a non-empty string, got \"\""},
      {"dataset as a list", kYaml, Yolo("dataset: [a]"),
       "dataset: must be a non-empty string, got a list"},
      {"env as a list", kYaml, Yolo("env: [A]"),
       "env: must be a mapping of variable names to strings, got a list"},
      {"env name with a dash", kYaml, Yolo("env: {MY-VAR: x}"),
       "env: \"MY-VAR\" is not a variable name (letters, digits and '_', not starting with a "
       "digit)"},
      {"env name starting with a digit", kYaml, Yolo("env: {1A: x}"),
       "env: \"1A\" is not a variable name (letters, digits and '_', not starting with a digit)"},
      {"env value as a number", kYaml, Yolo("env: {SEED: 1}"),
       "env.SEED: must be a string (quote numbers and booleans), got 1"},
      {"too many retries", kYaml, Yolo("max_retries: 11"),
       "max_retries: must be an integer from 0 to 10, got 11"},
      // --- ultralytics ---
      {"ultralytics not a mapping", kYaml, "ultralytics: yolov8n.pt",
       "ultralytics: must be a mapping, got \"yolov8n.pt\""},
      {"model missing", kYaml, "ultralytics: {data: d.yaml, epochs: 3}",
       "ultralytics.model: is required"},
      {"model not YOLO", kYaml, "ultralytics: {model: resnet.pt, data: d.yaml, epochs: 3}",
       "ultralytics.model: cannot read a YOLO model from 'resnet.pt': expected "
       "yolov5/yolov8/yolo11 followed by n, s, m, l or x"},
      {"data missing", kYaml, "ultralytics: {model: yolov8n.pt, epochs: 3}",
       "ultralytics.data: is required"},
      {"epochs missing", kYaml, "ultralytics: {model: yolov8n.pt, data: d.yaml}",
       "ultralytics.epochs: is required"},
      {"zero epochs", kYaml, "ultralytics: {model: yolov8n.pt, data: d.yaml, epochs: 0}",
       "ultralytics.epochs: must be an integer from 1 to 100000, got 0"},
      {"epochs beside ultralytics", kYaml, Yolo("epochs: 3"),
       "epochs: only valid with \"command\" (use ultralytics.epochs)"},
      {"small imgsz", kYaml, YoloWith("imgsz: 16"),
       "ultralytics.imgsz: must be an integer from 32 to 8192, got 16"},
      {"zero batch", kYaml, YoloWith("batch: 0"), kBatch + "0"},
      {"batch of -2", kYaml, YoloWith("batch: -2"), kBatch + "-2"},
      {"batch fraction of 1.0", kJson,
       R"({"ultralytics": {"model": "yolov8n.pt", "data": "d", "epochs": 1, "batch": 1.0}})",
       kBatch + "1.0"},
      {"batch as a string", kYaml, YoloWith("batch: '32'"), kBatch + "\"32\""},
      {"batch not split evenly", kYaml, YoloWith("batch: 30") + "\ngpus: 4",
       "ultralytics.batch: must be a multiple of gpus (4), the total batch being split evenly "
       "across GPUs, got 30"},
      {"AutoBatch on several GPUs", kYaml, YoloWith("batch: -1") + "\ngpus: 2",
       "ultralytics.batch: AutoBatch (-1) and fractions need gpus: 1 (Ultralytics does not support "
       "them with DDP), got gpus: 2"},
      {"unknown precision", kYaml, YoloWith("precision: fp16"),
       "ultralytics.precision: must be \"amp\" or \"fp32\", got \"fp16\""},
      {"zero save_period", kYaml, YoloWith("save_period: 0"),
       "ultralytics.save_period: must be an integer >= 1, got 0"},
      {"args as a list", kYaml, YoloWith("args: [lr0]"),
       "ultralytics.args: must be a mapping of yolo train arguments, got a list"},
      {"arg name in capitals", kYaml, YoloWith("args: {LR0: 1}"),
       "ultralytics.args: \"LR0\" is not an argument name (a-z, 0-9 and '_')"},
      {"arg value as a list", kYaml, YoloWith("args: {classes: [0, 1]}"),
       "ultralytics.args.classes: must be a string, a finite number or true/false, got a list"},
      {"arg value null", kYaml, YoloWith("args: {cache: }"),
       "ultralytics.args.cache: must be a string, a finite number or true/false, got null"},
      {"arg value infinite", kYaml, YoloWith("args: {lr0: .inf}"),
       "ultralytics.args.lr0: must be a string, a finite number or true/false, got .inf"},
      {"arg set by gpusched", kYaml, YoloWith("args: {device: 0}"),
       "ultralytics.args.device: is set by gpusched and cannot be given"},
      {"arg that is a field", kYaml, YoloWith("args: {epochs: 5}"),
       "ultralytics.args.epochs: is a field of \"ultralytics\" itself; set it there"},
      {"amp as an arg", kYaml, YoloWith("args: {amp: false}"),
       "ultralytics.args.amp: is set from ultralytics.precision; use that"},
      // --- command ---
      {"command as one string", kYaml, "command: python train.py",
       "command: must be a non-empty list of strings, got \"python train.py\""},
      {"empty command", kJson, R"({"command": []})",
       "command: must be a non-empty list of strings, got a list"},
      {"command with an empty item", kYaml, "command: [python, '']",
       "command[1]: must be a non-empty string, got \"\""},
      {"command with a number", kYaml, "command: [python, train.py, --epochs, 50]",
       "command[3]: must be a non-empty string, got 50"},
      {"command with a NUL", kJson, R"({"command": ["a\u0000b"]})",
       "command[0]: must not contain NUL characters"},
      {"too long a command", kYaml, "command: " + FlowList(257),
       "command: must have at most 256 items, got 257"},
      {"zero epochs beside command", kYaml, Command("epochs: 0"),
       "epochs: must be an integer >= 1, got 0"},
      // --- estimate ---
      {"estimate not a mapping", kYaml, Command("estimate: 60"),
       "estimate: must be a mapping, got 60"},
      {"estimate with both", kYaml, Yolo("estimate: {epoch_s: 1, duration_s: 2}"),
       "estimate: give epoch_s or duration_s, not both"},
      {"estimate with neither", kYaml, Yolo("estimate: {}"),
       "estimate: needs epoch_s or duration_s"},
      {"zero epoch time", kYaml, Yolo("estimate: {epoch_s: 0}"),
       "estimate.epoch_s: " + kSeconds + "0"},
      {"NaN epoch time", kYaml, Yolo("estimate: {epoch_s: .nan}"),
       "estimate.epoch_s: " + kSeconds + ".nan"},
      {"infinite duration", kYaml, Yolo("estimate: {duration_s: .inf}"),
       "estimate.duration_s: " + kSeconds + ".inf"},
      {"duration as a string", kYaml, Yolo("estimate: {duration_s: 2h}"),
       "estimate.duration_s: " + kSeconds + "\"2h\""},
      {"epoch time without epochs", kYaml, Command("estimate: {epoch_s: 60}"),
       "estimate.epoch_s: needs \"epochs\" (how many epochs the command runs) beside \"command\""},
  };
}

TEST(JobSpecErrors, EveryMistakeGetsAMessageNamingTheFieldAndWhy) {
  for (const ErrorCase& c : Cases()) {
    SCOPED_TRACE(c.mistake);
    Result<JobSpec> spec = ParseJobSpec(c.text, c.format);
    ASSERT_FALSE(spec.has_value()) << "accepted:\n" << c.text;
    EXPECT_EQ(spec.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(spec.error().message, c.message);
  }
}

TEST(JobSpecErrors, TheSameMistakeGetsTheSameMessageInYamlAndJson) {
  const std::pair<const char*, const char*> pairs[] = {
      {"command: [x]\ngpus: -2", R"({"command": ["x"], "gpus": -2})"},
      {"command: [x]\ngpuz: 1", R"({"command": ["x"], "gpuz": 1})"},
      {"command: [x]\nenv: {A: 1}", R"({"command": ["x"], "env": {"A": 1}})"},
      {"ultralytics: {model: yolov8n.pt, data: d, epochs: 1, batch: 0}",
       R"({"ultralytics": {"model": "yolov8n.pt", "data": "d", "epochs": 1, "batch": 0}})"},
      {"command: [x]\nexclusive: 'true'", R"({"command": ["x"], "exclusive": "true"})"},
  };
  for (const auto& [yaml, json] : pairs) {
    Result<JobSpec> from_yaml = ParseJobSpec(yaml, SpecFormat::kYaml);
    Result<JobSpec> from_json = ParseJobSpec(json, SpecFormat::kJson);
    ASSERT_FALSE(from_yaml.has_value()) << yaml;
    ASSERT_FALSE(from_json.has_value()) << json;
    EXPECT_EQ(from_yaml.error().message, from_json.error().message);
  }
}

}  // namespace
}  // namespace gpusched::api
