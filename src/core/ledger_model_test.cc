// Randomized model-based test of ClusterLedger (and of the scheduling
// cycle's promise to it): the ledger and a trivially correct model run the
// same random operations, and after each one every GPU's free memory, its
// jobs and their slices, its schedulability and every job's placement must
// agree.
//
// Operations:
//   allocate  a random placement (1..3 distinct GPUs, sizes around the free
//             memory, now and then a malformed one); the ledger must accept
//             exactly when the model says it fits.
//   release   a random held job, or one that holds nothing (must fail).
//   health    drain/undrain a node, mark a node or a GPU (un)healthy, or
//             name a node that does not exist (must fail).
//   preempt   one RunCycle over the held jobs (all low or batch, running for
//             a day) plus one pending critical job that fits on no GPU's
//             free memory but on some card's total. Its preemption (or
//             defragmentation) and binds are applied to ledger and model;
//             victims leave at once, then the preemptor must fit on its
//             nominated placement: that is the core's promise.
//
// Seeds 1..5 always run; GPUSCHED_TEST_SEED=<n> adds one more. A failure
// names the seed, the operation number and the last few operations.
#include <algorithm>
#include <cstdlib>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "gpusched/cluster.h"
#include "gpusched/cycle.h"
#include "gpusched/decision.h"
#include "gpusched/job.h"
#include "gpusched/priority.h"
#include "gpusched/snapshot.h"
#include "gpusched/tenant.h"
#include "world.h"

namespace gpusched {
namespace {

constexpr int kOperationsPerSeed = 10'000;
constexpr Instant kNow = AtSecond(1'000'000);

// --- the model -----------------------------------------------------------

// Trivially correct: placements as given, per-GPU totals, and free memory
// recomputed from scratch by summing.
struct Model {
  std::vector<MiB> total;               // per GPU
  std::vector<NodeIndex> node_of;       // per GPU
  std::vector<int> local_of;            // per GPU
  std::vector<bool> gpu_healthy;        // per GPU
  std::vector<bool> node_healthy;       // per node
  std::vector<bool> node_drained;       // per node
  std::vector<std::string> node_names;  // per node
  std::map<JobId, std::vector<Slice>> held;
  std::map<JobId, std::string> class_of;  // as the held job is shown to the cycle
  std::vector<JobId> allocation_order;    // held jobs, oldest allocation first

  int gpu_count() const { return static_cast<int>(total.size()); }

  MiB Free(GpuIndex g) const {
    MiB used = 0;
    for (const auto& [job, slices] : held) {
      for (const Slice& s : slices) {
        if (s.gpu == g) used += s.memory_mib;
      }
    }
    return total[static_cast<std::size_t>(g)] - used;
  }

  std::vector<JobId> JobsOn(GpuIndex g) const {
    std::vector<JobId> on;
    for (JobId job : allocation_order) {
      for (const Slice& s : held.at(job)) {
        if (s.gpu == g) on.push_back(job);
      }
    }
    return on;
  }

  // The slice of each job in JobsOn(g), in the same order.
  std::vector<MiB> MibOn(GpuIndex g) const {
    std::vector<MiB> mib;
    for (JobId job : allocation_order) {
      for (const Slice& s : held.at(job)) {
        if (s.gpu == g) mib.push_back(s.memory_mib);
      }
    }
    return mib;
  }

  bool Schedulable(GpuIndex g) const {
    const auto n = static_cast<std::size_t>(node_of[static_cast<std::size_t>(g)]);
    return gpu_healthy[static_cast<std::size_t>(g)] && node_healthy[n] && !node_drained[n];
  }

  // Whether the ledger's contract says Allocate(job, p) succeeds.
  bool Fits(JobId job, const Placement& p) const {
    if (held.contains(job) || p.slices.empty()) return false;
    std::set<GpuIndex> seen;
    for (const Slice& s : p.slices) {
      if (s.gpu < 0 || s.gpu >= gpu_count()) return false;
      if (s.memory_mib <= 0) return false;
      if (!seen.insert(s.gpu).second) return false;
      if (s.memory_mib > Free(s.gpu)) return false;
    }
    return true;
  }

  void Allocate(JobId job, const Placement& p, std::string cls) {
    held[job] = p.slices;
    class_of[job] = std::move(cls);
    allocation_order.push_back(job);
  }

