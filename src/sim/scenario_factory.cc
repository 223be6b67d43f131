// The factory scenario; see scenario_factory.h for the story it tells.
#include "sim/scenario_factory.h"

#include <fmt/format.h>

namespace gpusched::sim {
namespace {

constexpr const char* kClusterYaml = R"(# The factory scenario's cluster: 32 GPUs of three types.
nodes:
  - {name: a100-, count: 2, gpus: "4xA100-40", labels: ["image:ultralytics"]}
  - {name: l4-, count: 2, gpus: "4xL4", labels: ["image:ultralytics"]}
  - {name: t4-, count: 4, gpus: "4xT4", labels: ["image:ultralytics", "dataset:scratches"]}
tenants:
  - {name: research, guaranteed_gpus: 8, default_class: medium}
  - {name: production, guaranteed_gpus: 8, default_class: low}
  - {name: quality, guaranteed_gpus: 4, default_class: high, max_class_without_approval: critical}
)";

// splitmix64: a small, well-mixed generator for the scenario's jitter.
struct Rng {
  std::uint64_t state;
  std::uint64_t Next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  int Below(int n) { return static_cast<int>(Next() % static_cast<std::uint64_t>(n)); }
};

TraceJob Yolo(std::string id, std::int64_t submit, std::string tenant, std::string cls,
              const char* model, int batch, int epochs, double epoch_t4_s, int save_period) {
  TraceJob t;
  t.id = std::move(id);
  t.submit_s = submit;
  t.tenant = std::move(tenant);
  t.class_name = std::move(cls);
  Result<UltralyticsParams> params = ParseYoloModel(model);
  GPUSCHED_CHECK(params.has_value(), model);
  params->batch = batch;
  t.model = *params;
  t.epochs = epochs;
  t.epoch_s = epoch_t4_s;
  t.save_period = save_period;
  t.image = "ultralytics";
  return t;
}

void AddResearch(Rng& rng, std::vector<TraceJob>& trace) {
  static constexpr const char* kModels[] = {"yolov8m.pt", "yolov8l.pt", "yolov8x.pt",
                                            "yolo11m-seg.pt"};
  static constexpr int kSavePeriods[] = {1, 2, 5, 10};
  for (int i = 0; i < 28; ++i) {
    // AutoBatch (-1): each takes a whole card. 60..100 epochs of 10..20 min on a T4.
    TraceJob t = Yolo(fmt::format("research-{:02}", i + 1), rng.Below(300), "research", "",
                      kModels[rng.Below(4)], -1, 60 + rng.Below(41), 600 + rng.Below(601),
                      kSavePeriods[rng.Below(4)]);
    t.dataset = "coco";
    t.exclusive = true;  // AutoBatch sizes the batch to the card: nothing else fits beside it
    trace.push_back(std::move(t));
  }
  TraceJob gang = Yolo("research-gang", 60, "research", "", "yolov8x.pt", 64, 60, 900, 5);
  gang.gpus = 4;
  gang.gpu_types = {"A100-40"};
  gang.dataset = "coco";
  gang.exclusive = true;
  trace.push_back(std::move(gang));
}

void AddQueued(Rng& rng, std::vector<TraceJob>& trace) {
  for (int i = 0; i < 12; ++i) {
    TraceJob t = Yolo(fmt::format("routine-{:02}", i + 1), 600 + rng.Below(600), "production", "",
                      "yolov8s.pt", 32, 30, 120, 5);
    t.dataset = "line-camera";
    trace.push_back(std::move(t));
  }
  for (int i = 0; i < 3; ++i) {
    TraceJob t = Yolo(fmt::format("batch-{:02}", i + 1), 900 + rng.Below(300), "research", "batch",
                      "yolov8n.pt", 16, 20, 60, 5);
    t.dataset = "coco";
    trace.push_back(std::move(t));
  }
}

void AddUrgent(std::vector<TraceJob>& trace) {
  TraceJob scratch = Yolo("scratch-defect-v3", 3600, "quality", "critical", "yolov8s.pt", 32, 50,
                          120, 5);
  scratch.dataset = "scratches";
  trace.push_back(std::move(scratch));
  TraceJob dent =
      Yolo("dent-defect-v1", 5400, "quality", "critical", "yolov8s.pt", 32, 30, 120, 5);
  dent.dataset = "scratches";
  trace.push_back(std::move(dent));
}

}  // namespace

Scenario FactoryScenario(const GpuCatalog& catalog, std::uint64_t seed) {
  Scenario s;
  s.name = "factory";
  s.description =
      "32 GPUs (8 A100-40, 8 L4, 16 T4) full of research jobs, a dozen routine jobs and 3 batch "
      "jobs queued, urgent critical retraining at 60 and 90 minutes";
  s.cluster_yaml = kClusterYaml;
  Result<ClusterConfig> config = ParseClusterFile(s.cluster_yaml, catalog);
  GPUSCHED_CHECK(config.has_value(), config ? "" : config.error().message);
  s.config = std::move(*config);
  Rng rng{seed};
  AddResearch(rng, s.trace);
  AddQueued(rng, s.trace);
  AddUrgent(s.trace);
  std::stable_sort(s.trace.begin(), s.trace.end(),
                   [](const TraceJob& a, const TraceJob& b) { return a.submit_s < b.submit_s; });
  return s;
}

}  // namespace gpusched::sim
