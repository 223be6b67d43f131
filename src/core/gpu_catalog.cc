#include "gpusched/gpu_catalog.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace gpusched {
namespace {

// The most GPUs one group of a compact list may name.
constexpr int kMaxGroupCount = 1024;

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

std::string_view Trim(std::string_view s) {
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Every spelling of `type`: its canonical name, then its aliases.
std::vector<std::string_view> Spellings(const GpuType& type) {
  std::vector<std::string_view> all{type.name};
  all.insert(all.end(), type.aliases.begin(), type.aliases.end());
  return all;
}

}  // namespace

// Memory: `memory_mib` is what `nvidia-smi --query-gpu=memory.total` reports
// for the common board of each type, in MiB (T4 15360, A10 23028, L4 23034,
// H100 81559). V100 and A100 boards differ among themselves by a few hundred
// MiB (SXM vs PCIe), so those entries use the nominal size (16384, 32768,
// 40960, 81920). An agent that reads the exact value from NVML reports it per
// GPU in `GpuSpec::memory_mib`, which overrides this default.
//
// Speed: approximate mixed-precision training throughput relative to a T4
// (= 1000), from public ResNet-50 / BERT / YOLO training benchmarks, rounded.
// P100 16280 and P40 24451 MiB are nvidia-smi's figures for those boards.
// Variants of one chip (V100-16/-32, A100-40/-80) share a speed. The figure
// only scales runtime predictions; measured epoch times replace it once the
// runtime model has learned them.
GpuCatalog GpuCatalog::BuiltIn() {
  // clang-format off
  const std::vector<GpuType> built_in = {
      {"GTX1650", 4096, 450, {"GTX 1650", "GeForce GTX 1650", "NVIDIA GeForce GTX 1650"}},
      {"T4", 15360, 1000, {"Tesla T4", "NVIDIA T4"}},
      {"RTX3060", 12288, 1300, {"RTX 3060", "GeForce RTX 3060", "NVIDIA GeForce RTX 3060"}},
      {"A4000", 16376, 1500, {"RTX A4000", "NVIDIA RTX A4000"}},
      {"RTX3090", 24576, 2300, {"RTX 3090", "GeForce RTX 3090", "NVIDIA GeForce RTX 3090"}},
      {"A10", 23028, 2000, {"NVIDIA A10"}},
      {"L4", 23034, 1800, {"NVIDIA L4"}},
      {"V100-16", 16384, 2300, {"V100-16GB", "Tesla V100-SXM2-16GB", "Tesla V100-PCIE-16GB"}},
      {"V100-32", 32768, 2300, {"V100-32GB", "Tesla V100-SXM2-32GB", "Tesla V100-PCIE-32GB",
                                "Tesla V100S-PCIE-32GB"}},
      {"A100-40", 40960, 4000, {"A100-40GB", "NVIDIA A100-SXM4-40GB", "NVIDIA A100-PCIE-40GB"}},
      {"A100-80", 81920, 4000, {"A100-80GB", "NVIDIA A100-SXM4-80GB", "NVIDIA A100 80GB PCIe"}},
      {"H100", 81559, 7000, {"H100-80", "NVIDIA H100 80GB HBM3", "NVIDIA H100 PCIe"}},
      // AWS g5: an A10 variant with lower clocks; its own type so that
      // agents on g5 instances resolve "NVIDIA A10G".
      {"A10G", 23028, 1800, {"NVIDIA A10G"}},
      // Pascal cards of the public cluster traces (Philly, Alibaba PAI,
      // Tiresias). No tensor cores: mixed precision gains little on them.
      {"P100", 16280, 900, {"Tesla P100-PCIE-16GB", "Tesla P100-SXM2-16GB"}},
      {"P40", 24451, 700, {"Tesla P40"}},
  };
  // clang-format on
  GpuCatalog catalog;
  for (const GpuType& type : built_in) {
    const Result<GpuTypeId> added = catalog.Add(type);
    GPUSCHED_CHECK(added.has_value(), added.error().message);
  }
  return catalog;
}

Result<GpuTypeId> GpuCatalog::Add(GpuType type) {
  if (type.memory_mib <= 0) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("GPU type \"{}\": memory {} MiB is not positive", type.name, type.memory_mib));
  }
  if (type.speed_milli <= 0) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("GPU type \"{}\": speed {} is not positive", type.name, type.speed_milli));
  }
  if (types_.size() >= kMaxGpuTypes) {
    return MakeError(ErrorCode::kResourceExhausted,
                     fmt::format("GPU catalog is full ({} types)", types_.size()));
  }
  const std::vector<std::string_view> spellings = Spellings(type);
  for (std::size_t i = 0; i < spellings.size(); ++i) {
    if (Trim(spellings[i]).empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("GPU type \"{}\": a name or alias is empty", type.name));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (EqualsIgnoreCase(spellings[i], spellings[j])) {
        return MakeError(
            ErrorCode::kAlreadyExists,
            fmt::format("GPU type \"{}\" names \"{}\" twice", type.name, spellings[i]));
      }
    }
    if (const std::optional<GpuTypeId> taken = Find(spellings[i])) {
      return MakeError(ErrorCode::kAlreadyExists,
                       fmt::format("GPU type \"{}\": \"{}\" already names type {}", type.name,
                                   spellings[i], this->type(*taken).name));
    }
  }
  types_.push_back(std::move(type));
  return static_cast<GpuTypeId>(types_.size() - 1);
}