  void Release(JobId job) {
    held.erase(job);
    class_of.erase(job);
    allocation_order.erase(std::find(allocation_order.begin(), allocation_order.end(), job));
  }
};

std::vector<Slice> SortedByGpu(std::vector<Slice> slices) {
  std::sort(slices.begin(), slices.end(),
            [](const Slice& a, const Slice& b) { return a.gpu < b.gpu; });
  return slices;
}

std::string Describe(const Placement& p) {
  std::vector<std::string> parts;
  for (const Slice& s : p.slices) parts.push_back(fmt::format("g{}:{}", s.gpu, s.memory_mib));
  return fmt::format("[{}]", fmt::join(parts, " "));
}

// Counts of what the preempt operation saw, to show it is not vacuous.
struct Coverage {
  int allocations = 0;
  int refusals = 0;
  int cycles = 0;
  int preemptions = 0;
  int defrags = 0;
  int waits = 0;
};

Tenant DefaultTenant() {
  Tenant t;
  t.name = "default";
  return t;
}

// --- one seeded run --------------------------------------------------------

class ModelRun {
 public:
  explicit ModelRun(std::uint64_t seed) : seed_(seed), rng_(seed) {}

  // Runs the operations; stops at the first disagreement.
  Coverage Run() {
    BuildCluster();
    if (::testing::Test::HasFatalFailure()) return coverage_;
    CheckAgreement();
    for (op_ = 1; op_ <= kOperationsPerSeed && !Failed(); ++op_) {
      const int dice = Uniform(0, 99);
      if (dice < 45) {
        AllocateRandom();
      } else if (dice < 72) {
        ReleaseRandom();
      } else if (dice < 92) {
        PreemptForCritical();
      } else {
        ChangeHealth();
      }
      CheckAgreement();
    }
    return coverage_;
  }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  MiB UniformMib(MiB lo, MiB hi) { return std::uniform_int_distribution<MiB>(lo, hi)(rng_); }
  bool Chance(int percent) { return Uniform(0, 99) < percent; }

  bool Failed() {
    if (!::testing::Test::HasFailure()) return false;
    if (!reported_) {
      reported_ = true;
      std::string recent;
      for (const std::string& r : recent_) recent += "\n  " + r;
      ADD_FAILURE() << "ledger model run failed: seed " << seed_
                    << " (rerun with GPUSCHED_TEST_SEED=" << seed_ << "), operation " << op_
                    << "; last operations:" << recent;
    }
    return true;
  }

  void Log(std::string what) {
    recent_.push_back(fmt::format("#{} {}", op_, std::move(what)));
    if (recent_.size() > 8) recent_.pop_front();
  }

  std::string Where() const { return fmt::format("seed {} operation {}", seed_, op_); }

  // A few nodes of mixed types, in the compact form.
  void BuildCluster() {
    static const char* const kTypes[] = {"GTX1650", "T4",      "RTX3060", "L4",
                                         "V100-32", "A100-40", "A100-80"};
    std::string text;
    const int nodes = Uniform(2, 4);
    for (int n = 0; n < nodes; ++n) {
      std::vector<std::string> groups;
      const int kinds = Uniform(1, 2);
      for (int k = 0; k < kinds; ++k) {
        groups.push_back(fmt::format("{}x{}", Uniform(1, 3), kTypes[Uniform(0, 6)]));
      }
      text += fmt::format("node-{}: {};", n, fmt::join(groups, ", "));
    }
    cluster_text_ = text;
    auto specs = ParseCompactCluster(text, catalog_);
    ASSERT_TRUE(specs.has_value()) << specs.error().message;
    for (NodeSpec& spec : *specs) {
      model_.node_names.push_back(spec.name);
      model_.node_healthy.push_back(true);
      model_.node_drained.push_back(false);
      const auto n = static_cast<NodeIndex>(model_.node_names.size() - 1);
      for (std::size_t i = 0; i < spec.gpus.size(); ++i) {
        model_.total.push_back(catalog_.type(spec.gpus[i].type).memory_mib);
        model_.node_of.push_back(n);
        model_.local_of.push_back(static_cast<int>(i));
        model_.gpu_healthy.push_back(true);
      }
      auto added = ledger_.AddNode(std::move(spec));
      ASSERT_TRUE(added.has_value()) << added.error().message;
    }
    ASSERT_EQ(ledger_.gpu_count(), model_.gpu_count()) << cluster_text_;
  }

