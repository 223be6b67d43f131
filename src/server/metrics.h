// The control plane's Prometheus metrics: queue lengths, first-start waits,
// SLA attainment, preemptions and moves, GPU and node gauges, cycle times and
// HTTP requests, rendered in the Prometheus text exposition format for the
// server's own GET /metrics route (prometheus-cpp's core library; no
// exposer of its own).
//
// The prometheus-cpp headers stay in metrics.cc (pimpl), so that the
// translation units that include this header do not pay for them.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "gpusched/types.h"

namespace gpusched {
struct CycleResult;
}  // namespace gpusched

namespace gpusched::server {

class Control;
struct ClassSla;

// Metric names (all prefixed gpusched_):
//   queue_length{class}             gauge      pending jobs per class
//   jobs{state}                     gauge      jobs per JobState
//   wait_seconds{class}             histogram  submission to first start
//   sla_attainment_ratio{class}     gauge      classes whose attainment is known
//   sla_target_seconds{class}       gauge      classes with an SLA target
//   binds_total{class}              counter    runs started
//   preemptions_total{class}        counter    jobs preempted (victim's class)
//   migrations_total                counter    defragmentation moves
//   gpus{state}                     gauge      total|allocated|healthy|schedulable
//   gpu_memory_mib{state}           gauge      total|allocated
//   gpus_allocated{class}           gauge      GPUs held by running/stopping jobs
//   nodes{state}                    gauge      ready|drained|lost
//   cycle_seconds                   histogram  scheduling cycle duration
//   cycles_total                    counter    scheduling cycles
//   http_requests_total{route,code} counter    HTTP requests answered
//
// A class gets its children (at 0) once a job of it is seen or SetSla names
// it; they stay afterwards, so a class whose queue empties reads 0 rather
// than vanishing.
//
// Thread safety: AfterCycle and SetSla must be called from one thread (the
// owner thread that runs the cycle); CountRequest and Render may be called
// from any thread, concurrently with them and with each other. Render sees
// either all or none of one AfterCycle's or SetSla's updates.
class ServerMetrics {
 public:
  ServerMetrics();
  ~ServerMetrics();
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  // Owner thread, after each scheduling cycle (Control::Tick): the cycle's
  // `result`, how long it took (`cycle_time`, wall time measured by the
  // caller) and `control` as it is after the decisions were applied; `now`
  // is the instant the cycle ran at. Sets the gauges from `control`, counts
  // binds, preemption victims and moves, and observes the wait of every job
  // that first started in this cycle, once per job (a restart after a
  // preemption, a lost lease or a failed run is not a first start).
  // O(jobs + GPUs + nodes); allocates only for a class seen the first time.
  void AfterCycle(const Control& control, const CycleResult& result,
                  std::chrono::nanoseconds cycle_time, Instant now);

  // Owner thread, every few seconds: the SLA figures per class (SlaReport's
  // output). A class whose attainment is unknown (no job started in the
  // window) or that has no target loses that gauge until it is known again.
  void SetSla(std::span<const ClassSla> sla);

  // Any thread: counts one HTTP request answered with `status`, by route
  // group ("jobs", "agents", "metrics", ...). The caller keeps the set of
  // route groups small: each distinct (route, status) is one time series.
  void CountRequest(std::string_view route, int status);

  // Any thread: every metric in the Prometheus text exposition format
  // (version 0.0.4), ready to serve as text/plain; version=0.0.4.
  std::string Render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpusched::server