std::optional<GpuTypeId> GpuCatalog::Find(std::string_view name) const {
  for (std::size_t i = 0; i < types_.size(); ++i) {
    for (std::string_view spelling : Spellings(types_[i])) {
      if (EqualsIgnoreCase(spelling, name)) return static_cast<GpuTypeId>(i);
    }
  }
  return std::nullopt;
}

namespace {

// "unknown GPU type "A100" in "2xA100"; did you mean A100-40 or A100-80? known:
// ...": suggests the types whose name extends the unknown one.
Error UnknownType(std::string_view name, std::string_view token, const GpuCatalog& catalog) {
  std::vector<std::string_view> extensions;
  std::vector<std::string_view> known;
  for (const GpuType& type : catalog.types()) {
    known.push_back(type.name);
    if (StartsWithIgnoreCase(type.name, name) && type.name.size() > name.size() &&
        type.name[name.size()] == '-') {
      extensions.push_back(type.name);
    }
  }
  std::string message = fmt::format("unknown GPU type \"{}\" in \"{}\"", name, token);
  if (!extensions.empty()) {
    message += fmt::format("; did you mean {}? known:", fmt::join(extensions, " or "));
  } else {
    message += "; known:";
  }
  message += fmt::format(" {}", fmt::join(known, ", "));
  return Error{ErrorCode::kNotFound, std::move(message)};
}

// Parses one group: "4xT4", "4 x T4" or a bare "T4" (one GPU).
Result<GpuGroup> ParseGroup(std::string_view token, const GpuCatalog& catalog) {
  std::string_view rest = token;
  int count = 1;
  if (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest.front()))) {
    std::int64_t parsed = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), parsed);
    const bool too_big = ec == std::errc::result_out_of_range || parsed > kMaxGroupCount;
    if (too_big || parsed < 1) {
      return MakeError(
          ErrorCode::kInvalidArgument,
          fmt::format("GPU count in \"{}\" is out of range 1..{}", token, kMaxGroupCount));
    }
    count = static_cast<int>(parsed);
    rest = Trim(rest.substr(static_cast<std::size_t>(end - rest.data())));
    if (rest.empty() || Lower(rest.front()) != 'x') {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("malformed GPU group \"{}\": expected COUNTxTYPE, "
                                   "e.g. \"4xT4\"",
                                   token));
    }
    rest = Trim(rest.substr(1));
  }
  if (rest.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("GPU group \"{}\" names no type", token));
  }
  const std::optional<GpuTypeId> type = catalog.Find(rest);
  if (!type) return tl::unexpected(UnknownType(rest, token, catalog));
  return GpuGroup{count, *type};
}

}  // namespace

Result<std::vector<GpuGroup>> ParseGpuList(std::string_view text, const GpuCatalog& catalog) {
  if (Trim(text).empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "empty GPU list");
  }
  std::vector<GpuGroup> groups;
  std::string_view rest = text;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view token = Trim(rest.substr(0, comma));
    if (token.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("empty GPU group in \"{}\"", Trim(text)));
    }
    Result<GpuGroup> group = ParseGroup(token, catalog);
    if (!group) return tl::unexpected(std::move(group.error()));
    groups.push_back(*group);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return groups;
}

}  // namespace gpusched
