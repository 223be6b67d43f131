// Internal to src/config: the cluster document's sections, for loaders of
// files that embed them (the server's configuration adds tokens and server
// settings beside tenants, classes and policy, and has no nodes).
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/cluster_file.h"

namespace gpusched::config {

struct DocumentOptions {
  bool nodes_required = true;
  std::vector<std::string_view> extra_keys;  // further top-level keys the caller reads
};

// The cluster sections of `root` (a mapping, or null when nodes are not
// required). Errors as ParseClusterFile's.
Result<ClusterConfig> ParseClusterDocument(const YAML::Node& root, const GpuCatalog& catalog,
                                           const DocumentOptions& options);

// Loads `text` as YAML and hands the root to `parse`; YAML syntax errors
// become "malformed YAML at line L, column C: ...". No exception escapes.
Result<ClusterConfig> ParseYamlText(
    std::string_view text, const std::function<Result<ClusterConfig>(const YAML::Node&)>& parse);

}  // namespace gpusched::config