  // A slice size for GPU g: mostly fitting, often at or just past the edge
  // of the free memory, sometimes anything up to the whole card, sometimes
  // small (a GPU crowded with many jobs needs many victims).
  MiB SliceSize(GpuIndex g) {
    const MiB free = model_.Free(g);
    const MiB total = model_.total[static_cast<std::size_t>(g)];
    switch (Uniform(0, 8)) {
      case 0: return std::max<MiB>(free, 1);  // exactly the free memory
      case 1: return free + 1;                // one MiB too many
      case 2: return free + UniformMib(1, 4096);
      case 3: return UniformMib(1, total);
      case 4: return UniformMib(1, std::max<MiB>(1, total / 16));  // small: crowds a GPU
      default: return free >= 1 ? UniformMib(1, std::max<MiB>(1, free / 2)) : UniformMib(1, 2048);
    }
  }

  Placement RandomPlacement() {
    std::vector<GpuIndex> gpus(static_cast<std::size_t>(model_.gpu_count()));
    for (GpuIndex g = 0; g < model_.gpu_count(); ++g) gpus[static_cast<std::size_t>(g)] = g;
    std::shuffle(gpus.begin(), gpus.end(), rng_);
    const int k = std::min(Uniform(1, 3), model_.gpu_count());
    Placement p;
    for (int i = 0; i < k; ++i) {
      const GpuIndex g = gpus[static_cast<std::size_t>(i)];
      p.slices.push_back({g, SliceSize(g)});  // deliberately not in GPU order
    }
    // Now and then a malformed placement, which must be refused.
    switch (Uniform(0, 49)) {
      case 0: p.slices.clear(); break;
      case 1: p.slices.push_back({p.slices.front().gpu, 1}); break;  // a GPU twice
      case 2: p.slices.back().gpu = Chance(50) ? -1 : model_.gpu_count(); break;
      case 3: p.slices.back().memory_mib = Chance(50) ? 0 : -UniformMib(1, 4096); break;
      default: break;
    }
    return p;
  }

  // (a) Allocate: accepted exactly when the model says it fits.
  void AllocateRandom() {
    JobId job = next_job_++;
    if (!model_.held.empty() && Chance(3)) job = RandomHeld();  // a second placement
    const Placement p = RandomPlacement();
    Log(fmt::format("allocate job {} {}", job, Describe(p)));
    const bool fits = model_.Fits(job, p);
    const Status st = ledger_.Allocate(job, p);
    EXPECT_EQ(st.has_value(), fits) << Where() << ": Allocate(job " << job << ", " << Describe(p)
                                    << ") " << (st ? "succeeded" : "failed: " + st.error().message)
                                    << "; the model says it " << (fits ? "fits" : "does not fit");
    if (st && fits) {
      model_.Allocate(job, p, Chance(50) ? "low" : "batch");
      ++coverage_.allocations;
    } else {
      ++coverage_.refusals;
    }
  }

  // Allocates part of a GPU with the most free memory, so that a later
  // critical job has something to preempt.
  void FillLargestFree(MiB max_free) {
    GpuIndex g = 0;
    while (model_.Free(g) != max_free) ++g;
    const JobId job = next_job_++;
    const Placement p{{{g, UniformMib(1, max_free)}}};
    Log(fmt::format("fill: allocate job {} {}", job, Describe(p)));
    MustAllocate(job, p, Chance(50) ? "low" : "batch", "fill");
    ++coverage_.allocations;
  }

  JobId RandomHeld() {
    auto it = model_.held.begin();
    std::advance(it, Uniform(0, static_cast<int>(model_.held.size()) - 1));
    return it->first;
  }

  // (b) Release a held job; releasing a job that holds nothing fails.
  void ReleaseRandom() {
    const bool unknown = model_.held.empty() || Chance(10);
    const JobId job = unknown ? next_job_ + static_cast<JobId>(Uniform(0, 5)) : RandomHeld();
    Log(fmt::format("release job {}{}", job, unknown ? " (holds nothing)" : ""));
    const Status st = ledger_.Release(job);
    EXPECT_EQ(st.has_value(), !unknown) << Where() << ": Release(job " << job << ") "
                                        << (st ? "succeeded" : "failed: " + st.error().message);
    if (st && !unknown) model_.Release(job);
  }

