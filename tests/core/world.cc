#include "world.h"

#include <algorithm>

namespace gpusched::testing {

World::World(std::string_view cluster) {
  auto nodes = ParseCompactCluster(cluster, catalog);
  EXPECT_TRUE(nodes.has_value()) << (nodes ? "" : nodes.error().message);
  if (!nodes) return;
  for (NodeSpec& n : *nodes) {
    auto added = ledger.AddNode(std::move(n));
    EXPECT_TRUE(added.has_value());
  }
  Tenant t;
  t.name = "default";
  tenants.push_back(t);
}

GpuIndex World::Gpu(std::string_view node, int local) const {
  auto n = ledger.FindNode(node);
  EXPECT_TRUE(n.has_value()) << "no node " << node;
  return ledger.first_gpu(*n) + local;
}

Job& World::Run(const JobBuilder& b, std::string_view node, std::vector<int> local_gpus) {
  Job job = b.Build();
  job.phase = JobPhase::kRunning;
  Placement p;
  for (int l : local_gpus) {
    const GpuIndex g = Gpu(node, l);
    const MiB total = ledger.gpu(g).total_mib;
    MiB mib = job.memory_per_gpu_mib;
    if (job.exclusive) mib = total;
    if (job.memory_fraction_permille > 0) mib = (total * job.memory_fraction_permille + 999) / 1000;
    p.slices.push_back({g, mib});
  }
  auto ok = ledger.Allocate(job.id, p);
  EXPECT_TRUE(ok.has_value()) << (ok ? "" : ok.error().message);
  jobs.push_back(std::move(job));
  return jobs.back();
}

Job& World::Queue(const JobBuilder& b) {
  jobs.push_back(b.Build());
  jobs.back().phase = JobPhase::kPending;
  return jobs.back();
}

Tenant& World::AddTenant(std::string name, int guaranteed, std::optional<int> borrow) {
  Tenant t;
  t.name = std::move(name);
  t.guaranteed_gpus = guaranteed;
  t.borrow_limit_gpus = borrow;
  tenants.push_back(std::move(t));
  return tenants.back();
}

Snapshot World::Snap() const {
  Snapshot s;
  s.now = now;
  s.ledger = &ledger;
  s.classes = &classes;
  s.runtime = &runtime;
  s.policy = policy;
  s.jobs = jobs;
  s.tenants = tenants;
  s.freezes = freezes;
  return s;
}

Job& World::job(JobId id) {
  auto it = std::find_if(jobs.begin(), jobs.end(), [&](const Job& j) { return j.id == id; });
  EXPECT_NE(it, jobs.end()) << "no job " << id;
  return *it;
}

void World::Apply(const CycleResult& r) {
  for (const Preemption& p : r.preemptions) {
    for (const Victim& v : p.victims) {
      EXPECT_TRUE(ledger.Release(v.job).has_value());
      Job& victim = job(v.job);
      victim.phase = JobPhase::kPending;
      victim.preempted_at.push_back(now);
    }
    job(p.preemptor).nomination = Nomination{p.nominated, p.nomination_expires_at};
  }
  for (const Bind& b : r.binds) {
    EXPECT_TRUE(ledger.Allocate(b.job, b.placement).has_value());
    Job& j = job(b.job);
    j.phase = JobPhase::kRunning;
    j.started_at = j.last_checkpoint_at = now;
    j.nomination.reset();
  }
}

const Bind* FindBind(const CycleResult& r, JobId job) {
  for (const Bind& b : r.binds) if (b.job == job) return &b;
  return nullptr;
}
const Wait* FindWait(const CycleResult& r, JobId job) {
  for (const Wait& w : r.waits) if (w.job == job) return &w;
  return nullptr;
}
const Preemption* FindPreemption(const CycleResult& r, JobId preemptor) {
  for (const Preemption& p : r.preemptions) if (p.preemptor == preemptor) return &p;
  return nullptr;
}
const DefragPlan* FindDefrag(const CycleResult& r, JobId beneficiary) {
  for (const DefragPlan& d : r.defrags) if (d.beneficiary == beneficiary) return &d;
  return nullptr;
}
std::vector<JobId> VictimIds(const Preemption& p) {
  std::vector<JobId> ids;
  for (const Victim& v : p.victims) ids.push_back(v.job);
  std::sort(ids.begin(), ids.end());
  return ids;
}
std::string WhereBound(const World& w, const Bind& b) {
  return w.ledger.GpuName(b.placement.slices.at(0).gpu);
}

}  // namespace gpusched::testing
