// Test-only: random small worlds (a cluster file and a trace) for the
// replay's model-based tests (engine_model_test.cc). One seed gives one world,
// the same on every platform: the generator is std::mt19937_64 (fully
// specified by the standard) and ranges are drawn by modulo, not by
// std::uniform_int_distribution (whose algorithm each library picks).
//
// A world is built so that every job can run somewhere: at most as many GPUs
// as the cluster has, at most the memory of its smallest card, any GPU type.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "sim/cluster_file.h"
#include "sim/trace_jsonl.h"

namespace gpusched::sim::model {

struct World {
  std::uint64_t seed = 0;
  std::string cluster_yaml;  // what `config` was parsed from
  ClusterConfig config;
  std::vector<TraceJob> trace;  // sorted by submit_s, ids "j0".."jN" in that order
  int total_gpus = 0;
  bool single_type = true;  // every GPU of the cluster is of one type
  std::int32_t fastest_speed_milli = 0;
  std::int32_t slowest_speed_milli = 0;
  int max_preemptions = 1;  // the cluster file's max_preemptions_per_window
};

// The run shape the job model uses (job_model.h): a fixed-duration job is one
// epoch long and checkpoints only at its end.
inline int EpochsOf(const TraceJob& t) { return t.epochs > 0 ? t.epochs : 1; }
inline int SavePeriodOf(const TraceJob& t) { return t.epochs > 0 ? t.save_period : 1; }
// Seconds one epoch of `t` takes on a GPU of `speed_milli` (T4 = 1000).
inline double EpochSeconds(const TraceJob& t, std::int32_t speed_milli) {
  return (t.epochs > 0 ? t.epoch_s : t.duration_s) * 1000.0 / speed_milli;
}
inline double TrainingSeconds(const TraceJob& t, std::int32_t speed_milli) {
  return EpochsOf(t) * EpochSeconds(t, speed_milli);
}

// Draws one world from a seed: the cluster first, then the trace on it.
// REQUIRES: `catalog` is GpuCatalog::BuiltIn() (or holds its types).
class WorldBuilder {
 public:
  WorldBuilder(std::uint64_t seed, const GpuCatalog& catalog) : rng_(seed), catalog_(catalog) {
    world_.seed = seed;
  }

  World Build() && {
    Cluster();
    Trace();
    return std::move(world_);
  }

 private:
  static constexpr std::array<const char*, 6> kTypes = {"T4",      "L4",      "A10",
                                                        "RTX3060", "V100-16", "A100-40"};
  static constexpr std::array<const char*, 5> kClasses = {"critical", "high", "medium", "low",
                                                          "batch"};

  // Uniform in [lo, hi] (modulo bias is irrelevant here).
  int Uniform(int lo, int hi) {
    return lo + static_cast<int>(rng_() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  bool OneIn(int n) { return Uniform(1, n) == 1; }
  template <typename List>
  auto Pick(const List& list) {
    return list[static_cast<std::size_t>(Uniform(0, static_cast<int>(list.size()) - 1))];
  }

  // 1-4 nodes of 1-4 GPUs each, of one or two types (a node may mix them).
  void Cluster() {
    std::vector<const char*> types = {Pick(kTypes)};
    if (OneIn(2)) types.push_back(Pick(kTypes));  // perhaps the same one again
    std::string yaml = "nodes:\n";
    std::map<std::string, int> used;  // type -> GPUs
    const int nodes = Uniform(1, 4);
    for (int n = 0; n < nodes; ++n) {
      std::map<std::string, int> groups;
      const int gpus = Uniform(1, 4);
      for (int g = 0; g < gpus; ++g) ++groups[Pick(types)];
      std::vector<std::string> parts;
      for (const auto& [type, count] : groups) {
        parts.push_back(fmt::format("{}x{}", count, type));
        used[type] += count;
      }
      yaml += fmt::format("  - {{name: n{}, gpus: \"{}\"}}\n", n, fmt::join(parts, ", "));
    }
    if (OneIn(2)) {
      world_.max_preemptions = Uniform(1, 3);
      yaml += fmt::format("policy: {{max_preemptions_per_window: {}}}\n", world_.max_preemptions);
    }
    world_.cluster_yaml = yaml;
    Result<ClusterConfig> config = ParseClusterFile(yaml, catalog_);
    if (config) {
      world_.config = std::move(*config);
    } else {
      ADD_FAILURE() << "seed " << world_.seed << ": " << config.error().message << "\n" << yaml;
    }
    world_.single_type = used.size() == 1;
    smallest_card_mib_ = 0;
    for (const auto& [name, count] : used) {
      const GpuType& type = catalog_.type(*catalog_.Find(name));
      world_.total_gpus += count;
      world_.fastest_speed_milli = std::max(world_.fastest_speed_milli, type.speed_milli);
      world_.slowest_speed_milli = world_.slowest_speed_milli == 0
                                       ? type.speed_milli
                                       : std::min(world_.slowest_speed_milli, type.speed_milli);
      smallest_card_mib_ =
          smallest_card_mib_ == 0 ? type.memory_mib : std::min(smallest_card_mib_, type.memory_mib);
    }
  }

  // 5-40 jobs over 0..20000 s: classes, sizes and lengths at random, each
  // feasible on the cluster.
  void Trace() {
    const int jobs = Uniform(5, 40);
    for (int i = 0; i < jobs; ++i) {
      TraceJob t;
      t.submit_s = Uniform(0, 20000);
      t.class_name = Pick(kClasses);
      t.gpus = Uniform(1, std::min(2, world_.total_gpus));
      t.exclusive = OneIn(5);
      if (!t.exclusive || OneIn(2)) {  // an exclusive job may leave memory out
        t.memory_mib = Uniform(1000, static_cast<int>(smallest_card_mib_));
      }
      if (OneIn(4)) {
        t.duration_s = Uniform(10, 7200);
      } else {
        t.epochs = Uniform(1, 12);
        t.epoch_s = Uniform(10, 600);
        t.save_period = Uniform(1, 4);
      }
      t.preemptible = !OneIn(8);
      world_.trace.push_back(std::move(t));
    }
    std::stable_sort(world_.trace.begin(), world_.trace.end(),
                     [](const TraceJob& a, const TraceJob& b) { return a.submit_s < b.submit_s; });
    for (std::size_t i = 0; i < world_.trace.size(); ++i) {
      world_.trace[i].id = fmt::format("j{}", i);
    }
  }

  std::mt19937_64 rng_;
  const GpuCatalog& catalog_;
  MiB smallest_card_mib_ = 0;
  World world_;
};

inline World RandomWorld(std::uint64_t seed, const GpuCatalog& catalog) {
  return WorldBuilder(seed, catalog).Build();
}

}  // namespace gpusched::sim::model