  // Drain, health, and a node that does not exist. Nine times in ten a restore, so the
  // cluster stays largely schedulable.
  void ChangeHealth() {
    const int n = Uniform(0, static_cast<int>(model_.node_names.size()) - 1);
    const auto un = static_cast<std::size_t>(n);
    const std::string& name = model_.node_names[un];
    const bool to = Chance(90);  // value to set: drained=!to, healthy=to
    Status st;
    switch (Uniform(0, 3)) {
      case 0:
        Log(fmt::format("drain {} = {}", name, !to));
        st = ledger_.SetDrained(name, !to);
        if (st) model_.node_drained[un] = !to;
        break;
      case 1:
        Log(fmt::format("node {} healthy = {}", name, to));
        st = ledger_.SetNodeHealthy(name, to);
        if (st) model_.node_healthy[un] = to;
        break;
      case 2: {
        const GpuIndex g = Uniform(0, model_.gpu_count() - 1);
        Log(fmt::format("gpu {} healthy = {}", g, to));
        st = ledger_.SetGpuHealthy(g, to);
        if (st) model_.gpu_healthy[static_cast<std::size_t>(g)] = to;
        break;
      }
      default: {
        Log("drain node-missing");
        const Status missing = ledger_.SetDrained("node-missing", true);
        EXPECT_FALSE(missing.has_value()) << Where() << ": drained a node that does not exist";
        return;
      }
    }
    EXPECT_TRUE(st.has_value()) << Where() << ": " << st.error().message;
  }

  // (c) One scheduling cycle with a critical job that fits on no GPU's free
  // memory but on some card's total.
  void PreemptForCritical() {
    MiB max_free = 0;
    std::vector<GpuIndex> big_enough;
    for (GpuIndex g = 0; g < model_.gpu_count(); ++g) max_free = std::max(max_free, model_.Free(g));
    for (GpuIndex g = 0; g < model_.gpu_count(); ++g) {
      if (model_.total[static_cast<std::size_t>(g)] > max_free) big_enough.push_back(g);
    }
    if (big_enough.empty()) {  // the largest card is empty: fill some of it first
      FillLargestFree(max_free);
      return;
    }
    const GpuIndex target =
        big_enough[static_cast<std::size_t>(Uniform(0, static_cast<int>(big_enough.size()) - 1))];
    const MiB need = UniformMib(max_free + 1, model_.total[static_cast<std::size_t>(target)]);
    const int gpus = Chance(80) ? 1 : 2;
    const JobId preemptor = next_job_++;
    Log(fmt::format("cycle: critical job {} needs {} x {} MiB (largest free {}); {} held jobs",
                    preemptor, gpus, need, max_free, model_.held.size()));

    std::vector<Job> jobs = HeldJobs();
    Job p;
    p.id = preemptor;
    p.name = fmt::format("critical-{}", preemptor);
    p.tenant = "default";
    p.class_name = "critical";
    p.phase = JobPhase::kPending;
    p.gpus = gpus;
    p.memory_per_gpu_mib = need;
    p.submit_time = p.eligible_since = kNow - Duration(10);
    jobs.push_back(p);

    Snapshot snap;
    snap.now = kNow;
    snap.ledger = &ledger_;
    snap.classes = &classes_;
    snap.jobs = jobs;
    snap.tenants = tenants_;
    const CycleResult r = RunCycle(snap);
    ++coverage_.cycles;
    CheckDecisions(r, preemptor, gpus, need);
    // Every held job is a candidate victim (lower class, preemptible, past
    // its minimum runtime, same tenant, never preempted before), so room can
    // be made wherever enough schedulable cards are big enough.
    if (RoomCanBeMade(gpus, need)) {
      EXPECT_EQ(r.preemptions.size() + r.defrags.size(), 1u)
          << Where() << ": stopping held jobs would make room for job " << preemptor << ", but:\n"
          << ToText(r) << "cluster:\n"
          << Dump();
    }
    if (Failed()) return;
    ApplyCycle(r, preemptor);
  }

