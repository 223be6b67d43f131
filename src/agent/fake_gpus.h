// Made-up GPUs for machines without any (`gpusched agent --fake-gpus
// "2xT4,1xA100-40"`): development, demos and end-to-end tests run the real
// agent against them.
#pragma once

#include <memory>
#include <string_view>

#include "agent/gpu_info.h"
#include "gpusched/gpu_catalog.h"
#include "gpusched/status.h"

namespace gpusched::agent {

// A source that always discovers the GPUs of `list`, a compact list parsed
// with ParseGpuList ("2xT4,1xA100-40"): indices 0..n-1 in list order, uuid
// "GPU-fake-<node>-<index>" (stable across restarts, unique across nodes),
// name = the catalog type name, product_name "Fake <name>", memory_total_mib
// from the catalog, nothing used, utilization 0 %, 40 C, healthy, no
// processes. Describe() gives "fake: <list>".
//
// Fails (kInvalidArgument or kNotFound) on an empty list, on a token that is
// not a GPU group (the message names it) and on an empty `node`.
// Discover() never fails. The source keeps no reference to its arguments;
// it is immutable, so concurrent Discover() calls are fine.
Result<std::unique_ptr<GpuSource>> MakeFakeGpus(std::string_view list, const GpuCatalog& catalog,
                                                std::string_view node);

}  // namespace gpusched::agent
