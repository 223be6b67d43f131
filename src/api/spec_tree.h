// The neutral document tree that YAML and JSON job specs are both read into,
// so that one validation path (job_spec_parse.cc) applies the same rules to
// either format. Internal to src/api/; not part of the wire types.
//
// What the two readers guarantee about a tree they return:
//   - nesting is at most kMaxSpecDepth lists/mappings deep;
//   - no mapping holds the same key twice (entries keep document order);
//   - every string is valid UTF-8;
//   - numbers are int64 when written as integers that fit, double otherwise
//     (a double may be NaN or infinite: YAML's .nan/.inf; validation rejects
//     them where it reads a number, naming the field).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gpusched/status.h"

namespace gpusched::api {

// Lists and mappings nest at most this deep (the root mapping is level 1).
inline constexpr int kMaxSpecDepth = 64;

struct TreeValue;
struct TreeEntry;
using TreeList = std::vector<TreeValue>;
using TreeMap = std::vector<TreeEntry>;  // in document order

// One node of a document: null, bool, integer, floating-point number,
// string, list or mapping.
struct TreeValue {
  std::variant<std::monostate, bool, std::int64_t, double, std::string, TreeList, TreeMap> v;

  bool IsNull() const;
  const TreeMap* AsMap() const;
  const TreeList* AsList() const;
  const std::string* AsString() const;
};

// One key and its value in a mapping.
struct TreeEntry {
  std::string key;
  TreeValue value;
};

// Defined here, where TreeEntry is complete (Clang needs it to instantiate
// the variant's members).
inline bool TreeValue::IsNull() const { return std::holds_alternative<std::monostate>(v); }
inline const TreeMap* TreeValue::AsMap() const { return std::get_if<TreeMap>(&v); }
inline const TreeList* TreeValue::AsList() const { return std::get_if<TreeList>(&v); }
inline const std::string* TreeValue::AsString() const { return std::get_if<std::string>(&v); }

// Assembles a tree from start/end/key/leaf events, enforcing the depth limit
// and unique keys in one place for both readers. Errors name the path of the
// offending key ("ultralytics: duplicate key \"epochs\""). Not thread-safe;
// one builder per document.
class TreeBuilder {
 public:
  // Opens a list or mapping as the next value. Fails past kMaxSpecDepth.
  Status StartList();
  Status StartMap();
  // Closes the innermost open list or mapping.
  // REQUIRES: one is open, and a mapping is not waiting for a key's value.
  void End();
  // True when the innermost open container is a mapping that waits for a key.
  bool ExpectsKey() const;
  // The next key of the innermost mapping. Fails when it repeats a key.
  // REQUIRES: ExpectsKey().
  Status Key(std::string key);
  // A scalar as the next value. REQUIRES: !ExpectsKey().
  void Leaf(TreeValue value);
  // True once a complete root value has been built.
  bool Done() const { return done_; }
  // The root value. REQUIRES: Done().
  TreeValue Take();

 private:
  struct Frame {
    TreeValue value;                          // a TreeList or a TreeMap
    bool awaiting_value = false;              // mapping: a key was given, its value not yet
    std::set<std::string, std::less<>> keys;  // mapping: for the duplicate check
  };
  Status Start(TreeValue empty);
  void Add(TreeValue value);
  std::string PathOfTop() const;

  std::vector<Frame> stack_;
  TreeValue root_;
  bool done_ = false;
};

// Reads YAML text (one document) into a tree. Plain scalars resolve by the
// YAML 1.2 core schema, restricted: null (~, null, Null, NULL, empty),
// booleans true/True/TRUE/false/False/FALSE (never yes/no/on/off), decimal
// integers ([-+]?[0-9]+), decimal floats and .inf/.nan; everything else, and
// every quoted or block scalar, is a string. Refuses aliases, explicit tags
// other than "!", non-string keys, several documents and invalid UTF-8.
// Errors: "malformed YAML at line L, column C: ...", or the builder's. Never
// throws; thread-safe (no shared state).
Result<TreeValue> ParseYamlTree(std::string_view text);

// Reads one JSON value (RFC 8259, no comments, no trailing text) into a
// tree. Errors: "malformed JSON at byte N: ...", or the builder's. Never
// throws; thread-safe.
Result<TreeValue> ParseJsonTree(std::string_view text);

// A short rendering of a value for error messages: 5, 0.5, 1.0, "text",
// true, null, a list, a mapping. Long strings are cut to about 40 characters.
std::string DescribeValue(const TreeValue& value);

}  // namespace gpusched::api
