// ServerMetrics on prometheus-cpp's core library: one Registry, its families
// built once, and their children cached by label so that a cycle does no
// label-map lookups or allocation in steady state.
//
// Each update runs in two steps: first the figures are tallied from the
// Control into scratch fields (owner thread, no lock), then they are
// published into the prometheus objects under `publish`, which Render also
// holds while it collects; so a scrape never shows half a cycle. Children are
// created on the owner thread (prometheus-cpp's families lock themselves);
// the HTTP counters' cache, filled from any thread, has its own mutex.
#include "server/metrics.h"

#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "gpusched/decision.h"
#include "server/control.h"
#include "server/sla.h"

namespace gpusched::server {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

constexpr std::array kJobStates = {JobState::kPending,   JobState::kRunning, JobState::kStopping,
                                   JobState::kSucceeded, JobState::kFailed,  JobState::kCancelled};

// Waits from seconds to a day; cycles from half a millisecond to a second.
const Histogram::BucketBoundaries& WaitBuckets() {
  static const Histogram::BucketBoundaries b = {1,   5,    15,   30,   60,    120,   300,
                                                600, 1800, 3600, 7200, 14400, 43200, 86400};
  return b;
}
const Histogram::BucketBoundaries& CycleBuckets() {
  static const Histogram::BucketBoundaries b = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                0.05,   0.1,   0.25,   0.5,   1};
  return b;
}

double Seconds(Duration d) { return static_cast<double>(d.count()); }

// The children of one priority class, and this cycle's tallies for it.
struct ClassCells {
  Gauge* queue_length = nullptr;
  Gauge* gpus_allocated = nullptr;
  Histogram* wait = nullptr;
  Counter* binds = nullptr;
  Counter* preemptions = nullptr;
  Gauge* sla_attainment = nullptr;      // null while unknown
  Gauge* sla_target_seconds = nullptr;  // null while the class has no target
  Gauge* sla_target_ratio = nullptr;
  // Scratch, owner thread only: reset by each AfterCycle.
  std::int64_t pending = 0;
  std::int64_t gpus_held = 0;
  std::int64_t bound = 0;
  std::int64_t preempted = 0;
};

// A (class, first-start wait) observation of this cycle.
struct FirstStart {
  ClassCells* cells;
  double wait_s;
};

// A family named `name`, made by `builder` (prometheus::BuildGauge() ...)
// and registered in `registry`, which owns it.
template <typename Builder>
auto& Make(Builder builder, prometheus::Registry& registry, const char* name, const char* help) {
  return builder.Name(name).Help(help).Register(registry);
}

}  // namespace

