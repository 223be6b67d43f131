// Text-level helpers of the job-spec readers: UTF-8 validation and the
// resolution of plain YAML scalars. Internal to src/api/. Pure and
// thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "api/spec_tree.h"

namespace gpusched::api {

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// `text` with every byte that is not part of well-formed UTF-8 shown as
// <XX> (hex), so that a message quoting input can always be put in JSON.
std::string PrintableText(std::string_view text);

// The value of a plain (unquoted) YAML scalar under the YAML 1.2 core
// schema, restricted so that nothing surprising becomes a number or a bool:
//   null   ~  null  Null  NULL  and the empty scalar
//   bool   true True TRUE false False FALSE     (yes/no/on/off stay strings)
//   int    [-+]?[0-9]+ that fits int64 (a larger one becomes a double)
//   float  [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?,
//          [-+]?(.inf|.Inf|.INF), .nan|.NaN|.NAN
//   anything else is the string itself (0x10, 1_000, 12:30, 1e, .5.5 ...).
TreeValue ResolvePlainScalar(std::string_view text);

}  // namespace gpusched::api
