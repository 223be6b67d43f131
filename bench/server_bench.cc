// Control-plane server benchmarks, end to end (see docs/performance.md).
//
//   BM_HttpSubmit    durable submissions over loopback HTTP: a real
//                    `server::Server` (fresh SQLite file, synchronous=FULL,
//                    default configuration) and 8 client threads, each with
//                    its own keep-alive `httplib::Client` (TCP_NODELAY set,
//                    as a tuned client would), POSTing a small JSON job to
//                    /v1/jobs with the admin token and checking the 201. One
//                    iteration submits 8 x 2,500 jobs on a fresh database
//                    (the queue grows from 0 to 20,000 pending jobs; no node
//                    is registered, so every cycle explains why each job
//                    waits). Time: the wall time from the first request to
//                    the last answer. Counters: submissions per second over
//                    that time; per-request latency p50 / p99 / p99.9 / max
//                    in milliseconds; `over_900ms`, requests slower than
//                    900 ms (a dropped SYN costs a 1 s retransmission).
//   BM_Restart100k   what a restart costs: a database of 100,000 pending
//                    jobs written as the server writes them (Control::Submit
//                    then ToMutation, applied in batches; built once per
//                    process, not timed), then `Server::Start` (open, lock,
//                    LoadAll, restore, bind) until it returns. Also reported:
//                    `first_request_ms`, from the start of Start until the
//                    first request served by the owner thread (GET
//                    /v1/jobs/1) is answered, which includes the first
//                    scheduling cycle over the restored queue. The file is in
//                    the OS page cache, as after a process restart.
//
// The databases live in a temporary directory under $TMPDIR (or /tmp),
// removed at exit. Goals (issue 4): >= 2,000 submissions/s, ready to serve
// in < 2 s after a restart with 100,000 jobs.
#include <benchmark/benchmark.h>

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>

#include "api/job_spec.h"
#include "config/server_config.h"
#include "gpusched/gpu_catalog.h"
#include "gpusched/memory_estimate.h"
#include "server/control.h"
#include "server/persist.h"
#include "server/resolve.h"
#include "server/server.h"
#include "store/sqlite_store.h"

namespace gpusched::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kAdminSecret = "bench-admin-secret-0001";
constexpr int kClients = 8;
constexpr int kPerClient = 2'500;
constexpr const char* kSmallJob =
    R"({"name":"bench","gpus":1,"memory_mib":4096,"command":["true"]})";
// What the restart database holds: a typical YOLO training job.
constexpr const char* kYoloJob =
    R"({"name":"scratch-defect-v3","class":"high","ultralytics":{"model":"yolov8s.pt",)"
    R"("data":"scratches.yaml","epochs":50,"imgsz":640,"batch":32},"gpus":1,)"
    R"("gpu_types":["T4","A10","A100-40"]})";

const GpuCatalog& Catalog() {
  static const GpuCatalog catalog = GpuCatalog::BuiltIn();
  return catalog;
}

// A temporary directory for the process, removed at exit.
const std::string& BenchDir() {
  struct Dir {
    Dir() {
      path = (fs::temp_directory_path() / "gpusched-server-bench-XXXXXX").string();
      if (mkdtemp(path.data()) == nullptr) path.clear();
    }
    ~Dir() {
      std::error_code ignored;
      if (!path.empty()) fs::remove_all(path, ignored);
    }
    std::string path;
  };
  static Dir dir;
  return dir.path;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1))];
}

Result<std::unique_ptr<server::Server>> StartServer(const std::string& db_path) {
  server::ServerOptions o;
  o.db_path = db_path;
  o.config = config::DefaultServerConfig(kAdminSecret);
  return server::Server::Start(std::move(o), &Catalog());
}

// One client thread of BM_HttpSubmit: `kPerClient` submissions, each timed.
void SubmitLoop(int port, std::latch& go, std::vector<double>& latencies_ms,
                std::atomic<int>& failures) {
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);  // a tuned client: its latency is the server's
  client.set_bearer_token_auth(kAdminSecret);
  latencies_ms.reserve(kPerClient);
  go.arrive_and_wait();
  for (int i = 0; i < kPerClient; ++i) {
    const auto start = Clock::now();
    httplib::Result r = client.Post("/v1/jobs", kSmallJob, "application/json");
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (!r || r->status != 201) failures.fetch_add(1);
  }
}

