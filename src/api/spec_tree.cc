// TreeBuilder: the one place where nesting depth and key uniqueness are
// enforced for both readers; and DescribeValue for error messages.
#include "api/spec_tree.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace gpusched::api {
namespace {

constexpr std::size_t kDescribeMaxChars = 40;

// Shortest text that reads back as the same double, always showing that it
// is not an integer ("1.0", not "1").
std::string DescribeDouble(double d) {
  if (std::isnan(d)) return ".nan";
  if (std::isinf(d)) return d > 0 ? ".inf" : "-.inf";
  std::string text = fmt::format("{}", d);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

std::string DescribeString(const std::string& s) {
  std::string shown = s;
  bool cut = false;
  if (shown.size() > kDescribeMaxChars) {
    std::size_t end = kDescribeMaxChars;
    // Do not split a UTF-8 sequence: back up to a lead byte.
    while (end > 0 && (static_cast<unsigned char>(shown[end]) & 0xC0) == 0x80) --end;
    shown.resize(end);
    cut = true;
  }
  std::string quoted =
      nlohmann::json(shown).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (cut) quoted.insert(quoted.size() - 1, "...");
  return quoted;
}

}  // namespace

std::string DescribeValue(const TreeValue& value) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "null"; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t n) const { return fmt::format("{}", n); }
    std::string operator()(double d) const { return DescribeDouble(d); }
    std::string operator()(const std::string& s) const { return DescribeString(s); }
    std::string operator()(const TreeList&) const { return "a list"; }
    std::string operator()(const TreeMap&) const { return "a mapping"; }
  };
  return std::visit(Visitor{}, value.v);
}

Status TreeBuilder::StartList() { return Start(TreeValue{TreeList{}}); }
Status TreeBuilder::StartMap() { return Start(TreeValue{TreeMap{}}); }

Status TreeBuilder::Start(TreeValue empty) {
  GPUSCHED_CHECK(!done_ && !ExpectsKey(), "a value where none may start");
  if (stack_.size() >= static_cast<std::size_t>(kMaxSpecDepth)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("the job spec nests deeper than {} levels", kMaxSpecDepth));
  }
  stack_.push_back(Frame{std::move(empty), false, {}});
  return OkStatus();
}

void TreeBuilder::End() {
  GPUSCHED_CHECK(!stack_.empty(), "End() with nothing open");
  GPUSCHED_CHECK(!stack_.back().awaiting_value, "End() while a key waits for its value");
  TreeValue closed = std::move(stack_.back().value);
  stack_.pop_back();
  Add(std::move(closed));
}

bool TreeBuilder::ExpectsKey() const {
  return !stack_.empty() && stack_.back().value.AsMap() != nullptr && !stack_.back().awaiting_value;
}

Status TreeBuilder::Key(std::string key) {
  GPUSCHED_CHECK(ExpectsKey(), "a key where none is expected");
  Frame& top = stack_.back();
  if (!top.keys.insert(key).second) {
    const std::string path = PathOfTop();
    return MakeError(ErrorCode::kInvalidArgument,
                     path.empty() ? fmt::format("duplicate key \"{}\"", key)
                                  : fmt::format("{}: duplicate key \"{}\"", path, key));
  }
  std::get<TreeMap>(top.value.v).push_back(TreeEntry{std::move(key), TreeValue{}});
  top.awaiting_value = true;
  return OkStatus();
}

void TreeBuilder::Leaf(TreeValue value) {
  GPUSCHED_CHECK(!ExpectsKey(), "a value where a key is expected");
  Add(std::move(value));
}

void TreeBuilder::Add(TreeValue value) {
  if (stack_.empty()) {
    GPUSCHED_CHECK(!done_, "a second root value");
    root_ = std::move(value);
    done_ = true;
    return;
  }
  Frame& top = stack_.back();
  if (TreeList* list = std::get_if<TreeList>(&top.value.v)) {
    list->push_back(std::move(value));
    return;
  }
  std::get<TreeMap>(top.value.v).back().value = std::move(value);
  top.awaiting_value = false;
}

TreeValue TreeBuilder::Take() {
  GPUSCHED_CHECK(done_, "Take() before the root value is complete");
  done_ = false;
  return std::move(root_);
}

// "ultralytics.args" for the innermost open container, from the keys and
// list positions that lead to it.
std::string TreeBuilder::PathOfTop() const {
  std::string path;
  for (std::size_t i = 0; i + 1 < stack_.size(); ++i) {
    const TreeValue& container = stack_[i].value;
    if (const TreeList* list = container.AsList()) {
      path += fmt::format("[{}]", list->size());
    } else {
      const std::string& key = container.AsMap()->back().key;
      path += path.empty() ? key : "." + key;
    }
  }
  return path;
}

}  // namespace gpusched::api