  // The ledger as the model sees it, one GPU a line, for failure messages.
  std::string Dump() const {
    std::string out;
    for (GpuIndex g = 0; g < model_.gpu_count(); ++g) {
      std::vector<std::string> on;
      for (JobId job : model_.JobsOn(g)) {
        for (const Slice& s : model_.held.at(job)) {
          if (s.gpu == g)
            on.push_back(fmt::format("{}:{}({}, {} GPUs)", job, s.memory_mib,
                                     model_.class_of.at(job), model_.held.at(job).size()));
        }
      }
      out += fmt::format("  g{} {} total {} free {}{}: {}\n", g, ledger_.GpuName(g),
                         model_.total[static_cast<std::size_t>(g)], model_.Free(g),
                         model_.Schedulable(g) ? "" : " (not schedulable)", fmt::join(on, " "));
    }
    return out;
  }

  // Whether some node has `gpus` schedulable cards of at least `need`.
  bool RoomCanBeMade(int gpus, MiB need) const {
    std::map<NodeIndex, int> cards;
    for (GpuIndex g = 0; g < model_.gpu_count(); ++g) {
      const auto u = static_cast<std::size_t>(g);
      if (model_.Schedulable(g) && model_.total[u] >= need) ++cards[model_.node_of[u]];
    }
    return std::any_of(cards.begin(), cards.end(), [&](const auto& c) { return c.second >= gpus; });
  }

  std::vector<Job> HeldJobs() const {
    std::vector<Job> jobs;
    for (const auto& [id, slices] : model_.held) {
      Job j;
      j.id = id;
      j.name = fmt::format("held-{}", id);
      j.tenant = "default";
      j.class_name = model_.class_of.at(id);
      j.phase = JobPhase::kRunning;
      j.gpus = static_cast<int>(slices.size());
      for (const Slice& s : slices)
        j.memory_per_gpu_mib = std::max(j.memory_per_gpu_mib, s.memory_mib);
      j.submit_time = j.eligible_since = kNow - Duration(2 * 86400);
      j.started_at = kNow - Duration(86400);
      j.last_checkpoint_at = kNow - Duration(600);
      jobs.push_back(std::move(j));
    }
    return jobs;
  }

  // The cycle's decisions for the one pending job: exactly one, naming only
  // held jobs as victims or movers and only schedulable GPUs as targets.
  void CheckDecisions(const CycleResult& r, JobId preemptor, int gpus, MiB need) {
    const std::string text = ToText(r);
    const int decisions =
        static_cast<int>(r.binds.size() + r.preemptions.size() + r.defrags.size() + r.waits.size());
    EXPECT_EQ(decisions, 1) << Where() << ": one pending job, decisions:\n" << text;
    EXPECT_TRUE(r.binds.empty()) << Where() << ": job " << preemptor
                                 << " fits on no GPU's free memory, "
                                 << "yet was bound:\n"
                                 << text;
    std::set<JobId> stopping;
    for (const Preemption& pre : r.preemptions) {
      EXPECT_EQ(pre.preemptor, preemptor) << Where();
      EXPECT_FALSE(pre.victims.empty()) << Where() << ": a preemption without victims:\n" << text;
      EXPECT_EQ(static_cast<int>(pre.nominated.slices.size()), gpus) << Where() << ":\n" << text;
      for (const Slice& s : pre.nominated.slices) {
        EXPECT_EQ(s.memory_mib, need) << Where() << ":\n" << text;
        ExpectSchedulableTarget(s.gpu, text);
      }
      for (const Victim& v : pre.victims) {
        EXPECT_TRUE(model_.held.contains(v.job))
            << Where() << ": victim " << v.job << " holds nothing:\n"
            << text;
        EXPECT_TRUE(stopping.insert(v.job).second)
            << Where() << ": victim " << v.job << " named twice:\n"
            << text;
      }
    }
    for (const DefragPlan& d : r.defrags) {
      EXPECT_EQ(d.beneficiary, preemptor) << Where();
      ASSERT_EQ(d.nominated.slices.size(), 1u) << Where() << ":\n" << text;
      EXPECT_EQ(d.nominated.slices[0].memory_mib, need) << Where() << ":\n" << text;
      ExpectSchedulableTarget(d.nominated.slices[0].gpu, text);
      for (const Migration& m : d.moves) {
        EXPECT_TRUE(model_.held.contains(m.job))
            << Where() << ": mover " << m.job << " holds nothing:\n"
            << text;
        EXPECT_TRUE(stopping.insert(m.job).second)
            << Where() << ": mover " << m.job << " named twice:\n"
            << text;
        ASSERT_EQ(m.to.slices.size(), 1u) << Where() << ":\n" << text;
        ExpectSchedulableTarget(m.to.slices[0].gpu, text);
        EXPECT_NE(m.to.slices[0].gpu, d.nominated.slices[0].gpu) << Where() << ":\n" << text;
      }
    }
  }

