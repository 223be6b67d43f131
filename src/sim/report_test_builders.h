// Builders of hand-made simulator results for the report's tests:
//
//   SimResult r = ResultBuilder("fifo").Gpus(8).Class("critical", 300, 95)
//                     .Job(Outcome("a").Class("critical").Submit(0).Start(60).End(600))
//                     .EndAt(1000).Build();
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/engine.h"

namespace gpusched::sim::report_testing {

// One job's outcome; defaults: class "normal", 1 GPU, submitted at 0,
// never started, not completed, no GPU-seconds.
class Outcome {
 public:
  explicit Outcome(std::string id) {
    job_.id = std::move(id);
    job_.class_name = "normal";
  }
  Outcome& Class(std::string c) {
    job_.class_name = std::move(c);
    return *this;
  }
  Outcome& Submit(std::int64_t s) {
    job_.submit_s = s;
    return *this;
  }
  Outcome& Start(std::int64_t s) {
    job_.first_start_s = s;
    return *this;
  }
  Outcome& End(std::int64_t s) {
    job_.end_s = s;
    return *this;
  }
  // Started at `start` and completed at `end`.
  Outcome& Ran(std::int64_t start, std::int64_t end) { return Start(start).End(end); }
  Outcome& Preempted(int times, int max_24h) {
    job_.preemptions = times;
    job_.max_preemptions_24h = max_24h;
    return *this;
  }
  Outcome& Migrated(int times) {
    job_.migrations = times;
    return *this;
  }
  Outcome& Work(double gpu_s) {
    job_.work_gpu_s = gpu_s;
    return *this;
  }
  Outcome& Held(double gpu_s) {
    job_.held_gpu_s = gpu_s;
    return *this;
  }
  Outcome& Lost(double gpu_s) {
    job_.lost_gpu_s = gpu_s;
    return *this;
  }
  Outcome& Restart(double gpu_s) {
    job_.restart_gpu_s = gpu_s;
    return *this;
  }
  Outcome& WaitReason(std::string r) {
    job_.wait_reason = std::move(r);
    return *this;
  }
  JobOutcome Build() const { return job_; }

 private:
  JobOutcome job_;
};

// A replay's result; defaults: 8 GPUs, class "normal" without a target
// unless classes are named, end at 0.
class ResultBuilder {
 public:
  explicit ResultBuilder(std::string policy) {
    r_.policy = std::move(policy);
    r_.total_gpus = 8;
  }
  ResultBuilder& Gpus(int n) {
    r_.total_gpus = n;
    return *this;
  }
  // A class, highest first; target -1: none.
  ResultBuilder& Class(std::string name, std::int64_t target_s = -1, int percentile = 95) {
    r_.class_names.push_back(std::move(name));
    r_.sla_target_s.push_back(target_s);
    r_.sla_percentile.push_back(percentile);
    return *this;
  }
  ResultBuilder& Job(const Outcome& o) {
    r_.jobs.push_back(o.Build());
    return *this;
  }
  ResultBuilder& EndAt(std::int64_t s) {
    r_.end_s = s;
    return *this;
  }
  ResultBuilder& Cost(std::int64_t events, std::int64_t cycles, double wall_s) {
    r_.events = events;
    r_.cycles = cycles;
    r_.wall_s = wall_s;
    return *this;
  }
  ResultBuilder& Sample(std::int64_t t, int busy, std::vector<int> pending, int preemptions) {
    r_.timeline.push_back({t, busy, busy, std::move(pending), preemptions});
    return *this;
  }
  SimResult Build() const {
    SimResult r = r_;
    if (r.class_names.empty()) {
      r.class_names = {"normal"};
      r.sla_target_s = {-1};
      r.sla_percentile = {95};
    }
    return r;
  }

 private:
  SimResult r_;
};

}  // namespace gpusched::sim::report_testing
