// The compact cluster form: one node per line (or per ';'),
//
//   node-a: 4xT4, 2xA100-80
//   node-b: 2xL4 [image:yolo, dataset:scratches]
//
// a node name, ':', a GPU list (see ParseGpuList) and optional labels in
// brackets. Blank lines are ignored. Every error names the line, numbered
// from 1 over the newline- or ';'-separated entries, blank ones included, so
// that in a file without ';' the number is the file's line number.
#include <cctype>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "gpusched/cluster.h"

namespace gpusched {
namespace {

std::string_view Trim(std::string_view s) {
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Splits at every character of `separators`; keeps empty pieces.
std::vector<std::string_view> Split(std::string_view text, std::string_view separators) {
  std::vector<std::string_view> pieces;
  while (true) {
    const std::size_t at = text.find_first_of(separators);
    pieces.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return pieces;
    text = text.substr(at + 1);
  }
}

// One entry being parsed: its number and text, for error messages.
struct Line {
  int number = 0;
  std::string_view text;

  tl::unexpected<Error> Fail(ErrorCode code, std::string_view what) const {
    return MakeError(code, fmt::format("line {} \"{}\": {}", number, text, what));
  }
};

// "[image:yolo, dataset:scratches]" -> {"image:yolo", "dataset:scratches"}.
// REQUIRES: `bracketed` starts with '['.
Result<std::vector<std::string>> ParseLabels(std::string_view bracketed, const Line& line) {
  if (bracketed.back() != ']') {
    return line.Fail(ErrorCode::kInvalidArgument,
                     "labels must end with ']' at the end of the line");
  }
  const std::string_view inner = Trim(bracketed.substr(1, bracketed.size() - 2));
  std::vector<std::string> labels;
  if (inner.empty()) return labels;
  for (std::string_view piece : Split(inner, ",")) {
    const std::string_view label = Trim(piece);
    if (label.empty() || label.find_first_of("[]") != std::string_view::npos) {
      return line.Fail(ErrorCode::kInvalidArgument, fmt::format("malformed label \"{}\"", label));
    }
    labels.emplace_back(label);
  }
  return labels;
}

std::vector<GpuSpec> ExpandGroups(const std::vector<GpuGroup>& groups) {
  std::vector<GpuSpec> gpus;
  for (const GpuGroup& group : groups) {
    for (int i = 0; i < group.count; ++i) {
      GpuSpec gpu;
      gpu.type = group.type;
      gpus.push_back(std::move(gpu));
    }
  }
  return gpus;
}

// Parses one non-blank entry "NAME: GPUS [LABELS]".
Result<NodeSpec> ParseNode(const Line& line, const GpuCatalog& catalog) {
  const std::size_t colon = line.text.find(':');
  if (colon == std::string_view::npos) {
    return line.Fail(ErrorCode::kInvalidArgument, "expected \"NAME: GPUS\", e.g. \"node-a: 4xT4\"");
  }
  NodeSpec node;
  node.name = std::string(Trim(line.text.substr(0, colon)));
  if (node.name.empty()) {
    return line.Fail(ErrorCode::kInvalidArgument, "the node name is empty");
  }
  std::string_view gpus = line.text.substr(colon + 1);
  const std::size_t bracket = gpus.find('[');
  if (gpus.find(']') < bracket) {
    return line.Fail(ErrorCode::kInvalidArgument, "']' without '['");
  }
  if (bracket != std::string_view::npos) {
    Result<std::vector<std::string>> labels = ParseLabels(Trim(gpus.substr(bracket)), line);
    if (!labels) return tl::unexpected(std::move(labels.error()));
    node.labels = std::move(*labels);
    gpus = gpus.substr(0, bracket);
  }
  Result<std::vector<GpuGroup>> groups = ParseGpuList(gpus, catalog);
  if (!groups) {
    return line.Fail(groups.error().code,
                     fmt::format("node \"{}\": {}", node.name, groups.error().message));
  }
  node.gpus = ExpandGroups(*groups);
  return node;
}

}  // namespace

Result<std::vector<NodeSpec>> ParseCompactCluster(std::string_view text,
                                                  const GpuCatalog& catalog) {
  std::vector<NodeSpec> nodes;
  std::unordered_map<std::string, int> first_line_of;  // node name -> line
  int number = 0;
  for (std::string_view piece : Split(text, "\n;")) {
    const Line line{++number, Trim(piece)};
    if (line.text.empty()) continue;
    Result<NodeSpec> node = ParseNode(line, catalog);
    if (!node) return tl::unexpected(std::move(node.error()));
    const auto [it, inserted] = first_line_of.emplace(node->name, line.number);
    if (!inserted) {
      return line.Fail(
          ErrorCode::kAlreadyExists,
          fmt::format("duplicate node \"{}\" (first on line {})", node->name, it->second));
    }
    nodes.push_back(std::move(*node));
  }
  return nodes;
}

}  // namespace gpusched
