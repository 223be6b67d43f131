#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "gpusched/cluster.h"

namespace gpusched {

ClusterLedger::ClusterLedger(const GpuCatalog* catalog) : catalog_(catalog) {
  GPUSCHED_CHECK(catalog != nullptr, "ledger needs a GPU catalog");
}

Result<ClusterLedger> ClusterLedger::Create(const GpuCatalog* catalog,
                                            std::vector<NodeSpec> nodes) {
  ClusterLedger ledger(catalog);
  for (NodeSpec& node : nodes) {
    auto added = ledger.AddNode(std::move(node));
    if (!added) return tl::unexpected(added.error());
  }
  return ledger;
}

Result<NodeIndex> ClusterLedger::AddNode(NodeSpec node) {
  if (node.name.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "node name is empty");
  }
  if (FindNode(node.name)) {
    return MakeError(ErrorCode::kAlreadyExists,
                     fmt::format("node \"{}\" already exists", node.name));
  }
  if (node.gpus.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("node \"{}\" has no GPU", node.name));
  }
  for (const GpuSpec& g : node.gpus) {
    if (g.type < 0 || static_cast<std::size_t>(g.type) >= catalog_->size()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("node \"{}\": unknown GPU type id {}", node.name, g.type));
    }
    if (g.memory_mib < 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("node \"{}\": negative GPU memory", node.name));
    }
  }
  const auto n = static_cast<NodeIndex>(nodes_.size());
  first_gpu_.push_back(static_cast<GpuIndex>(gpus_.size()));
  for (std::size_t i = 0; i < node.gpus.size(); ++i) {
    GpuSpec& g = node.gpus[i];
    if (g.memory_mib == 0) g.memory_mib = catalog_->type(g.type).memory_mib;
    gpus_.push_back(GpuInfo{n, static_cast<int>(i), g.type, g.memory_mib, g.healthy});
    free_.push_back(g.memory_mib);
    on_.emplace_back();
  }
  node_by_name_.emplace(node.name, n);
  nodes_.push_back(std::move(node));
  return n;
}

Status ClusterLedger::SetDrained(std::string_view name, bool drained) {
  auto n = FindNode(name);
  if (!n) return MakeError(ErrorCode::kNotFound, fmt::format("no node \"{}\"", name));
  nodes_[static_cast<std::size_t>(*n)].drained = drained;
  return OkStatus();
}

Status ClusterLedger::SetNodeHealthy(std::string_view name, bool healthy) {
  auto n = FindNode(name);
  if (!n) return MakeError(ErrorCode::kNotFound, fmt::format("no node \"{}\"", name));
  nodes_[static_cast<std::size_t>(*n)].healthy = healthy;
  return OkStatus();
}

Status ClusterLedger::SetGpuHealthy(GpuIndex g, bool healthy) {
  if (g < 0 || g >= gpu_count()) {
    return MakeError(ErrorCode::kNotFound, fmt::format("no GPU index {}", g));
  }
  const auto i = static_cast<std::size_t>(g);
  gpus_[i].healthy = healthy;
  nodes_[static_cast<std::size_t>(gpus_[i].node)].gpus[static_cast<std::size_t>(
      gpus_[i].local_index)].healthy = healthy;
  return OkStatus();
}

Status ClusterLedger::ValidatePlacement(const Placement& placement) const {
  if (placement.slices.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "placement has no GPU");
  }
  for (std::size_t i = 0; i < placement.slices.size(); ++i) {
    const Slice& s = placement.slices[i];
    if (s.gpu < 0 || s.gpu >= gpu_count()) {
      return MakeError(ErrorCode::kNotFound, fmt::format("no GPU index {}", s.gpu));
    }
    if (s.memory_mib <= 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("slice on {} is {} MiB; must be positive",
                                   GpuName(s.gpu), s.memory_mib));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (placement.slices[j].gpu == s.gpu) {
        return MakeError(ErrorCode::kInvalidArgument,
                         fmt::format("placement names {} twice", GpuName(s.gpu)));
      }
    }
    if (s.memory_mib > free_mib(s.gpu)) {
      return MakeError(ErrorCode::kResourceExhausted,
                       fmt::format("{} has {} MiB free; slice needs {} MiB", GpuName(s.gpu),
                                   free_mib(s.gpu), s.memory_mib));
    }
  }
  return OkStatus();
}

