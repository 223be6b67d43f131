// The Alibaba PAI 2023 readers: pods (jobs) and GPU nodes.
#include <algorithm>
#include <array>
#include <set>

#include <fmt/format.h>

#include "sim/csv_rows.h"
#include "sim/trace_reader_util.h"
#include "sim/trace_readers.h"

namespace gpusched::sim {
namespace {

constexpr std::array<std::string_view, 11> kPodColumns = {
    "name", "cpu_milli", "memory_mib",    "num_gpu",       "gpu_milli",     "gpu_spec",
    "qos",  "pod_phase", "creation_time", "deletion_time", "scheduled_time"};
enum PodCol : std::size_t {
  kName,
  kCpuMilli,
  kMemoryMib,
  kNumGpu,
  kGpuMilli,
  kGpuSpec,
  kQos,
  kPodPhase,
  kCreation,
  kDeletion,
  kScheduled
};

constexpr std::string_view kCpuOnly = "cpu-only (num_gpu 0)";
constexpr std::string_view kNeverScheduled = "never scheduled (empty scheduled_time)";
constexpr int kMaxGpuCount = 1024;

// PAI's GPU models and their catalog names.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kGpuModels = {
    {{"V100M16", "V100-16"},
     {"V100M32", "V100-32"},
     {"P100", "P100"},
     {"T4", "T4"},
     {"A10", "A10"},
     {"G2", "PAI-G2"},
     {"G3", "PAI-G3"}}};

// Kubernetes QoS (and PAI's LS/BE) to the default classes; see the header.
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kQosClasses = {
    {{"Guaranteed", "critical"}, {"LS", "high"}, {"Burstable", "medium"}, {"BE", "batch"}}};

template <std::size_t N>
std::optional<std::string_view> Lookup(
    const std::array<std::pair<std::string_view, std::string_view>, N>& table,
    std::string_view key) {
  for (const auto& [from, to] : table) {
    if (from == key) return to;
  }
  return std::nullopt;
}

// A pod's fields that every row must have right, kept or dropped.
struct PodRow {
  int gpus = 0;
  int milli = 0;
  std::string_view class_name;
  std::int64_t created = 0;
  std::int64_t deleted = 0;
  std::optional<std::int64_t> scheduled;
};

Result<std::int64_t> Time(const csv::Fields& f, std::size_t col) {
  return f.Int(col, 0, reader::kMaxSeconds, "an integer of seconds >= 0");
}

Result<PodRow> ReadPodRow(const csv::Fields& f) {
  PodRow r;
  const Result<std::int64_t> gpus = f.Int(kNumGpu, 0, kMaxGpuCount, "an integer in 0..1024");
  if (!gpus) return tl::unexpected(gpus.error());
  r.gpus = static_cast<int>(*gpus);
  const Result<std::int64_t> milli = f.Int(kGpuMilli, 0, 1000, "an integer in 0..1000");
  if (!milli) return tl::unexpected(milli.error());
  r.milli = static_cast<int>(*milli);
  const std::optional<std::string_view> cls = Lookup(kQosClasses, f.Text(kQos));
  if (!cls) return f.Bad(kQos, "one of Guaranteed, LS, Burstable, BE");
  r.class_name = *cls;
  const Result<std::int64_t> created = Time(f, kCreation);
  if (!created) return tl::unexpected(created.error());
  const Result<std::int64_t> deleted = Time(f, kDeletion);
  if (!deleted) return tl::unexpected(deleted.error());
  r.created = *created;
  r.deleted = *deleted;
  if (!f.Text(kScheduled).empty()) {
    const Result<std::int64_t> scheduled = Time(f, kScheduled);
    if (!scheduled) return tl::unexpected(scheduled.error());
    r.scheduled = *scheduled;
  }
  return r;
}

// "V100M16|V100M32" -> {"V100-16", "V100-32"}, repeats removed.
Result<std::vector<std::string>> GpuTypes(const csv::Fields& f) {
  std::vector<std::string> types;
  std::string_view rest = f.Text(kGpuSpec);
  while (!rest.empty()) {
    const std::size_t bar = rest.find('|');
    const std::optional<std::string> name = PaiGpuTypeName(rest.substr(0, bar));
    if (!name)
      return f.Bad(kGpuSpec, "GPU models V100M16, V100M32, P100, T4, A10, G2, G3 joined by |");
    if (std::find(types.begin(), types.end(), *name) == types.end()) types.push_back(*name);
    rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
  }
  return types;
}

// Step 2 of a kept pod: the job.
Result<TraceJob> PodJob(const csv::Fields& f, const PodRow& r, std::int64_t interval_s) {
  if (r.milli == 0) return f.Bad(kGpuMilli, "an integer in 1..1000 for a pod with GPUs");
  if (r.milli < 1000 && r.gpus > 1) return f.Bad(kGpuMilli, "1000 for a pod with num_gpu > 1");
  Result<std::vector<std::string>> types = GpuTypes(f);
  if (!types) return tl::unexpected(types.error());
  const std::int64_t run_s = std::max<std::int64_t>(1, r.deleted - *r.scheduled);
  TraceJob job = reader::RecordedWholeGpuJob(r.gpus, run_s, interval_s);
  if (r.milli < 1000) {
    job.exclusive = false;
    job.memory_permille = r.milli;
  }
  job.id = std::string(f.Text(kName));
  job.submit_s = r.created;
  job.tenant = "pai";
  job.class_name = std::string(r.class_name);
  job.gpu_types = std::move(*types);
  return job;
}

}  // namespace