struct ServerMetrics::Impl {
  prometheus::Registry registry;
  Family<Gauge>& queue_length =
      Make(prometheus::BuildGauge(), registry, "gpusched_queue_length",
           "Jobs waiting in the queue (state pending), per priority class");
  Family<Gauge>& jobs = Make(prometheus::BuildGauge(), registry, "gpusched_jobs",
                             "Jobs the control plane knows, per job state");
  Family<Histogram>& wait =
      Make(prometheus::BuildHistogram(), registry, "gpusched_wait_seconds",
           "Wait from submission to a job's first start, observed once per job, per class");
  Family<Gauge>& sla_attainment =
      Make(prometheus::BuildGauge(), registry, "gpusched_sla_attainment_ratio",
           "Share of the jobs first started in the last hour whose wait met the class's SLA target "
           "(classes with at least one such job)");
  Family<Gauge>& sla_target_seconds =
      Make(prometheus::BuildGauge(), registry, "gpusched_sla_target_seconds",
           "The SLA target's longest allowed wait from submission to first start, per class");
  Family<Gauge>& sla_target_ratio =
      Make(prometheus::BuildGauge(), registry, "gpusched_sla_target_ratio",
           "The SLA target's share of jobs that must start within the target wait, per class");
  Family<Counter>& binds =
      Make(prometheus::BuildCounter(), registry, "gpusched_binds_total",
           "Runs started by the scheduling cycle (first starts and restarts), per class");
  Family<Counter>& preemptions =
      Make(prometheus::BuildCounter(), registry, "gpusched_preemptions_total",
           "Running jobs preempted to make room for another, per class of the preempted job");
  Family<Counter>& migrations =
      Make(prometheus::BuildCounter(), registry, "gpusched_migrations_total",
           "Running jobs stopped to restart elsewhere by defragmentation");
  Family<Gauge>& gpus =
      Make(prometheus::BuildGauge(), registry, "gpusched_gpus",
           "GPUs of registered nodes: total, allocated (at least one job holds a slice), healthy "
           "(GPU and node), schedulable (healthy and node not drained)");
  Family<Gauge>& gpu_memory =
      Make(prometheus::BuildGauge(), registry, "gpusched_gpu_memory_mib",
           "GPU memory of registered nodes in MiB: total, and allocated to jobs");
  Family<Gauge>& gpus_allocated =
      Make(prometheus::BuildGauge(), registry, "gpusched_gpus_allocated",
           "GPUs held by running and stopping jobs, per class (a GPU shared by two jobs counts "
           "once for each)");
  Family<Gauge>& nodes =
      Make(prometheus::BuildGauge(), registry, "gpusched_nodes",
           "Registered nodes: ready, drained by an operator, or lost (lease lapsed; a lost node "
           "counts only as lost)");
  Family<Histogram>& cycle_seconds =
      Make(prometheus::BuildHistogram(), registry, "gpusched_cycle_seconds",
           "Duration of one scheduling cycle with its decisions applied, in seconds");
  Family<Counter>& cycles =
      Make(prometheus::BuildCounter(), registry, "gpusched_cycles_total", "Scheduling cycles run");
  Family<Counter>& http_requests =
      Make(prometheus::BuildCounter(), registry, "gpusched_http_requests_total",
           "HTTP requests answered, per route group and status code");

  // Label-less and fixed-label children, created with the families.
  std::array<Gauge*, kJobStates.size()> jobs_by_state{};
  Gauge& gpus_total = gpus.Add({{"state", "total"}});
  Gauge& gpus_in_use = gpus.Add({{"state", "allocated"}});
  Gauge& gpus_healthy = gpus.Add({{"state", "healthy"}});
  Gauge& gpus_schedulable = gpus.Add({{"state", "schedulable"}});
  Gauge& memory_total = gpu_memory.Add({{"state", "total"}});
  Gauge& memory_allocated = gpu_memory.Add({{"state", "allocated"}});
  Gauge& nodes_ready = nodes.Add({{"state", "ready"}});
  Gauge& nodes_drained = nodes.Add({{"state", "drained"}});
  Gauge& nodes_lost = nodes.Add({{"state", "lost"}});
  Histogram& cycle_time_seconds = cycle_seconds.Add({}, CycleBuckets());
  Counter& cycle_count = cycles.Add({});
  Counter& moves = migrations.Add({});

  // Held while publishing an update and while Render collects.
  mutable std::mutex publish;

  // Owner thread only.
  std::map<std::string, ClassCells, std::less<>> classes;
  // One cycle's figures, tallied before they are published.
  struct Tally {
    std::array<std::int64_t, kJobStates.size()> jobs{};
    std::int64_t moves = 0;
    std::int64_t gpus = 0, gpus_in_use = 0, gpus_healthy = 0, gpus_schedulable = 0;
    MiB memory_total = 0, memory_allocated = 0;
    std::int64_t nodes_ready = 0, nodes_drained = 0, nodes_lost = 0;
  } tally;
  std::vector<FirstStart> first_starts;  // this cycle's, capacity kept
  // Jobs whose first start was already observed at `observed_at` (sorted):
  // several cycles may run within one second.
  Instant observed_at = kNever;
  std::vector<JobId> observed;

  // Guarded by `http_mutex`: route -> status -> counter.
  std::mutex http_mutex;
  std::map<std::string, std::map<int, Counter*>, std::less<>> http;

  Impl() {
    for (std::size_t i = 0; i < kJobStates.size(); ++i) {
      jobs_by_state[i] = &jobs.Add({{"state", std::string(JobStateName(kJobStates[i]))}});
    }
  }

  ClassCells& Class(std::string_view name);
  void TallyJobs(const Control& control);
  void TallyDecisions(const Control& control, const CycleResult& result, Instant now);
  void TallyFleet(const Control& control);
  void Publish(std::chrono::nanoseconds cycle_time);
  void SetSlaOf(ClassCells& cells, const ClassSla& sla);
};