void BM_HttpSubmit(benchmark::State& state) {
  if (BenchDir().empty()) return state.SkipWithError("no temporary directory");
  std::vector<double> all_ms;
  double total_s = 0;
  std::atomic<int> failures{0};
  int run = 0;
  for (auto _ : state) {
    const fs::path dir = fs::path(BenchDir()) / fmt::format("submit-{}", run++);
    fs::create_directories(dir);
    auto server = StartServer((dir / "state.db").string());
    if (!server) return state.SkipWithError(server.error().message.c_str());
    std::vector<std::vector<double>> latencies(kClients);
    std::latch go(kClients + 1);
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back(SubmitLoop, (*server)->port(), std::ref(go), std::ref(latencies[c]),
                           std::ref(failures));
    }
    go.arrive_and_wait();
    const auto start = Clock::now();
    for (std::thread& t : clients) t.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    state.SetIterationTime(seconds);
    total_s += seconds;
    for (const auto& l : latencies) all_ms.insert(all_ms.end(), l.begin(), l.end());
    (*server)->Stop();
    server->reset();
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  if (failures > 0) {
    return state.SkipWithError(
        fmt::format("{} submissions were not answered 201", failures.load()).c_str());
  }
  std::sort(all_ms.begin(), all_ms.end());
  state.counters["submissions/s"] = static_cast<double>(all_ms.size()) / total_s;
  state.counters["p50_ms"] = Percentile(all_ms, 0.50);
  state.counters["p99_ms"] = Percentile(all_ms, 0.99);
  state.counters["p999_ms"] = Percentile(all_ms, 0.999);
  state.counters["max_ms"] = all_ms.empty() ? 0 : all_ms.back();
  state.counters["over_900ms"] =
      static_cast<double>(all_ms.end() - std::lower_bound(all_ms.begin(), all_ms.end(), 900.0));
}
BENCHMARK(BM_HttpSubmit)->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);

// Writes `jobs` submissions of kYoloJob the way the server does (one
// ChangeSet per Control::Submit, ToMutation), in transactions of 1,000.
// Returns the mean job row size in bytes, or an error.
Result<double> FillRestartDb(const std::string& path, int jobs) {
  auto opened = store::SqliteStore::Open(path, {});
  if (!opened) return tl::unexpected(opened.error());
  const config::ServerConfig cfg = config::DefaultServerConfig(kAdminSecret);
  server::Control control(&Catalog(),
                          server::Control::Settings{cfg.cluster.classes, cfg.cluster.tenants,
                                                    cfg.cluster.policy, cfg.settings.lease});
  Result<api::JobSpec> spec = api::ParseJobSpec(kYoloJob, api::SpecFormat::kJson);
  if (!spec) return tl::unexpected(spec.error());
  MemoryEstimator estimator;
  Result<server::JobRequest> request = server::ResolveJob(*spec, "default", Catalog(), estimator);
  if (!request) return tl::unexpected(request.error());
  std::int64_t next_event_seq = 1;
  std::size_t row_bytes = 0;
  const Instant t0{std::chrono::seconds(1'800'000'000)};
  constexpr int kBatch = 1'000;
  for (int first = 0; first < jobs; first += kBatch) {
    std::vector<store::Mutation> batch;
    for (int i = first; i < std::min(jobs, first + kBatch); ++i) {
      const Instant now = t0 + std::chrono::seconds(i);
      server::ChangeSet cs;
      Result<JobId> id = control.Submit(*request, now, cs);
      if (!id) return tl::unexpected(id.error());
      batch.push_back(server::ToMutation(control, cs, now, next_event_seq));
      row_bytes += batch.back().put_jobs.front().json.size();
    }
    if (Status s = (*opened)->Apply(batch); !s) return tl::unexpected(s.error());
  }
  return static_cast<double>(row_bytes) / jobs;
}

void BM_Restart100k(benchmark::State& state) {
  constexpr int kJobs = 100'000;
  if (BenchDir().empty()) return state.SkipWithError("no temporary directory");
  const std::string path = fmt::format("{}/restart-{}.db", BenchDir(), kJobs);
  static double row_bytes = 0;  // once per process: the file is kept
  if (!fs::exists(path)) {
    const auto fill_start = Clock::now();
    Result<double> filled = FillRestartDb(path, kJobs);
    if (!filled) return state.SkipWithError(filled.error().message.c_str());
    row_bytes = *filled;
    state.counters["fill_s"] = std::chrono::duration<double>(Clock::now() - fill_start).count();
  }
  double first_request_ms = 0;
  for (auto _ : state) {
    const auto start = Clock::now();
    auto server = StartServer(path);
    const auto started = Clock::now();
    if (!server) return state.SkipWithError(server.error().message.c_str());
    state.SetIterationTime(std::chrono::duration<double>(started - start).count());
    httplib::Client client("127.0.0.1", (*server)->port());
    client.set_bearer_token_auth(kAdminSecret);
    client.set_read_timeout(60, 0);
    httplib::Result r = client.Get("/v1/jobs/1");
    first_request_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (!r || r->status != 200) return state.SkipWithError("GET /v1/jobs/1 after restart failed");
    (*server)->Stop();
  }
  state.counters["jobs"] = kJobs;
  state.counters["row_bytes"] = row_bytes;
  state.counters["first_request_ms"] = first_request_ms;
}
BENCHMARK(BM_Restart100k)->UseManualTime()->Iterations(3)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gpusched::bench