std::optional<std::string> PaiGpuTypeName(std::string_view pai_model) {
  const std::optional<std::string_view> name = Lookup(kGpuModels, pai_model);
  if (!name) return std::nullopt;
  return std::string(*name);
}

Result<TraceRead> ParsePaiPods(std::string_view text, const PaiOptions& options) {
  if (Status st = reader::ValidateInterval(options.checkpoint_interval_s); !st) {
    return tl::unexpected(st.error());
  }
  const Result<csv::Table> table = csv::Split(text, kPodColumns);
  if (!table) return tl::unexpected(table.error());
  reader::DropCounter drops({std::string(kCpuOnly), std::string(kNeverScheduled)});
  std::vector<TraceJob> jobs;
  std::set<std::string_view> names;
  for (const csv::Row& row : table->rows) {
    const csv::Fields f(*table, row);
    const Result<std::string_view> name = f.NonEmpty(kName);
    if (!name) return tl::unexpected(name.error());
    if (!names.insert(*name).second) return f.Bad(kName, "unique");
    const Result<PodRow> r = ReadPodRow(f);
    if (!r) return tl::unexpected(r.error());
    if (r->gpus == 0) {
      drops.Drop(kCpuOnly);
    } else if (!r->scheduled) {
      drops.Drop(kNeverScheduled);
    } else {
      Result<TraceJob> job = PodJob(f, *r, options.checkpoint_interval_s);
      if (!job) return tl::unexpected(job.error());
      jobs.push_back(std::move(*job));
    }
  }
  return reader::Finish(std::move(jobs), static_cast<int>(table->rows.size()), drops);
}

// --- nodes -------------------------------------------------------------------

namespace {

constexpr std::array<std::string_view, 5> kNodeColumns = {"sn", "cpu_milli", "memory_mib", "gpu",
                                                          "model"};
enum NodeCol : std::size_t { kSn, kNodeCpu, kNodeMemory, kGpu, kModel };

Result<NodeSpec> ReadNode(const csv::Fields& f, int gpus, const GpuCatalog& catalog) {
  const std::optional<std::string> type_name = PaiGpuTypeName(f.Text(kModel));
  if (!type_name) return f.Bad(kModel, "one of V100M16, V100M32, P100, T4, A10, G2, G3");
  const std::optional<GpuTypeId> type = catalog.Find(*type_name);
  if (!type) {
    return f.Bad(kModel, fmt::format("a model whose type \"{}\" is in the catalog", *type_name));
  }
  NodeSpec node;
  node.name = std::string(f.Text(kSn));
  node.gpus.assign(static_cast<std::size_t>(gpus), GpuSpec{*type, 0, "", true});
  return node;
}

}  // namespace

Result<std::vector<NodeSpec>> ParsePaiNodes(std::string_view text, const GpuCatalog& catalog) {
  const Result<csv::Table> table = csv::Split(text, kNodeColumns);
  if (!table) return tl::unexpected(table.error());
  std::vector<NodeSpec> nodes;
  std::set<std::string_view> names;
  for (const csv::Row& row : table->rows) {
    const csv::Fields f(*table, row);
    const Result<std::string_view> sn = f.NonEmpty(kSn);
    if (!sn) return tl::unexpected(sn.error());
    if (!names.insert(*sn).second) return f.Bad(kSn, "unique");
    const Result<std::int64_t> gpus = f.Int(kGpu, 0, kMaxGpuCount, "an integer in 0..1024");
    if (!gpus) return tl::unexpected(gpus.error());
    if (*gpus == 0) continue;
    Result<NodeSpec> node = ReadNode(f, static_cast<int>(*gpus), catalog);
    if (!node) return tl::unexpected(node.error());
    nodes.push_back(std::move(*node));
  }
  return nodes;
}

}  // namespace gpusched::sim
