// Output helpers shared by the subcommands.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace gpusched::cli {

// Writes `value` to stdout, indented, followed by a newline. Invalid UTF-8
// in strings is replaced rather than thrown on.
void PrintJson(const nlohmann::ordered_json& value);

// Writes "gpusched <command>: error: <message>" to stderr.
void PrintError(std::string_view command, std::string_view message);

}  // namespace gpusched::cli
