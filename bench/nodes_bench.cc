// The dashboard's nodes view (GET /v1/nodes) on a large fleet: what it costs
// the owner thread, which also runs the scheduling loop, and what the whole
// request costs (see docs/performance.md, "Dashboard: /v1/nodes").
//
//   BM_NodesOwnerThread  SnapshotNodes: what the route runs inside
//                        Server::Impl::Exec, i.e. the time the scheduling
//                        loop is blocked by one poll of one dashboard.
//   BM_NodesRequest      SnapshotNodes + NodesJson + dump: all the CPU work
//                        of one request (the JSON part runs on the HTTP
//                        thread).
//
// Both for an admin (every job) and a tenant (its own jobs only). The fleet:
// a Control with 2,000 nodes x 8 A100-80 (agent figures reported), 32,000
// running jobs of 30 GiB (two per GPU, four tenants, every 10th job boosted),
// placed by real scheduling cycles; built once per process, not timed.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include <fmt/format.h>

#include "server/control.h"
#include "server/node_view.h"
#include "server/server_impl.h"

namespace gpusched::bench {
namespace {

constexpr int kNodes = 2'000;
constexpr int kGpusPerNode = 8;
constexpr int kJobs = kNodes * kGpusPerNode * 2;
const char* const kTenants[] = {"quality", "research", "vision", "speech"};

const GpuCatalog& Catalog() {
  static const GpuCatalog catalog = GpuCatalog::BuiltIn();
  return catalog;
}

struct NodesFleet {
  std::unique_ptr<server::Control> control;
  Instant now{std::chrono::seconds(1'800'000'000)};
  int running = 0;
};

server::Registration NodeRegistration(int i) {
  server::Registration r;
  r.node = fmt::format("node-{:04}", i);
  r.agent_id = "bench";
  r.labels = {"zone:a", fmt::format("rack:{}", i / 40)};
  for (int g = 0; g < kGpusPerNode; ++g) {
    server::AgentGpu gpu(g, fmt::format("GPU-{:04}-{}", i, g), "A100-80", 0, true);
    gpu.memory_used_mib = 61'440;
    gpu.utilization_pct = 87;
    gpu.temperature_c = 64;
    r.gpus.push_back(gpu);
  }
  return r;
}

// Built once: registering, submitting and the cycles take seconds.
const NodesFleet& Fleet() {
  static const NodesFleet fleet = [] {
    NodesFleet f;
    server::Control::Settings settings;
    settings.lease = Duration(86'400);  // no heartbeats here
    for (const char* name : kTenants) {
      Tenant t;
      t.name = name;
      settings.tenants.push_back(t);
    }
    f.control = std::make_unique<server::Control>(&Catalog(), settings);
    server::Control& c = *f.control;
    server::ChangeSet cs;
    for (int i = 0; i < kNodes; ++i) (void)c.Register(NodeRegistration(i), f.now, cs);
    for (int i = 0; i < kJobs; ++i) {
      server::JobRequest r;
      r.name = fmt::format("train-{}", i);
      r.tenant = kTenants[i % 4];
      r.class_name = "medium";
      r.memory_per_gpu_mib = 30'720;
      const Result<JobId> id = c.Submit(r, f.now, cs);
      if (id && i % 10 == 0) {
        (void)c.Boost(*id, "high", f.now + Duration(86'400), "bench", f.now, cs);
      }
    }
    for (int cycle = 0; cycle < 20; ++cycle) {  // each cycle binds what fits
      f.now += Duration(1);
      server::ChangeSet tick;
      c.Tick(f.now, tick);
    }
    for (const auto& [id, r] : c.jobs()) f.running += r.state == server::JobState::kRunning;
    return f;
  }();
  return fleet;
}

server::Caller CallerOf(bool admin) {
  server::Caller caller;
  caller.role = admin ? config::Role::kAdmin : config::Role::kTenant;
  caller.tenant = admin ? "" : "quality";
  caller.name = admin ? "ops" : "quality";
  return caller;
}

void BM_NodesOwnerThread(benchmark::State& state) {
  const NodesFleet& f = Fleet();
  const server::Caller caller = CallerOf(state.range(0) == 1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(server::SnapshotNodes(*f.control, caller, f.now));
  }
  state.counters["running_jobs"] = f.running;
  state.SetLabel(state.range(0) == 1 ? "admin" : "tenant");
}
BENCHMARK(BM_NodesOwnerThread)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

void BM_NodesRequest(benchmark::State& state) {
  const NodesFleet& f = Fleet();
  const server::Caller caller = CallerOf(state.range(0) == 1);
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string body =
        server::NodesJson(server::SnapshotNodes(*f.control, caller, f.now)).dump();
    bytes = body.size();
    benchmark::DoNotOptimize(body.data());
  }
  state.counters["running_jobs"] = f.running;
  state.counters["body_bytes"] = static_cast<double>(bytes);
  state.SetLabel(state.range(0) == 1 ? "admin" : "tenant");
}
BENCHMARK(BM_NodesRequest)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gpusched::bench
