// The SLA report (GET /v1/sla) over many job records: the route runs
// SlaReport on the owner thread, which also runs the scheduling loop, once
// per poll of the dashboard's SLA view (twice: the hour and the day). See
// docs/performance.md, "Dashboard: /v1/sla".
//
//   BM_SlaReport/N   SlaReport over N job records of the default classes:
//                    submissions spread over the last two days, 90 % started
//                    (waits of 0 s to 2 h), the rest pending; 24 slices over
//                    a day. Built once per N, not timed.
#include <benchmark/benchmark.h>

#include <map>
#include <random>

#include "server/control.h"
#include "server/sla.h"

namespace gpusched::bench {
namespace {

struct SlaJobs {
  std::map<JobId, server::JobRecord> jobs;
  ClassTable classes = ClassTable::Defaults();
  Instant now{std::chrono::seconds(1'800'000'000)};
};

const SlaJobs& JobsOf(int n) {
  static std::map<int, SlaJobs> built;
  auto [it, fresh] = built.try_emplace(n);
  if (!fresh) return it->second;
  SlaJobs& out = it->second;
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> submitted(0, 2 * 86'400);
  std::uniform_int_distribution<std::int64_t> wait(0, 7'200);
  std::uniform_int_distribution<int> percent(0, 99);
  const auto& classes = out.classes.classes();
  for (int i = 1; i <= n; ++i) {
    server::JobRecord r;
    r.job.id = static_cast<JobId>(i);
    r.job.class_name = classes[static_cast<std::size_t>(i) % classes.size()].name;
    r.job.submit_time = out.now - Duration(submitted(rng));
    if (percent(rng) < 90) {
      r.first_started_at = std::min(out.now, r.job.submit_time + Duration(wait(rng)));
      r.state = server::JobState::kSucceeded;
    }
    out.jobs.emplace(r.job.id, std::move(r));
  }
  return out;
}

void BM_SlaReport(benchmark::State& state) {
  const SlaJobs& data = JobsOf(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto report = server::SlaReport(data.jobs, data.classes, data.now, Duration(86'400), 24);
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SlaReport)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gpusched::bench
