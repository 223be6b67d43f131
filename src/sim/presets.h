// Built-in clusters for replaying the public traces: each preset is the
// cluster a published simulation of that trace used, built in code.
//
// Every preset has ClassTable::Defaults(), PolicyConfig{}, one tenant
// "default" and open_tenants = true (the replay adds each tenant the trace
// names, e.g. Philly's VC ids, with default settings). Node GPUs take their
// memory from the preset's catalog.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gpusched/gpu_catalog.h"
#include "gpusched/status.h"
#include "sim/cluster_file.h"

namespace gpusched::sim {

// A cluster with the catalog its GPU type ids refer to. The caller keeps the
// Preset (its catalog) alive as long as anything built from `config` (a
// ledger) points at the catalog. Moving a Preset keeps the ids valid.
struct Preset {
  std::string name;
  std::string description;
  GpuCatalog catalog;
  ClusterConfig config;
};

// The whole Philly fleet as the Helios simulator sized it: 352 nodes
// "philly-0".."philly-351" of 8 x P100 = 2,816 GPUs (the sum of
// philly_vc.csv's node counts; Helios uses 8 GPUs per node).
Preset PhillyPreset();

// One row of philly-helios-qssf/philly_vc.csv (`vc,node num`).
struct PhillyVc {
  std::string vc;
  int nodes = 0;
};

// Reads `vc,node num` rows: VC ids unique and non-empty, node counts >= 1.
// Errors name the line and column like the trace readers'.
Result<std::vector<PhillyVc>> ParsePhillyVcList(std::string_view philly_vc_csv);

// One preset per VC of philly_vc.csv, in file order, as Helios simulates
// each VC as its own cluster: "philly-vc-<vc>" with nodes
// "philly-vc-<vc>-0".. of 8 x P100. Replay each with the Philly reader's
// options vcs = {vc} and window = HeliosPhillyWindow().
Result<std::vector<Preset>> PhillyVcPresets(std::string_view philly_vc_csv);

// The built-in catalog plus PAI's two undisclosed models, "PAI-G2" (alias
// "G2") and "PAI-G3" (alias "G3"). Their memory is unknown: both get 24576
// MiB and speed 1000 as placeholders. PAI pods ask for GPU shares
// (memory_permille) or whole GPUs, not memory, so the size does not change
// what fits; the speed does not matter either, as PAI run times are replayed
// unscaled.
GpuCatalog PaiCatalog();

// The PAI 2023 cluster from openb_node_list_gpu_node.csv (see
// ParsePaiNodes): "pai", nodes named by their `sn`, catalog PaiCatalog().
// The default file gives 1,213 nodes holding 6,212 GPUs.
Result<Preset> PaiPreset(std::string_view gpu_node_csv);

// The Tiresias simulator's shipped cluster_spec.csv (1 switch x 16 nodes x
// 4 GPUs = 64 GPUs): nodes "tiresias-0".."tiresias-15" of 4 x P100, the
// card of the Tiresias paper's testbed (4-GPU P100 servers).
Preset TiresiasPreset();

}  // namespace gpusched::sim
