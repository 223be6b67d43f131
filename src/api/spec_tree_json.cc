// JSON -> neutral tree through nlohmann's SAX interface: the DOM parser
// would keep the last of two equal keys silently, and the SAX events let the
// TreeBuilder see every key and stop at the depth limit.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/spec_text.h"
#include "api/spec_tree.h"

namespace gpusched::api {
namespace {

using nlohmann::json;

// "[json.exception.parse_error.101] parse error at line 1, column 18:
// syntax error ..." -> "syntax error ...": the byte offset is reported
// separately.
std::string_view TrimParseError(std::string_view what) {
  if (what.starts_with("[json.exception.")) {
    const std::size_t end = what.find("] ");
    if (end != std::string_view::npos) what.remove_prefix(end + 2);
  }
  if (what.starts_with("parse error")) {
    const std::size_t colon = what.find(": ");
    if (colon != std::string_view::npos) what.remove_prefix(colon + 2);
  }
  return what;
}

// Feeds nlohmann's SAX events into a TreeBuilder; the first error stops the
// parse (every method returns false from then on).
class Sax {
 public:
  bool null() { return Leaf(TreeValue{}); }
  bool boolean(bool b) { return Leaf(TreeValue{b}); }
  bool number_integer(json::number_integer_t n) {
    return Leaf(TreeValue{static_cast<std::int64_t>(n)});
  }
  bool number_unsigned(json::number_unsigned_t n) {
    if (n <= static_cast<json::number_unsigned_t>(std::numeric_limits<std::int64_t>::max())) {
      return Leaf(TreeValue{static_cast<std::int64_t>(n)});
    }
    return Leaf(TreeValue{static_cast<double>(n)});  // as YAML does with a large integer
  }
  bool number_float(json::number_float_t d, const json::string_t&) {
    return Leaf(TreeValue{static_cast<double>(d)});
  }
  bool string(json::string_t& s) { return Leaf(TreeValue{std::move(s)}); }
  bool binary(json::binary_t&) { return Fail("binary values are not JSON"); }
  bool start_object(std::size_t) { return Keep(builder_.StartMap()); }
  bool key(json::string_t& k) { return Keep(builder_.Key(std::move(k))); }
  bool end_object() {
    builder_.End();
    return true;
  }
  bool start_array(std::size_t) { return Keep(builder_.StartList()); }
  bool end_array() {
    builder_.End();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    return Fail(fmt::format("malformed JSON at byte {}: {}", position,
                            PrintableText(TrimParseError(e.what()))));
  }

  // The tree, or the first error.
  Result<TreeValue> Finish(bool parsed) {
    if (error_) return tl::unexpected(*error_);
    if (!parsed || !builder_.Done())
      return MakeError(ErrorCode::kInvalidArgument, "malformed JSON");
    return builder_.Take();
  }

 private:
  bool Leaf(TreeValue value) {
    builder_.Leaf(std::move(value));
    return true;
  }
  bool Keep(const Status& status) {
    if (!status) error_ = status.error();
    return status.has_value();
  }
  bool Fail(std::string message) {
    error_ = Error{ErrorCode::kInvalidArgument, std::move(message)};
    return false;
  }

  TreeBuilder builder_;
  std::optional<Error> error_;
};

}  // namespace

Result<TreeValue> ParseJsonTree(std::string_view text) {
  try {
    Sax sax;
    const bool parsed = json::sax_parse(text.begin(), text.end(), &sax);
    return sax.Finish(parsed);
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("cannot read the job spec as JSON: {}", e.what()));
  }
}

}  // namespace gpusched::api