// The cells of class `name`, created (all at zero) the first time.
ClassCells& ServerMetrics::Impl::Class(std::string_view name) {
  if (auto it = classes.find(name); it != classes.end()) return it->second;
  const prometheus::Labels labels = {{"class", std::string(name)}};
  ClassCells cells;
  cells.queue_length = &queue_length.Add(labels);
  cells.gpus_allocated = &gpus_allocated.Add(labels);
  cells.wait = &wait.Add(labels, WaitBuckets());
  cells.binds = &binds.Add(labels);
  cells.preemptions = &preemptions.Add(labels);
  return classes.emplace(std::string(name), cells).first->second;
}

// Jobs per state, and pending jobs and held GPUs per class.
void ServerMetrics::Impl::TallyJobs(const Control& control) {
  for (auto& [name, cells] : classes) cells.pending = cells.gpus_held = 0;
  tally.jobs = {};
  for (const auto& [id, r] : control.jobs()) {
    ++tally.jobs[static_cast<std::size_t>(r.state)];
    if (r.state == JobState::kPending) {
      ++Class(r.job.class_name).pending;
    } else if (r.state == JobState::kRunning || r.state == JobState::kStopping) {
      if (const Placement* p = control.ledger().placement(id)) {
        Class(r.job.class_name).gpus_held += static_cast<std::int64_t>(p->slices.size());
      }
    }
  }
}

// Binds, first starts, preemption victims and moves of `result`.
void ServerMetrics::Impl::TallyDecisions(const Control& control, const CycleResult& result,
                                         Instant now) {
  if (now != observed_at) {
    observed_at = now;
    observed.clear();
  }
  for (auto& [name, cells] : classes) cells.bound = cells.preempted = 0;
  first_starts.clear();
  const std::size_t already = observed.size();
  for (const gpusched::Bind& b : result.binds) {
    const JobRecord* r = control.Find(b.job);
    if (r == nullptr) continue;
    ClassCells& cells = Class(r->job.class_name);
    ++cells.bound;
    const bool first = r->first_started_at == now && r->job.preempted_at.empty() &&
                       !std::binary_search(observed.begin(), observed.begin() + already, b.job);
    if (!first) continue;
    observed.push_back(b.job);
    first_starts.push_back(FirstStart{&cells, Seconds(now - r->job.submit_time)});
  }
  std::sort(observed.begin(), observed.end());
  for (const Preemption& p : result.preemptions) {
    for (const Victim& v : p.victims) {
      if (const JobRecord* r = control.Find(v.job)) ++Class(r->job.class_name).preempted;
    }
  }
  tally.moves = 0;
  for (const DefragPlan& d : result.defrags) {
    tally.moves += static_cast<std::int64_t>(d.moves.size());
  }
}

// GPUs and their memory from the ledger, nodes from the fleet.
void ServerMetrics::Impl::TallyFleet(const Control& control) {
  const ClusterLedger& ledger = control.ledger();
  Tally& t = tally;
  t.gpus = ledger.gpu_count();
  t.gpus_in_use = t.gpus_healthy = t.gpus_schedulable = 0;
  t.memory_total = t.memory_allocated = 0;
  for (GpuIndex g = 0; g < ledger.gpu_count(); ++g) {
    const GpuInfo& gpu = ledger.gpu(g);
    if (!ledger.jobs_on(g).empty()) ++t.gpus_in_use;
    if (gpu.healthy && ledger.node(gpu.node).healthy) ++t.gpus_healthy;
    if (ledger.Schedulable(g)) ++t.gpus_schedulable;
    t.memory_total += gpu.total_mib;
    t.memory_allocated += gpu.total_mib - ledger.free_mib(g);
  }
  t.nodes_ready = t.nodes_drained = t.nodes_lost = 0;
  for (const auto& [name, node] : control.fleet().nodes()) {
    if (node.lost) {
      ++t.nodes_lost;
    } else if (node.drained) {
      ++t.nodes_drained;
    } else {
      ++t.nodes_ready;
    }
  }
}