Status ClusterLedger::Allocate(JobId job, const Placement& placement) {
  if (allocations_.contains(job)) {
    return MakeError(ErrorCode::kAlreadyExists,
                     fmt::format("job {} already holds a placement", job));
  }
  if (auto ok = ValidatePlacement(placement); !ok) return ok;
  for (const Slice& s : placement.slices) {
    free_[static_cast<std::size_t>(s.gpu)] -= s.memory_mib;
    on_[static_cast<std::size_t>(s.gpu)].Add(job, s.memory_mib);
  }
  Placement sorted = placement;
  std::sort(sorted.slices.begin(), sorted.slices.end(),
            [](const Slice& a, const Slice& b) { return a.gpu < b.gpu; });
  allocations_.emplace(job, std::move(sorted));
  return OkStatus();
}

Status ClusterLedger::Release(JobId job) {
  auto it = allocations_.find(job);
  if (it == allocations_.end()) {
    return MakeError(ErrorCode::kNotFound, fmt::format("job {} holds no placement", job));
  }
  for (const Slice& s : it->second.slices) {
    const auto g = static_cast<std::size_t>(s.gpu);
    free_[g] += s.memory_mib;
    on_[g].Remove(job);
  }
  allocations_.erase(it);
  return OkStatus();
}

std::span<const JobId> ClusterLedger::JobsOnGpu::ids() const {
  if (!more_ids_.empty()) return more_ids_;
  return {ids_.data(), count_};
}

std::span<const MiB> ClusterLedger::JobsOnGpu::mibs() const {
  if (!more_mibs_.empty()) return more_mibs_;
  return {mibs_.data(), count_};
}

void ClusterLedger::JobsOnGpu::Add(JobId job, MiB mib) {
  if (more_ids_.empty() && count_ < kInline) {
    ids_[count_] = job;
    mibs_[count_] = mib;
    ++count_;
    return;
  }
  if (more_ids_.empty()) {  // spill: from now on every entry lives outside
    more_ids_.assign(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(count_));
    more_mibs_.assign(mibs_.begin(), mibs_.begin() + static_cast<std::ptrdiff_t>(count_));
  }
  more_ids_.push_back(job);
  more_mibs_.push_back(mib);
  ++count_;
}

void ClusterLedger::JobsOnGpu::Remove(JobId job) {
  if (!more_ids_.empty()) {
    const auto at = std::find(more_ids_.begin(), more_ids_.end(), job) - more_ids_.begin();
    more_ids_.erase(more_ids_.begin() + at);
    more_mibs_.erase(more_mibs_.begin() + at);
    --count_;
    if (count_ <= kInline) {  // back inline, keeping the order
      std::copy(more_ids_.begin(), more_ids_.end(), ids_.begin());
      std::copy(more_mibs_.begin(), more_mibs_.end(), mibs_.begin());
      more_ids_.clear();
      more_mibs_.clear();
    }
    return;
  }
  const auto at = static_cast<std::size_t>(std::find(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(count_), job) - ids_.begin());
  for (std::size_t i = at; i + 1 < count_; ++i) {
    ids_[i] = ids_[i + 1];
    mibs_[i] = mibs_[i + 1];
  }
  --count_;
}

const Placement* ClusterLedger::placement(JobId job) const {
  auto it = allocations_.find(job);
  return it == allocations_.end() ? nullptr : &it->second;
}

std::optional<NodeIndex> ClusterLedger::FindNode(std::string_view name) const {
  auto it = node_by_name_.find(std::string(name));
  if (it == node_by_name_.end()) return std::nullopt;
  return it->second;
}

bool ClusterLedger::Schedulable(GpuIndex g) const {
  const GpuInfo& info = gpu(g);
  const NodeSpec& n = node(info.node);
  return info.healthy && n.healthy && !n.drained;
}

std::string ClusterLedger::GpuName(GpuIndex g) const {
  const GpuInfo& info = gpu(g);
  return fmt::format("{} GPU {}", node(info.node).name, info.local_index);
}

}  // namespace gpusched
