// `gpusched version`.
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"

#ifndef GPUSCHED_VERSION
#define GPUSCHED_VERSION "unknown"
#endif

namespace gpusched::cli {

const char* Version() { return GPUSCHED_VERSION; }

int RunVersion(const VersionOptions& options) {
  if (options.output == OutputFormat::kJson) {
    PrintJson(nlohmann::ordered_json{{"name", "gpusched"}, {"version", Version()}});
  } else {
    fmt::print("gpusched {}\n", Version());
  }
  return kExitOk;
}

}  // namespace gpusched::cli
