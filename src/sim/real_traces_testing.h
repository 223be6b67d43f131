// Test helper: the real public traces, read in place from GPUSCHED_TRACES_DIR
// (shared/traces beside the repository; see CMakeLists.txt).
#pragma once

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "sim/file_text.h"

namespace gpusched::sim::testing {

// GPUSCHED_TRACES_DIR/`relative`.
inline std::string TracePath(std::string_view relative) {
  return std::string(GPUSCHED_TRACES_DIR) + "/" + std::string(relative);
}

// The text of trace file `relative`; fails the test (and returns "") when it
// cannot be read.
inline std::string ReadTrace(std::string_view relative) {
  Result<std::string> text = ReadFileText(TracePath(relative));
  if (!text) {
    ADD_FAILURE() << text.error().message;
    return "";
  }
  return std::move(*text);
}

}  // namespace gpusched::sim::testing
