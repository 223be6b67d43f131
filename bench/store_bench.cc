// Durable-store benchmarks (see docs/performance.md).
//
//   BM_DurableSubmit/sync:0|1  8 producer threads submit through the
//                    GroupCommitter into SQLite, each waiting for its
//                    acknowledgement before the next (as 8 HTTP clients of
//                    the server would). A submission is one JobRow of
//                    ~1 KiB JSON plus one EventRow. sync:0 is
//                    synchronous=FULL (durable on power loss), sync:1 NORMAL
//                    (durable on process crash). Counters: submissions per
//                    second, per-submission latency p50/p99 in microseconds,
//                    mutations per transaction (= per fsync under FULL).
//   BM_LoadAll/100000  what a restart costs the store: open (lock, WAL,
//                    schema check) plus LoadAll of 100,000 jobs of ~1 KiB.
//                    The file is in the OS page cache, as after a process
//                    restart.
//
// The databases live in a temporary directory under $TMPDIR (or /tmp),
// removed at exit.
#include <benchmark/benchmark.h>

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "store/group_commit.h"
#include "store/sqlite_store.h"

namespace gpusched::bench {
namespace {

using store::Durability;
using store::EventRow;
using store::GroupCommitter;
using store::JobRow;
using store::Mutation;
using store::SqliteStore;

constexpr int kProducers = 8;
constexpr int kPerProducerPerIteration = 250;

// A temporary directory for the process, removed at exit.
const std::string& BenchDir() {
  struct Dir {
    Dir() {
      path = (std::filesystem::temp_directory_path() / "gpusched-store-bench-XXXXXX").string();
      if (mkdtemp(path.data()) == nullptr) path = "/tmp";
    }
    ~Dir() {
      std::error_code ignored;
      if (path != "/tmp") std::filesystem::remove_all(path, ignored);
    }
    std::string path;
  };
  static Dir dir;
  return dir.path;
}

// About 1 KiB: a job record the way the server might write it.
std::string JobJson(std::int64_t id) {
  std::string json = fmt::format(
      R"({{"id":{},"name":"scratch-defect-v{}","tenant":"quality","class":"critical",)"
      R"("state":"pending","submitted_s":1764201600,"spec":{{"ultralytics":{{"model":"yolov8s.pt",)"
      R"("data":"scratches.yaml","epochs":50,"imgsz":640,"batch":32}},"gpus":1,)"
      R"("gpu_types":["T4","A10","A100-40"],"memory_per_gpu_mib":9830}},"note":")",
      id, id % 97);
  json.append(1000 - std::min<std::size_t>(json.size(), 990), 'x');
  json += "\"}";
  return json;
}

Mutation SubmissionOf(std::int64_t id) {
  Mutation m;
  m.put_jobs.push_back(JobRow{id, "quality", "pending", JobJson(id)});
  m.events.push_back(EventRow{id, id, 1764201600, "job.submitted",
                              R"({"class":"critical","reason":"submitted by quality"})"});
  return m;
}

std::int64_t Percentile(std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[index];
}

void BM_DurableSubmit(benchmark::State& state) {
  store::SqliteOptions options;
  options.durability = state.range(0) == 0 ? Durability::kFull : Durability::kNormal;
  std::string path = fmt::format("{}/submit-{}.db", BenchDir(), state.range(0));
  auto opened = SqliteStore::Open(path, options);
  if (!opened) {
    state.SkipWithError(opened.error().message.c_str());
    return;
  }
  // The function runs several times on the same file: continue its ids.
  auto loaded = (*opened)->LoadAll();
  if (!loaded) {
    state.SkipWithError(loaded.error().message.c_str());
    return;
  }
  GroupCommitter gc(**opened);
  std::atomic<std::int64_t> next_id{loaded->last_event_seq + 1};
  std::atomic<bool> failed{false};
  std::mutex latencies_mu;
  std::vector<std::int64_t> latencies_ns;
  for (auto _ : state) {
    std::vector<std::thread> producers;
    for (int t = 0; t < kProducers; ++t) {
      producers.emplace_back([&] {
        std::vector<std::int64_t> mine;
        mine.reserve(kPerProducerPerIteration);
        for (int i = 0; i < kPerProducerPerIteration; ++i) {
          Mutation m = SubmissionOf(next_id++);
          auto start = std::chrono::steady_clock::now();
          if (!gc.Submit(std::move(m)).get()) failed = true;
          mine.push_back((std::chrono::steady_clock::now() - start).count());
        }
        std::lock_guard<std::mutex> lock(latencies_mu);
        latencies_ns.insert(latencies_ns.end(), mine.begin(), mine.end());
      });
    }
    for (std::thread& p : producers) p.join();
  }
  if (failed) state.SkipWithError("a submission failed");
  store::GroupCommitStats stats = gc.stats();
  std::sort(latencies_ns.begin(), latencies_ns.end());
  const auto total = static_cast<double>(latencies_ns.size());
  state.counters["submissions/s"] = benchmark::Counter(total, benchmark::Counter::kIsRate);
  state.counters["p50_us"] = static_cast<double>(Percentile(latencies_ns, 0.50)) / 1000.0;
  state.counters["p99_us"] = static_cast<double>(Percentile(latencies_ns, 0.99)) / 1000.0;
  state.counters["per_txn"] = static_cast<double>(stats.mutations) /
                              static_cast<double>(std::max<std::int64_t>(stats.batches, 1));
}
BENCHMARK(BM_DurableSubmit)
    ->ArgName("sync")
    ->Arg(0)
    ->Arg(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Writes `jobs` jobs (and one event each) once per process.
bool FillLoadDb(const std::string& path, std::int64_t jobs) {
  store::SqliteOptions options;
  options.durability = Durability::kNormal;
  auto opened = SqliteStore::Open(path, options);
  if (!opened) return false;
  constexpr std::int64_t kBatch = 1000;
  for (std::int64_t first = 1; first <= jobs; first += kBatch) {
    std::vector<Mutation> batch;
    for (std::int64_t id = first; id < first + kBatch && id <= jobs; ++id) {
      batch.push_back(SubmissionOf(id));
    }
    if (!(*opened)->Apply(batch)) return false;
  }
  return true;
}

void BM_LoadAll(benchmark::State& state) {
  const std::int64_t jobs = state.range(0);
  std::string path = fmt::format("{}/load-{}.db", BenchDir(), jobs);
  if (!std::filesystem::exists(path) && !FillLoadDb(path, jobs)) {
    state.SkipWithError("could not fill the database");
    return;
  }
  std::size_t loaded_jobs = 0;
  for (auto _ : state) {
    auto opened = SqliteStore::Open(path, {});
    if (!opened) {
      state.SkipWithError(opened.error().message.c_str());
      return;
    }
    auto loaded = (*opened)->LoadAll();
    if (!loaded) {
      state.SkipWithError(loaded.error().message.c_str());
      return;
    }
    loaded_jobs = loaded->jobs.size();
    benchmark::DoNotOptimize(loaded->jobs.data());
  }
  state.counters["jobs"] = static_cast<double>(loaded_jobs);
}
BENCHMARK(BM_LoadAll)->Arg(100'000)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gpusched::bench
