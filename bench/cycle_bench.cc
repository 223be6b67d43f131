// Scheduling-cycle benchmarks on a large fleet (see docs/performance.md).
//
//   BM_FullCycle        2,000 nodes x 8 GPUs (mixed types), ~90 % of GPU
//                       memory allocated, 50,000 pending jobs: one full
//                       cycle (sort, filter, score, preempt, reserve).
//   BM_CriticalArrival  the same fleet filled further, no other pending
//                       job: the decision for one arriving critical job
//                       that fits nowhere (a preemption).
#include <benchmark/benchmark.h>

#include "fleet.h"
#include "gpusched/cycle.h"

namespace gpusched::bench {
namespace {

void ReportFleet(benchmark::State& state, const Fleet& f, const CycleResult& r) {
  state.counters["gpus"] = f.ledger->gpu_count();
  state.counters["allocated_pct"] = 100.0 * f.allocated_fraction;
  state.counters["running"] = f.running;
  state.counters["pending"] = r.stats.pending;
  state.counters["binds"] = static_cast<double>(r.binds.size());
  state.counters["preemptions"] = static_cast<double>(r.preemptions.size());
  state.counters["waits"] = static_cast<double>(r.waits.size());
}

void BM_FullCycle(benchmark::State& state) {
  FleetOptions o;
  o.nodes = static_cast<int>(state.range(0));
  o.pending = static_cast<int>(state.range(1));
  auto fleet = MakeFleet(o);
  const Snapshot snap = fleet->Snap();
  CycleResult last;
  for (auto _ : state) {
    last = RunCycle(snap);
    benchmark::DoNotOptimize(last);
  }
  ReportFleet(state, *fleet, last);
}
BENCHMARK(BM_FullCycle)->Args({2000, 50000})->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_CriticalArrival(benchmark::State& state) {
  FleetOptions o;
  o.nodes = static_cast<int>(state.range(0));
  o.allocated_percent = 100;
  o.pending = 0;
  auto fleet = MakeFleet(o);
  Job critical;
  critical.id = 99'999'999;
  critical.tenant = "tenant-0";
  critical.class_name = "critical";
  critical.memory_per_gpu_mib = GiB(18);
  critical.gpus = 1;
  critical.submit_time = critical.eligible_since = fleet->now;
  critical.progress.epochs_total = 50;
  critical.progress.epoch_t4 = Duration(120);
  fleet->jobs.push_back(critical);
  const Snapshot snap = fleet->Snap();
  CycleResult last;
  for (auto _ : state) {
    last = RunCycle(snap);
    benchmark::DoNotOptimize(last);
  }
  ReportFleet(state, *fleet, last);
  if (last.preemptions.empty() && last.binds.empty()) state.SkipWithError("critical job was not placed");
}
BENCHMARK(BM_CriticalArrival)->Arg(2000)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace
}  // namespace gpusched::bench

BENCHMARK_MAIN();