  void ExpectSchedulableTarget(GpuIndex g, const std::string& text) {
    ASSERT_TRUE(g >= 0 && g < model_.gpu_count()) << Where() << ": GPU " << g << ":\n" << text;
    EXPECT_TRUE(model_.Schedulable(g)) << Where() << ": GPU " << g << " is drained or unhealthy:\n"
                                       << text;
  }

  // Applies binds, then preemptions and defragmentations as a driver would
  // once the victims have exited: release victims and movers, start the
  // preemptor (or beneficiary) on its nominated placement, restart movers.
  void ApplyCycle(const CycleResult& r, JobId preemptor) {
    for (const Bind& b : r.binds) MustAllocate(b.job, b.placement, "low", "bind");
    for (const Preemption& pre : r.preemptions) {
      ++coverage_.preemptions;
      for (const Victim& v : pre.victims) MustRelease(v.job, "victim");
      MustAllocate(preemptor, pre.nominated, "low", "preemptor on its nominated placement");
    }
    for (const DefragPlan& d : r.defrags) {
      ++coverage_.defrags;
      std::map<JobId, std::string> mover_class;
      for (const Migration& m : d.moves) {
        mover_class[m.job] = model_.class_of[m.job];
        MustRelease(m.job, "mover");
      }
      MustAllocate(preemptor, d.nominated, "low", "beneficiary on its nominated placement");
      for (const Migration& m : d.moves)
        MustAllocate(m.job, m.to, mover_class[m.job], "mover at its destination");
    }
    coverage_.waits += static_cast<int>(r.waits.size());
  }

  void MustAllocate(JobId job, const Placement& p, std::string cls, const char* what) {
    Log(fmt::format("  apply: allocate job {} {} ({})", job, Describe(p), what));
    const bool fits = model_.Fits(job, p);
    const Status st = ledger_.Allocate(job, p);
    EXPECT_TRUE(fits) << Where() << ": the model says " << what << " job " << job << " "
                      << Describe(p) << " does not fit";
    EXPECT_TRUE(st.has_value()) << Where() << ": " << what << " job " << job << " " << Describe(p)
                                << ": " << (st ? "" : st.error().message);
    if (st && fits) model_.Allocate(job, p, std::move(cls));
  }

  void MustRelease(JobId job, const char* what) {
    Log(fmt::format("  apply: release job {} ({})", job, what));
    const Status st = ledger_.Release(job);
    EXPECT_TRUE(st.has_value()) << Where() << ": " << what << " job " << job << ": "
                                << (st ? "" : st.error().message);
    if (st && model_.held.contains(job)) model_.Release(job);
  }

  // After every operation: per GPU free memory, over-commitment, jobs,
  // schedulability; per job its placement.
  void CheckAgreement() {
    for (GpuIndex g = 0; g < model_.gpu_count(); ++g) {
      const MiB expected = model_.Free(g);
      EXPECT_EQ(ledger_.free_mib(g), expected)
          << Where() << ": free memory of " << ledger_.GpuName(g);
      EXPECT_GE(ledger_.free_mib(g), 0)
          << Where() << ": " << ledger_.GpuName(g) << " is over-committed";
      EXPECT_LE(ledger_.free_mib(g), model_.total[static_cast<std::size_t>(g)]) << Where();
      const std::vector<JobId> on(ledger_.jobs_on(g).begin(), ledger_.jobs_on(g).end());
      EXPECT_EQ(on, model_.JobsOn(g)) << Where() << ": jobs on " << ledger_.GpuName(g);
      const std::vector<MiB> mib(ledger_.mib_on(g).begin(), ledger_.mib_on(g).end());
      EXPECT_EQ(mib, model_.MibOn(g)) << Where() << ": slices on " << ledger_.GpuName(g);
      EXPECT_EQ(ledger_.Schedulable(g), model_.Schedulable(g))
          << Where() << ": " << ledger_.GpuName(g);
      const auto u = static_cast<std::size_t>(g);
      EXPECT_EQ(ledger_.gpu(g).total_mib, model_.total[u]) << Where();
      EXPECT_EQ(ledger_.gpu(g).node, model_.node_of[u]) << Where();
      EXPECT_EQ(ledger_.gpu(g).local_index, model_.local_of[u]) << Where();
    }
    EXPECT_EQ(ledger_.allocation_count(), model_.held.size()) << Where();
    for (const auto& [job, slices] : model_.held) {
      const Placement* p = ledger_.placement(job);
      ASSERT_NE(p, nullptr) << Where() << ": job " << job << " lost its placement";
      EXPECT_EQ(p->slices, SortedByGpu(slices)) << Where() << ": placement of job " << job;
    }
  }