// Sets the prometheus objects from the tallies. REQUIRES: `publish` held.
void ServerMetrics::Impl::Publish(std::chrono::nanoseconds cycle_time) {
  auto d = [](std::int64_t v) { return static_cast<double>(v); };
  for (std::size_t i = 0; i < kJobStates.size(); ++i) jobs_by_state[i]->Set(d(tally.jobs[i]));
  for (auto& [name, cells] : classes) {
    cells.queue_length->Set(d(cells.pending));
    cells.gpus_allocated->Set(d(cells.gpus_held));
    if (cells.bound > 0) cells.binds->Increment(d(cells.bound));
    if (cells.preempted > 0) cells.preemptions->Increment(d(cells.preempted));
  }
  for (const FirstStart& f : first_starts) f.cells->wait->Observe(f.wait_s);
  if (tally.moves > 0) moves.Increment(d(tally.moves));
  gpus_total.Set(d(tally.gpus));
  gpus_in_use.Set(d(tally.gpus_in_use));
  gpus_healthy.Set(d(tally.gpus_healthy));
  gpus_schedulable.Set(d(tally.gpus_schedulable));
  memory_total.Set(d(tally.memory_total));
  memory_allocated.Set(d(tally.memory_allocated));
  nodes_ready.Set(d(tally.nodes_ready));
  nodes_drained.Set(d(tally.nodes_drained));
  nodes_lost.Set(d(tally.nodes_lost));
  cycle_time_seconds.Observe(std::chrono::duration<double>(cycle_time).count());
  cycle_count.Increment();
}

void ServerMetrics::Impl::SetSlaOf(ClassCells& cells, const ClassSla& sla) {
  const prometheus::Labels labels = {{"class", sla.class_name}};
  auto set_or_remove = [&labels](Family<Gauge>& family, Gauge*& gauge, std::optional<double> v) {
    if (v) {
      if (gauge == nullptr) gauge = &family.Add(labels);
      gauge->Set(*v);
    } else if (gauge != nullptr) {
      family.Remove(gauge);
      gauge = nullptr;
    }
  };
  std::optional<double> target_s;
  std::optional<double> target_ratio;
  if (sla.target) {
    target_s = Seconds(sla.target->max_wait);
    target_ratio = static_cast<double>(sla.target->percentile) / 100.0;
  }
  set_or_remove(sla_attainment, cells.sla_attainment, sla.attainment);
  set_or_remove(sla_target_seconds, cells.sla_target_seconds, target_s);
  set_or_remove(sla_target_ratio, cells.sla_target_ratio, target_ratio);
}

ServerMetrics::ServerMetrics() : impl_(std::make_unique<Impl>()) {}
ServerMetrics::~ServerMetrics() = default;

void ServerMetrics::AfterCycle(const Control& control, const CycleResult& result,
                               std::chrono::nanoseconds cycle_time, Instant now) {
  Impl& m = *impl_;
  m.TallyJobs(control);
  m.TallyDecisions(control, result, now);
  m.TallyFleet(control);
  const std::lock_guard lock(m.publish);
  m.Publish(cycle_time);
}

void ServerMetrics::SetSla(std::span<const ClassSla> sla) {
  Impl& m = *impl_;
  for (const ClassSla& s : sla) m.Class(s.class_name);  // children outside the lock
  const std::lock_guard lock(m.publish);
  for (const ClassSla& s : sla) m.SetSlaOf(m.Class(s.class_name), s);
}

void ServerMetrics::CountRequest(std::string_view route, int status) {
  Impl& m = *impl_;
  Counter* counter = nullptr;
  {
    const std::lock_guard lock(m.http_mutex);
    auto route_it = m.http.find(route);
    if (route_it == m.http.end())
      route_it = m.http.emplace(std::string(route), std::map<int, Counter*>{}).first;
    Counter*& cached = route_it->second[status];
    if (cached == nullptr) {
      cached = &m.http_requests.Add({{"route", route_it->first}, {"code", std::to_string(status)}});
    }
    counter = cached;
  }
  counter->Increment();
}

std::string ServerMetrics::Render() const {
  std::vector<prometheus::MetricFamily> families;
  {
    const std::lock_guard lock(impl_->publish);
    families = impl_->registry.Collect();
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace gpusched::server
