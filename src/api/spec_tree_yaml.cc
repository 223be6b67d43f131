// YAML -> neutral tree, from yaml-cpp's parser events rather than its Node
// graph: the events say whether a scalar was quoted (tag "!") or plain (tag
// "?"), report aliases and tags, and let the depth limit stop the parser
// before it recurses further. Duplicate keys, which yaml-cpp accepts
// silently, are caught by the TreeBuilder.
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include "api/spec_text.h"
#include "api/spec_tree.h"

namespace gpusched::api {
namespace {

// Carries an error out of the event handler, through yaml-cpp, to
// ParseYamlTree. Not an std::exception, so nothing else catches it.
struct StopParsing {
  Error error;
};

// `what` is "malformed" (not YAML) or "unsupported" (YAML that a job spec
// may not use).
[[noreturn]] void StopAt(const YAML::Mark& mark, std::string_view what, std::string_view why) {
  throw StopParsing{Error{
      ErrorCode::kInvalidArgument,
      fmt::format("{} YAML at line {}, column {}: {}", what, mark.line + 1, mark.column + 1, why)}};
}

[[noreturn]] void Stop(const Status& status) { throw StopParsing{status.error()}; }

void Check(const Status& status) {
  if (!status) Stop(status);
}

// Builds the tree from the events of one document.
class Handler : public YAML::EventHandler {
 public:
  TreeBuilder& builder() { return builder_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override {
    if (builder_.ExpectsKey())
      StopAt(mark, "unsupported", "a mapping key must be a string, not null or empty");
    builder_.Leaf(TreeValue{});
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    StopAt(mark, "unsupported", "aliases (*name) are not allowed in a job spec");
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                const std::string& value) override {
    CheckTag(mark, tag);
    if (!IsValidUtf8(value)) StopAt(mark, "malformed", "text is not valid UTF-8");
    if (builder_.ExpectsKey()) {
      Check(builder_.Key(value));
      return;
    }
    builder_.Leaf(tag == "?" ? ResolvePlainScalar(value) : TreeValue{value});
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    StartCollection(mark, tag);
    Check(builder_.StartList());
  }
  void OnSequenceEnd() override { builder_.End(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    StartCollection(mark, tag);
    Check(builder_.StartMap());
  }
  void OnMapEnd() override { builder_.End(); }

 private:
  static void CheckTag(const YAML::Mark& mark, const std::string& tag) {
    if (tag != "?" && tag != "!") {
      StopAt(mark, "unsupported", fmt::format("tags (\"{}\") are not allowed in a job spec", tag));
      ;
    }
  }
  void StartCollection(const YAML::Mark& mark, const std::string& tag) {
    CheckTag(mark, tag);
    if (builder_.ExpectsKey())
      StopAt(mark, "unsupported", "a mapping key must be a string, not a collection");
  }

  TreeBuilder builder_;
};

// Probes for a second document after the first: any event means one exists.
class SecondDocument : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    StopAt(mark, "unsupported", "a job spec is one YAML document; found a second one");
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

Result<TreeValue> ParseEvents(std::string_view text) {
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  Handler handler;
  if (!parser.HandleNextDocument(handler)) {
    return MakeError(ErrorCode::kInvalidArgument, "the job spec is empty");
  }
  SecondDocument probe;
  parser.HandleNextDocument(probe);
  if (!handler.builder().Done()) {  // not expected of yaml-cpp; refuse rather than trust it
    return MakeError(ErrorCode::kInvalidArgument, "malformed YAML: the document has no value");
  }
  return handler.builder().Take();
}

}  // namespace

Result<TreeValue> ParseYamlTree(std::string_view text) {
  try {
    return ParseEvents(text);
  } catch (const StopParsing& stop) {
    return tl::unexpected(stop.error);
  } catch (const YAML::ParserException& e) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("malformed YAML at line {}, column {}: {}", e.mark.line + 1,
                                 e.mark.column + 1, PrintableText(e.msg)));
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("cannot read the job spec as YAML: {}", PrintableText(e.what())));
  }
}

}  // namespace gpusched::api
