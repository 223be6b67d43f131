// Simulator benchmarks (see docs/performance.md).
//
//   BM_PhillyReplay     all 82,247 jobs of the Philly trace
//                       (philly-pollux/philly.csv) on the 2,816-GPU preset
//                       (352 nodes x 8 P100), under the full gpusched policy;
//                       the argument is the arrival-rate multiplier (--load).
//                       Reading and parsing the trace are outside the timing.
//   BM_FactoryScenario  the built-in factory scenario under gpusched.
//
// The traces are read from $GPUSCHED_TRACES, else from ../shared/traces
// beside the source tree.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "sim/engine.h"
#include "sim/file_text.h"
#include "sim/policies.h"
#include "sim/presets.h"
#include "sim/scenario_factory.h"
#include "sim/trace_readers.h"

namespace gpusched::bench {
namespace {

std::string TracesDir() {
  if (const char* env = std::getenv("GPUSCHED_TRACES")) return env;
  return GPUSCHED_TRACES_DIR;
}

// The Philly jobs, read once.
const Result<sim::TraceRead>& PhillyJobs() {
  static const Result<sim::TraceRead> jobs = [] () -> Result<sim::TraceRead> {
    Result<std::string> text = sim::ReadFileText(TracesDir() + "/philly-pollux/philly.csv");
    if (!text) return tl::unexpected(text.error());
    sim::PhillyOptions o;
    o.seed = 1;
    return sim::ParsePhillyCsv(*text, o);
  }();
  return jobs;
}

void Report(benchmark::State& state, const sim::SimResult& r) {
  state.counters["jobs"] = static_cast<double>(r.jobs.size());
  state.counters["gpus"] = r.total_gpus;
  state.counters["events"] = static_cast<double>(r.events);
  state.counters["cycles"] = static_cast<double>(r.cycles);
  state.counters["events_per_s"] = benchmark::Counter(
      static_cast<double>(r.events), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_PhillyReplay(benchmark::State& state) {
  const Result<sim::TraceRead>& read = PhillyJobs();
  if (!read) {
    state.SkipWithError(read.error().message.c_str());
    return;
  }
  std::vector<sim::TraceJob> trace = read->jobs;
  const double load = static_cast<double>(state.range(0));
  for (sim::TraceJob& j : trace) j.submit_s = std::llround(static_cast<double>(j.submit_s) / load);
  const sim::Preset preset = sim::PhillyPreset();
  sim::SimOptions o;
  o.policy = *sim::PolicyNamed("gpusched", preset.config.policy);
  sim::SimResult last;
  for (auto _ : state) {
    Result<sim::SimResult> r = sim::Simulate(preset.catalog, preset.config, trace, o);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    last = std::move(*r);
  }
  Report(state, last);
}
BENCHMARK(BM_PhillyReplay)->Arg(1)->Arg(4)->Unit(benchmark::kSecond)->Iterations(1);

void BM_FactoryScenario(benchmark::State& state) {
  const GpuCatalog catalog = GpuCatalog::BuiltIn();
  const sim::Scenario s = sim::FactoryScenario(catalog, 1);
  sim::SimOptions o;
  o.policy = *sim::PolicyNamed("gpusched", s.config.policy);
  sim::SimResult last;
  for (auto _ : state) {
    Result<sim::SimResult> r = sim::Simulate(catalog, s.config, s.trace, o);
    if (r) last = std::move(*r);
  }
  Report(state, last);
}
BENCHMARK(BM_FactoryScenario)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gpusched::bench
