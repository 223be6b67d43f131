// Test fixtures for the scheduling core: a small world (catalog, classes,
// ledger, jobs, tenants, freezes, fake clock) built from the compact cluster
// form, job builders, and lookups into a cycle's result. Tests read as
// specifications:
//
//   World w("node-a: 2xT4; node-b: 1xA100-80");
//   w.Run(w.NewJob(1).Class("batch").Mem(GiB(10)), "node-a", 0);
//   w.Queue(w.NewJob(2).Class("critical").Mem(GiB(12)));
//   CycleResult r = w.Cycle();
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gpusched/cluster.h"
#include "gpusched/cycle.h"
#include "gpusched/gpu_catalog.h"
#include "gpusched/job.h"
#include "gpusched/priority.h"
#include "gpusched/runtime_model.h"
#include "gpusched/snapshot.h"
#include "gpusched/tenant.h"

namespace gpusched::testing {

constexpr Instant kT0 = AtSecond(1'000'000);

class JobBuilder {
 public:
  JobBuilder(JobId id, const GpuCatalog* catalog, Instant now) : catalog_(catalog) {
    job_.id = id;
    job_.name = "job-" + std::to_string(id);
    job_.tenant = "default";
    job_.class_name = "medium";
    job_.memory_per_gpu_mib = GiB(4);
    job_.submit_time = job_.eligible_since = now;
    job_.started_at = job_.last_checkpoint_at = now;
  }
  JobBuilder& Class(std::string c) { job_.class_name = std::move(c); return *this; }
  JobBuilder& Tenant(std::string t) { job_.tenant = std::move(t); return *this; }
  JobBuilder& Gpus(int n) { job_.gpus = n; return *this; }
  JobBuilder& Mem(MiB mib) { job_.memory_per_gpu_mib = mib; return *this; }
  JobBuilder& Fraction(int permille) { job_.memory_fraction_permille = permille; job_.memory_per_gpu_mib = 0; return *this; }
  JobBuilder& Exclusive() { job_.exclusive = true; return *this; }
  JobBuilder& MultiNode() { job_.multi_node = true; return *this; }
  JobBuilder& NotPreemptible() { job_.preemptible = false; return *this; }
  JobBuilder& Approved() { job_.approved = true; return *this; }
  JobBuilder& Types(std::vector<std::string> names) {
    for (const auto& n : names) job_.gpu_types.push_back(*catalog_->Find(n));
    return *this;
  }
  JobBuilder& Image(std::string i) { job_.image = std::move(i); return *this; }
  JobBuilder& Dataset(std::string d) { job_.dataset = std::move(d); return *this; }
  JobBuilder& ModelKey(std::string k) { job_.model_key = std::move(k); return *this; }
  // Epoch-based: `total` epochs of `epoch_t4` each on a T4, `done` finished.
  JobBuilder& Epochs(int total, Duration epoch_t4, int done = 0) {
    job_.progress.epochs_total = total;
    job_.progress.epoch_t4 = epoch_t4;
    job_.progress.epochs_done = done;
    job_.progress.checkpoint_epoch = done;
    return *this;
  }
  JobBuilder& DurationT4(Duration d) { job_.progress.duration_t4 = d; return *this; }
  JobBuilder& Submitted(Instant t) { job_.submit_time = job_.eligible_since = t; return *this; }
  JobBuilder& Started(Instant t) { job_.started_at = t; job_.last_checkpoint_at = t; return *this; }
  JobBuilder& CheckpointAt(Instant t) { job_.last_checkpoint_at = t; return *this; }
  JobBuilder& PreemptedAt(Instant t) { job_.preempted_at.push_back(t); return *this; }
  JobBuilder& BoostTo(std::string c, Instant until) { job_.boost = Boost{std::move(c), until}; return *this; }
  JobBuilder& Nominated(Placement p, Instant until) { job_.nomination = Nomination{std::move(p), until}; return *this; }
  Job Build() const { return job_; }

 private:
  const GpuCatalog* catalog_;
  Job job_;
};

class World {
 public:
  explicit World(std::string_view cluster);

  JobBuilder NewJob(JobId id) const { return JobBuilder(id, &catalog, now); }
  // Adds a running job on the given GPUs (node name, local GPU indices); the
  // ledger records its slices (whole card when exclusive).
  Job& Run(const JobBuilder& b, std::string_view node, std::vector<int> local_gpus);
  Job& Queue(const JobBuilder& b);
  Tenant& AddTenant(std::string name, int guaranteed, std::optional<int> borrow = std::nullopt);
  void Advance(Duration d) { now += d; }

  Snapshot Snap() const;
  CycleResult Cycle() const { return RunCycle(Snap()); }

  // Applies a cycle's binds, preemptions (victims leave at once) and
  // nominations, as a driver would once victims have exited.
  void Apply(const CycleResult& r);

  GpuIndex Gpu(std::string_view node, int local) const;
  Job& job(JobId id);

  GpuCatalog catalog = GpuCatalog::BuiltIn();
  ClassTable classes = ClassTable::Defaults();
  ClusterLedger ledger{&catalog};
  RuntimeModel runtime{&catalog};
  PolicyConfig policy;
  std::vector<Job> jobs;
  std::vector<Tenant> tenants;
  std::vector<Freeze> freezes;
  Instant now = kT0;
};

// Lookups into a result; nullptr when absent.
const Bind* FindBind(const CycleResult& r, JobId job);
const Wait* FindWait(const CycleResult& r, JobId job);
const Preemption* FindPreemption(const CycleResult& r, JobId preemptor);
const DefragPlan* FindDefrag(const CycleResult& r, JobId beneficiary);
// Results must outlive the pointers: no lookups into temporaries.
const Bind* FindBind(CycleResult&&, JobId) = delete;
const Wait* FindWait(CycleResult&&, JobId) = delete;
const Preemption* FindPreemption(CycleResult&&, JobId) = delete;
const DefragPlan* FindDefrag(CycleResult&&, JobId) = delete;
std::vector<JobId> VictimIds(const Preemption& p);
// "node-a GPU 0" of the bind's first slice.
std::string WhereBound(const World& w, const Bind& b);

}  // namespace gpusched::testing
