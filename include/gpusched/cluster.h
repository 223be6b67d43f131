// Nodes, their GPUs, and the resource ledger: the one object that owns which
// job holds how much memory on which GPU.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gpusched/gpu_catalog.h"
#include "gpusched/status.h"
#include "gpusched/types.h"

namespace gpusched {

struct GpuSpec {
  GpuTypeId type = 0;
  MiB memory_mib = 0;  // 0 means: the catalog's memory for `type`
  std::string uuid;    // optional; from NVML when an agent reports it
  bool healthy = true;
};

struct NodeSpec {
  std::string name;
  std::vector<GpuSpec> gpus;
  // Cache-locality labels: "image:<ref>" and "dataset:<name>" mean the node
  // has that container image / data set cached. Other labels are free-form.
  std::vector<std::string> labels;
  bool healthy = true;  // false: lease lost, unreachable
  bool drained = false; // true: operator drain, no new work is placed here
};

// Parses "node-a: 4xT4, 2xA100-80" (one node per line or per ';'), the compact
// cluster form used by tests, scenarios and cluster files.
Result<std::vector<NodeSpec>> ParseCompactCluster(std::string_view text,
                                                  const GpuCatalog& catalog);

// A job's share of one GPU.
struct Slice {
  GpuIndex gpu = 0;
  MiB memory_mib = 0;
  friend bool operator==(const Slice&, const Slice&) = default;
};

// A job's allocation: one slice per GPU it uses, in ascending GPU order.
struct Placement {
  std::vector<Slice> slices;
  friend bool operator==(const Placement&, const Placement&) = default;
};

// Per-GPU facts the ledger keeps in its flat table.
struct GpuInfo {
  NodeIndex node = 0;
  int local_index = 0;  // index of the GPU on its node (the CUDA/NVML index)
  GpuTypeId type = 0;
  MiB total_mib = 0;
  bool healthy = true;
};

// The resource ledger. Invariant: for every GPU, the memory of the slices on
// it never exceeds its total (memory is never over-committed), and each job
// holds at most one placement. Every mutation validates first and changes
// nothing when it fails.
//
// Thread safety: none; one owner (the server's scheduling loop, the simulator)
// mutates it. The scheduling cycle reads it through a const reference.
class ClusterLedger {
 public:
  // REQUIRES: `catalog` outlives the ledger.
  explicit ClusterLedger(const GpuCatalog* catalog);

  // Builds a ledger from node specs; fails on duplicate node names or
  // unknown GPU types, naming the node.
  static Result<ClusterLedger> Create(const GpuCatalog* catalog,
                                      std::vector<NodeSpec> nodes);

  // Adds a node at the end of the node table; its GPUs get the next GPU
  // indices. Fails when the name exists or the node has no GPU.
  Result<NodeIndex> AddNode(NodeSpec node);

  // Operator and health changes. Existing allocations are kept; the cycle
  // stops placing new work on unhealthy or drained nodes and GPUs.
  Status SetDrained(std::string_view node, bool drained);
  Status SetNodeHealthy(std::string_view node, bool healthy);
  Status SetGpuHealthy(GpuIndex gpu, bool healthy);

  // Records `placement` for `job`. Fails, changing nothing, when the job
  // already holds a placement, the placement is empty, names a GPU twice or
  // an unknown GPU, a slice is not positive, or any slice exceeds the GPU's
  // free memory (the message names the GPU and both amounts).
  Status Allocate(JobId job, const Placement& placement);

  // Frees everything `job` holds. Fails when it holds nothing.
  Status Release(JobId job);

  // --- read-only views --------------------------------------------------
  const GpuCatalog& catalog() const { return *catalog_; }
  int node_count() const { return static_cast<int>(nodes_.size()); }
  int gpu_count() const { return static_cast<int>(gpus_.size()); }
  const NodeSpec& node(NodeIndex n) const { return nodes_[static_cast<size_t>(n)]; }
  const GpuInfo& gpu(GpuIndex g) const { return gpus_[static_cast<size_t>(g)]; }
  // GPU indices of node `n`: [first_gpu(n), first_gpu(n) + node(n).gpus.size()).
  GpuIndex first_gpu(NodeIndex n) const { return first_gpu_[static_cast<size_t>(n)]; }
  // Number of GPUs of node `n`.
  GpuIndex node_gpu_count(NodeIndex n) const {
    const auto i = static_cast<size_t>(n);
    return (i + 1 < first_gpu_.size() ? first_gpu_[i + 1] : static_cast<GpuIndex>(gpus_.size())) - first_gpu_[i];
  }
  MiB free_mib(GpuIndex g) const { return free_[static_cast<size_t>(g)]; }
  // Jobs with a slice on GPU `g`, in allocation order, and (parallel to it)
  // the size of each job's slice there.
  std::span<const JobId> jobs_on(GpuIndex g) const { return on_[static_cast<size_t>(g)].ids(); }
  std::span<const MiB> mib_on(GpuIndex g) const { return on_[static_cast<size_t>(g)].mibs(); }
  // The placement of `job`, or nullptr when it holds none.
  const Placement* placement(JobId job) const;
  std::size_t allocation_count() const { return allocations_.size(); }
  std::optional<NodeIndex> FindNode(std::string_view name) const;
  // Whether new work may be placed on GPU `g` (GPU and node healthy, node not drained).
  bool Schedulable(GpuIndex g) const;
  // "node-3 GPU 1": how reasons name a GPU.
  std::string GpuName(GpuIndex g) const;

 private:
  Status ValidatePlacement(const Placement& placement) const;

  const GpuCatalog* catalog_;
  std::vector<NodeSpec> nodes_;
  std::vector<GpuIndex> first_gpu_;
  std::vector<GpuInfo> gpus_;
  std::vector<MiB> free_;
  // The jobs on one GPU and their slices, in allocation order. The first
  // few live inline, so that reading every GPU's list (each scheduling
  // cycle does) walks one contiguous table instead of chasing pointers.
  class JobsOnGpu {
   public:
    std::span<const JobId> ids() const;
    std::span<const MiB> mibs() const;
    void Add(JobId job, MiB mib);
    void Remove(JobId job);  // REQUIRES: the job is there

   private:
    static constexpr std::size_t kInline = 4;
    std::size_t count_ = 0;
    std::array<JobId, kInline> ids_{};
    std::array<MiB, kInline> mibs_{};
    std::vector<JobId> more_ids_;  // all entries, once more than kInline
    std::vector<MiB> more_mibs_;
  };
  std::vector<JobsOnGpu> on_;
  std::unordered_map<JobId, Placement> allocations_;
  std::unordered_map<std::string, NodeIndex> node_by_name_;
};

}  // namespace gpusched
