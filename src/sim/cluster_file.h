// The simulator reads cluster files with the shared loader in
// config/cluster_file.h (the server reads its configuration with it too).
#pragma once

#include "config/cluster_file.h"

namespace gpusched::sim {

using config::ClusterConfig;
using config::ParseClusterFile;

}  // namespace gpusched::sim