  std::uint64_t seed_;
  std::mt19937_64 rng_;
  GpuCatalog catalog_ = GpuCatalog::BuiltIn();
  ClassTable classes_ = ClassTable::Defaults();
  std::vector<Tenant> tenants_ = {DefaultTenant()};
  ClusterLedger ledger_{&catalog_};
  Model model_;
  std::string cluster_text_;
  JobId next_job_ = 1;
  int op_ = 0;
  bool reported_ = false;
  std::deque<std::string> recent_;
  Coverage coverage_;
};

Coverage RunSeed(std::uint64_t seed) {
  SCOPED_TRACE(fmt::format("seed {} (rerun with GPUSCHED_TEST_SEED={})", seed, seed));
  ModelRun run(seed);
  return run.Run();
}

TEST(LedgerModelTest, FixedSeedsAgreeWithTheModel) {
  for (std::uint64_t seed = 1; seed <= 5 && !HasFailure(); ++seed) {
    const Coverage c = RunSeed(seed);
    // The run must exercise what it claims to: accepted and refused
    // allocations, and cycles that preempt and defragment.
    const std::string counts = fmt::format(
        "seed {}: {} allocations, {} refusals, {} cycles: {} preemptions, {} defrags, {} waits",
        seed, c.allocations, c.refusals, c.cycles, c.preemptions, c.defrags, c.waits);
    EXPECT_GT(c.allocations, 1000) << counts;
    EXPECT_GT(c.refusals, 500) << counts;
    EXPECT_GT(c.cycles, 1000) << counts;
    EXPECT_GT(c.preemptions, 100) << counts;
    EXPECT_GT(c.defrags, 0) << counts;
  }
}

// Regression (failed at a31a18b). With this file's generator, seed 173
// reaches, at operation 2007, a node whose A100-40 holds nine small
// low/batch jobs; a critical gang needs nearly all of that card, and every
// one of the nine is a valid victim, yet the cycle found no preemption and
// said "no lower-priority job holds enough of the capacity it needs":
// EvalGpu in src/core/preemption.cc considered at most 8 victims on one
// GPU. The minimal case is the next test.
TEST(LedgerModelTest, Seed173AgreesWithTheModel) { RunSeed(173); }

// Regression (failed at a31a18b): the minimal case of seed 173. Ten low jobs of 8 GiB fill an
// A100-80; a critical job needing the whole card can start only if all ten stop. All ten are valid
// victims (lower class, preemptible, past their minimum runtime, same tenant).
TEST(LedgerModelTest, ACriticalJobMayPreemptTenJobsOnOneGpu) {
  testing::World w("node-a: 1xA100-80");
  for (JobId id = 1; id <= 10; ++id) {
    w.Run(w.NewJob(id).Class("low").Mem(GiB(8)).Started(w.now - Duration(86400)), "node-a", {0});
  }
  w.Queue(w.NewJob(100).Class("critical").Mem(GiB(80)));
  const CycleResult r = w.Cycle();
  const Preemption* p = testing::FindPreemption(r, 100);
  ASSERT_NE(p, nullptr) << ToText(r);
  EXPECT_EQ(p->victims.size(), 10u) << ToText(r);
}

TEST(LedgerModelTest, SeedFromTheEnvironmentAgreesWithTheModel) {
  const char* text = std::getenv("GPUSCHED_TEST_SEED");
  if (text == nullptr || *text == '\0') GTEST_SKIP() << "GPUSCHED_TEST_SEED is not set";
  char* end = nullptr;
  const unsigned long long seed = std::strtoull(text, &end, 10);
  ASSERT_TRUE(end != nullptr && *end == '\0')
      << "GPUSCHED_TEST_SEED=\"" << text << "\" is not a number";
  RunSeed(seed);
}

}  // namespace
}  // namespace gpusched
