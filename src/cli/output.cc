#include "cli/output.h"

#include <cstdio>
#include <string>

#include <fmt/core.h>

namespace gpusched::cli {

void PrintJson(const nlohmann::ordered_json& value) {
  fmt::print("{}\n", value.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

void PrintError(std::string_view command, std::string_view message) {
  fmt::print(stderr, "gpusched {}: error: {}\n", command, message);
}

}  // namespace gpusched::cli
