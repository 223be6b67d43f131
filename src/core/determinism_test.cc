// RunCycle is a pure function of its snapshot: the same snapshot gives the
// same decisions byte for byte (compared through ToText), whatever the order
// of the jobs in the snapshot, of the tenants, or of the allocations in the
// ledger. And the decisions are complete and consistent: every pending job
// gets exactly one decision; applying the binds never over-commits a GPU;
// no job is both bound and stopped.
//
// The world is mid-size and random (seeded): 50 nodes of mixed GPUs, ~300
// running jobs, 1,000 pending jobs of every class, several tenants, gangs,
// critical jobs that preempt. Seeds 1..3 always run; GPUSCHED_TEST_SEED=<n>
// adds one.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "world.h"

namespace gpusched {
namespace {

using testing::JobBuilder;
using testing::World;

constexpr int kNodes = 50;
constexpr int kRunning = 300;
constexpr int kPending = 1000;

std::vector<std::uint64_t> Seeds() {
  std::vector<std::uint64_t> seeds = {1, 2, 3};
  if (const char* text = std::getenv("GPUSCHED_TEST_SEED"); text != nullptr && *text != '\0') {
    seeds.push_back(std::strtoull(text, nullptr, 10));
  }
  return seeds;
}

// --- the random world ------------------------------------------------------

class WorldMaker {
 public:
  explicit WorldMaker(std::uint64_t seed) : rng_(seed) {}

  std::unique_ptr<World> Make() {
    auto w = std::make_unique<World>(ClusterText());
    w_ = w.get();
    AddTenants();
    // One node drained, one GPU unhealthy: both keep their jobs.
    EXPECT_TRUE(w->ledger.SetDrained("node-7", true).has_value());
    EXPECT_TRUE(w->ledger.SetGpuHealthy(w->Gpu("node-12", 0), false).has_value());
    for (int i = 0; i < kRunning; ++i) AddRunning();
    for (int i = 0; i < kPending; ++i) AddPending();
    AddNominees(5);
    return w;
  }

  std::string cluster_text() const { return cluster_text_; }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(int percent) { return Uniform(0, 99) < percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(Uniform(0, static_cast<int>(v.size()) - 1))];
  }
  // A value by weight: {{value, weight}, ...}.
  template <typename T>
  T Weighted(const std::vector<std::pair<T, int>>& table) {
    int sum = 0;
    for (const auto& e : table) sum += e.second;
    int x = Uniform(0, sum - 1);
    for (const auto& e : table) {
      if (x < e.second) return e.first;
      x -= e.second;
    }
    return table.back().first;
  }

  std::string ClusterText() {
    const std::vector<std::string> shapes = {"8xT4",
                                             "4xL4",
                                             "2xA100-80, 2xT4",
                                             "8xA100-40",
                                             "4xH100",
                                             "4xRTX3060, 2xA10",
                                             "1xV100-32",
                                             "2xL4, 1xA100-80",
                                             "8xA100-80"};
    const std::vector<std::string> labels = {"", "", "", " [image:yolo, dataset:coco]",
                                             " [image:bert]"};
    std::string text;
    for (int n = 0; n < kNodes; ++n)
      text += fmt::format("node-{}: {}{}\n", n, Pick(shapes), Pick(labels));
    cluster_text_ = text;
    return text;
  }

  void AddTenants() {
    w_->AddTenant("vision", 24, 40);
    w_->AddTenant("nlp", 16);
    Tenant& research = w_->AddTenant("research", 0, 16);
    research.max_class_without_approval = "high";
    Tenant& ops = w_->AddTenant("ops", 8);
    ops.critical_budget_gpu_s = 10 * 3600;
    ops.critical_used_gpu_s = 9 * 3600;
  }

  std::string TenantName() {
    return Pick(std::vector<std::string>{"default", "vision", "nlp", "research", "ops"});
  }

  // Epoch-based progress, sometimes almost finished, sometimes unknown.
  void Progress(JobBuilder& b, Instant started) {
    if (Chance(30)) return;  // unknown runtime
    const int total = Uniform(1, 50);
    const int done = Chance(15) ? total - 1 : Uniform(0, total - 1);
    b.Epochs(total, Duration(Uniform(30, 1800)), done);
    // The current epoch began at the newest checkpoint.
    const auto since = static_cast<std::int64_t>((w_->now - started).count());
    b.CheckpointAt(w_->now -
                   Duration(Uniform(0, static_cast<int>(std::min<std::int64_t>(since, 3600)))));
  }

  void AddRunning() {
    const JobId id = next_id_++;
    JobBuilder b = w_->NewJob(id);
    b.Class(Weighted<std::string>({{"high", 10}, {"medium", 35}, {"low", 35}, {"batch", 20}}));
    b.Tenant(TenantName());
    const int gpus = Weighted<int>({{1, 70}, {2, 15}, {4, 10}, {8, 5}});
    const MiB mib = GiB(Pick(std::vector<int>{2, 4, 6, 8, 12, 16, 24, 32, 40, 70}));
    const bool exclusive = Chance(5);
    b.Gpus(gpus).Mem(mib);
    if (exclusive) b.Exclusive();
    if (Chance(20)) b.Image("yolo").Dataset("coco");
    const Instant started = w_->now - Duration(Uniform(60, 2 * 86400));
    b.Started(started).Submitted(started - Duration(Uniform(0, 3600)));
    Progress(b, started);
    if (Chance(5)) b.NotPreemptible();
    if (Chance(5)) b.PreemptedAt(w_->now - Duration(3600));
    // A node with `gpus` GPUs that hold it; a few tries, then give up.
    for (int attempt = 0; attempt < 30; ++attempt) {
      const int n = Uniform(0, kNodes - 1);
      const std::string node = fmt::format("node-{}", n);
      const NodeIndex ni = *w_->ledger.FindNode(node);
      std::vector<int> locals;
      for (int l = 0; l < static_cast<int>(w_->ledger.node(ni).gpus.size()); ++l) {
        const GpuIndex g = w_->ledger.first_gpu(ni) + l;
        const MiB free = w_->ledger.free_mib(g);
        if (exclusive ? free == w_->ledger.gpu(g).total_mib : free >= mib) locals.push_back(l);
      }
      if (static_cast<int>(locals.size()) < gpus) continue;
      std::shuffle(locals.begin(), locals.end(), rng_);
      locals.resize(static_cast<std::size_t>(gpus));
      w_->Run(b, node, locals);
      return;
    }
  }

  void AddPending() {
    const JobId id = next_id_++;
    JobBuilder b = w_->NewJob(id);
    const std::string cls = Weighted<std::string>(
        {{"critical", 5}, {"high", 15}, {"medium", 35}, {"low", 25}, {"batch", 20}});
    b.Class(cls).Tenant(TenantName());
    const int gpus = Weighted<int>({{1, 65}, {2, 15}, {4, 12}, {8, 6}, {16, 2}});
    b.Gpus(gpus);
    if (gpus == 16 || (gpus >= 4 && Chance(30))) b.MultiNode();
    const int gib = cls == "critical"
                        ? Pick(std::vector<int>{12, 20, 30, 40, 60, 75})
                        : Pick(std::vector<int>{1, 2, 4, 6, 8, 12, 16, 20, 24, 32, 40, 60, 90});
    b.Mem(GiB(gib));
    switch (Uniform(0, 19)) {
      case 0: b.Fraction(Uniform(100, 1000)); break;
      case 1: b.Exclusive(); break;
      case 2: b.Types({"A100-80", "H100"}); break;
      case 3: b.Types({"T4", "L4"}); break;
      default: break;
    }
    if (Chance(20)) b.Image("yolo").Dataset("coco");
    if (Chance(50)) b.Epochs(Uniform(1, 50), Duration(Uniform(30, 1800)));
    // Submission times repeat, so the sort's later tie-breaks matter.
    b.Submitted(w_->now - Duration(60 * Uniform(0, 600)));
    if (Chance(2)) b.BoostTo("critical", w_->now + Duration(3600));
    if (Chance(10)) b.Approved();
    if (Chance(3)) b.PreemptedAt(w_->now - Duration(600));
    w_->Queue(b);
  }

  // Pending jobs holding a nomination (from an "earlier cycle") on free
  // capacity: they start there.
  void AddNominees(int count) {
    for (GpuIndex g = 0; g < w_->ledger.gpu_count() && count > 0; g += 7) {
      if (!w_->ledger.Schedulable(g) || w_->ledger.free_mib(g) < GiB(4)) continue;
      const Placement p{{{g, GiB(4)}}};
      w_->Queue(
          w_->NewJob(next_id_++).Class("high").Mem(GiB(4)).Nominated(p, w_->now + Duration(300)));
      --count;
    }
  }

  std::mt19937_64 rng_;
  World* w_ = nullptr;
  std::string cluster_text_;
  JobId next_id_ = 1;
};

// --- helpers ---------------------------------------------------------------

// The first line where two renderings differ, for a readable failure.
std::string FirstDifference(const std::string& a, const std::string& b) {
  std::istringstream x(a), y(b);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool ga = static_cast<bool>(std::getline(x, la));
    const bool gb = static_cast<bool>(std::getline(y, lb));
    if (!ga && !gb) return "identical";
    if (!ga || !gb || la != lb) {
      return fmt::format("line {}:\n  first:  {}\n  second: {}", line, ga ? la : "<end>",
                         gb ? lb : "<end>");
    }
  }
}

// A ledger with the same nodes, drain and health as `w`'s, its allocations
// made in the order of `jobs` (running jobs only).
ClusterLedger Rebuilt(const World& w, const std::string& cluster_text,
                      const std::vector<Job>& jobs) {
  ClusterLedger ledger(&w.catalog);
  auto nodes = ParseCompactCluster(cluster_text, w.catalog);
  EXPECT_TRUE(nodes.has_value());
  for (NodeSpec& n : *nodes) EXPECT_TRUE(ledger.AddNode(std::move(n)).has_value());
  for (NodeIndex n = 0; n < w.ledger.node_count(); ++n) {
    EXPECT_TRUE(ledger.SetDrained(w.ledger.node(n).name, w.ledger.node(n).drained).has_value());
  }
  for (GpuIndex g = 0; g < w.ledger.gpu_count(); ++g) {
    EXPECT_TRUE(ledger.SetGpuHealthy(g, w.ledger.gpu(g).healthy).has_value());
  }
  for (const Job& j : jobs) {
    if (j.phase == JobPhase::kPending) continue;
    const Status ok = ledger.Allocate(j.id, *w.ledger.placement(j.id));
    EXPECT_TRUE(ok.has_value()) << ok.error().message;
  }
  return ledger;
}

class DeterminismTest : public ::testing::Test {
 protected:
  // Builds the world of `seed`; the test's lines name the seed.
  void Build(std::uint64_t seed) {
    WorldMaker maker(seed);
    world_ = maker.Make();
    cluster_text_ = maker.cluster_text();
  }
  World& w() { return *world_; }

  template <typename T>
  void Shuffle(std::vector<T>& v, std::uint64_t seed) {
    std::mt19937_64 rng(seed * 7919 + 17);
    std::shuffle(v.begin(), v.end(), rng);
  }

  std::unique_ptr<World> world_;
  std::string cluster_text_;
};

// --- the same snapshot, the same decisions ------------------------------------

TEST_F(DeterminismTest, TheSameSnapshotGivesByteIdenticalDecisions) {
  for (std::uint64_t seed : Seeds()) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    Build(seed);
    const std::string first = ToText(w().Cycle());
    const std::string second = ToText(w().Cycle());
    EXPECT_TRUE(first == second) << FirstDifference(first, second);
  }
}

// At 3c18e79 this failed: a WaitInstead reason named the first finishing
// job in snapshot order (WaitInstead in src/core/preemption.cc); the
// minimal case is WaitInsteadNamesTheSameJobWhateverTheOrderOfRunningJobs.
TEST_F(DeterminismTest, TheOrderOfJobsInTheSnapshotDoesNotMatter) {
  for (std::uint64_t seed : Seeds()) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    Build(seed);
    const std::string ordered = ToText(w().Cycle());
    std::vector<Job> shuffled = w().jobs;
    Shuffle(shuffled, seed);
    Snapshot s = w().Snap();
    s.jobs = shuffled;
    const std::string reordered = ToText(RunCycle(s));
    EXPECT_TRUE(ordered == reordered) << FirstDifference(ordered, reordered);
    std::reverse(shuffled.begin(), shuffled.end());
    const std::string reversed = ToText(RunCycle(s));
    EXPECT_TRUE(ordered == reversed) << FirstDifference(ordered, reversed);
  }
}

TEST_F(DeterminismTest, TheOrderOfAllocationsInTheLedgerDoesNotMatter) {
  for (std::uint64_t seed : Seeds()) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    Build(seed);
    const std::string original = ToText(w().Cycle());
    std::vector<Job> shuffled = w().jobs;
    Shuffle(shuffled, seed);
    const ClusterLedger ledger = Rebuilt(w(), cluster_text_, shuffled);
    Snapshot s = w().Snap();
    s.ledger = &ledger;
    s.jobs = shuffled;
    const std::string rebuilt = ToText(RunCycle(s));
    EXPECT_TRUE(original == rebuilt) << FirstDifference(original, rebuilt);
  }
}

TEST_F(DeterminismTest, TheOrderOfTenantsInTheSnapshotDoesNotMatter) {
  for (std::uint64_t seed : Seeds()) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    Build(seed);
    const std::string original = ToText(w().Cycle());
    std::vector<Tenant> tenants = w().tenants;
    std::reverse(tenants.begin(), tenants.end());
    Snapshot s = w().Snap();
    s.tenants = tenants;
    const std::string reordered = ToText(RunCycle(s));
    EXPECT_TRUE(original == reordered) << FirstDifference(original, reordered);
  }
}

// Regression (failed at 3c18e79): the minimal case of the order dependence
// above. One A100-80 holds two low jobs that finish in
// ~10 s and ~20 s (within the 30 s grace of a preemption) and one that runs
// on; a critical job needing 60 GiB waits instead of preempting. Which
// finishing job the reason names must not depend on the order in which the
// driver lists (and allocated) the running jobs.
TEST(DeterminismRegressionTest, WaitInsteadNamesTheSameJobWhateverTheOrderOfRunningJobs) {
  auto decide = [](const std::vector<JobId>& order) {
    World w("node-a: 1xA100-80");
    const Instant long_ago = w.now - Duration(86400);
    for (JobId id : order) {
      JobBuilder b = w.NewJob(id).Class("low").Mem(GiB(id == 3 ? 20 : 30)).Started(long_ago);
      // A100: an epoch of 100 s on a T4 takes 25 s; the last epoch began
      // 15 s (job 1) or 5 s (job 2) ago. Job 3's runtime is unknown.
      if (id == 1) b.Epochs(10, Duration(100), 9).CheckpointAt(w.now - Duration(15));
      if (id == 2) b.Epochs(10, Duration(100), 9).CheckpointAt(w.now - Duration(5));
      w.Run(b, "node-a", {0});
    }
    w.Queue(w.NewJob(10).Class("critical").Mem(GiB(60)));
    return w.Cycle();
  };
  const CycleResult forward = decide({1, 2, 3});
  const CycleResult backward = decide({3, 2, 1});
  const Wait* wait = testing::FindWait(forward, 10);
  ASSERT_NE(wait, nullptr) << ToText(forward);
  EXPECT_EQ(wait->code, WaitCode::kWaitInstead) << wait->reason;
  const std::string a = ToText(forward);
  const std::string b = ToText(backward);
  EXPECT_TRUE(a == b) << FirstDifference(a, b);
}

// Regression (failed at a31a18b): EvalGpu in src/core/preemption.cc looked
// at no more than the first 32 candidate victims on a GPU, in the ledger's
// allocation order, so a cheaper victim listed later was never considered:
// the plan cost more than the least, and two ledgers with the same
// allocations decided differently.
//
// One A100-80 crowded with 40 low jobs of 2 GiB (full); job i's newest
// checkpoint is 1000 - 20 i seconds old, so job 40 is the cheapest victim,
// then 39. A critical job needing 4 GiB must preempt exactly those two,
// whichever order the driver allocated the 40 jobs in (a server that
// rebuilds its ledger after a restart allocates in another order than the
// live one did).
TEST(DeterminismRegressionTest, VictimsOnACrowdedGpuDoNotDependOnTheLedgersAllocationOrder) {
  auto decide = [](bool reversed) {
    World w("node-a: 1xA100-80");
    for (int k = 1; k <= 40; ++k) {
      const JobId id = static_cast<JobId>(reversed ? 41 - k : k);
      const auto age = static_cast<std::int64_t>(1000 - 20 * static_cast<std::int64_t>(id));
      w.Run(w.NewJob(id)
                .Class("low")
                .Mem(GiB(2))
                .Started(w.now - Duration(86400))
                .CheckpointAt(w.now - Duration(age)),
            "node-a", {0});
    }
    w.Queue(w.NewJob(100).Class("critical").Mem(GiB(4)));
    return w.Cycle();
  };
  const CycleResult forward = decide(false);
  const CycleResult backward = decide(true);
  const Preemption* p = testing::FindPreemption(forward, 100);
  ASSERT_NE(p, nullptr) << ToText(forward);
  EXPECT_EQ(testing::VictimIds(*p), (std::vector<JobId>{39, 40})) << ToText(forward);
  const std::string a = ToText(forward);
  const std::string b = ToText(backward);
  EXPECT_TRUE(a == b) << FirstDifference(a, b);
}

// --- complete and consistent decisions ----------------------------------------

TEST_F(DeterminismTest, TheWorldExercisesBindsPreemptionsAndWaitsWithReasons) {
  for (std::uint64_t seed : Seeds()) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    Build(seed);
    const CycleResult r = w().Cycle();
    EXPECT_GE(r.stats.running, kRunning / 2);
    EXPECT_EQ(r.stats.pending,
              static_cast<int>(std::count_if(w().jobs.begin(), w().jobs.end(), [](const Job& j) {
                return j.phase == JobPhase::kPending;
              })));
    EXPECT_GE(r.binds.size(), 10u);
    EXPECT_GE(r.preemptions.size(), 1u);
    EXPECT_GE(r.waits.size(), 100u);
    std::set<WaitCode> codes;
    for (const Wait& wait : r.waits) {
      codes.insert(wait.code);
      EXPECT_FALSE(wait.reason.empty()) << "job " << wait.job;
    }
    EXPECT_GE(codes.size(), 3u) << ToText(r);
    for (const Bind& b : r.binds) EXPECT_FALSE(b.reason.empty()) << "job " << b.job;
    for (const Preemption& p : r.preemptions) {
      EXPECT_FALSE(p.reason.empty()) << "job " << p.preemptor;
      EXPECT_FALSE(p.victims.empty()) << "job " << p.preemptor;
      for (const Victim& v : p.victims) EXPECT_FALSE(v.reason.empty()) << "victim " << v.job;
    }
  }
}

TEST_F(DeterminismTest, EveryPendingJobGetsExactlyOneDecisionAndNoOtherJobGetsOne) {
  for (std::uint64_t seed : Seeds()) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    Build(seed);
    const CycleResult r = w().Cycle();
    std::map<JobId, int> decisions;
    for (const Bind& b : r.binds) ++decisions[b.job];
    for (const Wait& wait : r.waits) ++decisions[wait.job];
    for (const Preemption& p : r.preemptions) ++decisions[p.preemptor];
    for (const DefragPlan& d : r.defrags) ++decisions[d.beneficiary];
    for (const Job& j : w().jobs) {
      const int n = decisions.contains(j.id) ? decisions[j.id] : 0;
      if (j.phase == JobPhase::kPending) {
        EXPECT_EQ(n, 1) << "pending job " << j.id << " has " << n << " decisions";
      } else {
        EXPECT_EQ(n, 0) << "running job " << j.id << " has " << n << " decisions";
      }
      decisions.erase(j.id);
    }
    for (const auto& [id, n] : decisions)
      ADD_FAILURE() << "a decision for job " << id << ", not in the snapshot";
    // Queue positions: each wait's place among pending jobs, 1-based, unique.
    std::set<int> positions;
    for (const Wait& wait : r.waits) {
      EXPECT_TRUE(wait.position >= 1 && wait.position <= r.stats.pending) << "job " << wait.job;
      EXPECT_TRUE(positions.insert(wait.position).second)
          << "position " << wait.position << " twice";
    }
  }
}

TEST_F(DeterminismTest, BindsFitTheLedgerAndNoJobIsBothBoundAndStopped) {
  for (std::uint64_t seed : Seeds()) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    Build(seed);
    const CycleResult r = w().Cycle();
    ClusterLedger ledger = w().ledger;  // a copy
    std::set<JobId> bound;
    for (const Bind& b : r.binds) {
      const Status ok = ledger.Allocate(b.job, b.placement);
      EXPECT_TRUE(ok.has_value()) << "bind of job " << b.job << ": " << ok.error().message;
      bound.insert(b.job);
      for (const Slice& s : b.placement.slices) {
        EXPECT_TRUE(w().ledger.Schedulable(s.gpu))
            << "job " << b.job << " bound on " << w().ledger.GpuName(s.gpu);
      }
    }
    for (GpuIndex g = 0; g < ledger.gpu_count(); ++g)
      EXPECT_GE(ledger.free_mib(g), 0) << ledger.GpuName(g);
    std::set<JobId> stopped;
    for (const Preemption& p : r.preemptions) {
      EXPECT_FALSE(bound.contains(p.preemptor))
          << "job " << p.preemptor << " is bound and preempts";
      for (const Victim& v : p.victims) {
        EXPECT_FALSE(bound.contains(v.job)) << "job " << v.job << " is bound and a victim";
        EXPECT_TRUE(stopped.insert(v.job).second) << "job " << v.job << " is a victim twice";
        EXPECT_NE(w().job(v.job).phase, JobPhase::kPending)
            << "victim " << v.job << " is not running";
      }
    }
    for (const DefragPlan& d : r.defrags) {
      for (const Migration& m : d.moves) {
        EXPECT_FALSE(bound.contains(m.job)) << "job " << m.job << " is bound and moved";
        EXPECT_TRUE(stopped.insert(m.job).second) << "job " << m.job << " is stopped twice";
      }
    }
  }
}

// Beyond the binds: once all victims and movers have exited, every
// preemptor and defragmentation beneficiary fits on its nominated placement
// and every mover at its destination, all at once, on top of the binds.
TEST_F(DeterminismTest, AllDecisionsTogetherFitTheLedgerOnceVictimsExit) {
  for (std::uint64_t seed : Seeds()) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    Build(seed);
    const CycleResult r = w().Cycle();
    ClusterLedger ledger = w().ledger;
    for (const Bind& b : r.binds)
      ASSERT_TRUE(ledger.Allocate(b.job, b.placement).has_value()) << "job " << b.job;
    for (const Preemption& p : r.preemptions) {
      for (const Victim& v : p.victims)
        EXPECT_TRUE(ledger.Release(v.job).has_value()) << "victim " << v.job;
    }
    for (const DefragPlan& d : r.defrags) {
      for (const Migration& m : d.moves)
        EXPECT_TRUE(ledger.Release(m.job).has_value()) << "mover " << m.job;
    }
    for (const Preemption& p : r.preemptions) {
      const Status ok = ledger.Allocate(p.preemptor, p.nominated);
      EXPECT_TRUE(ok.has_value()) << "preemptor " << p.preemptor << ": " << ok.error().message;
    }
    for (const DefragPlan& d : r.defrags) {
      const Status ok = ledger.Allocate(d.beneficiary, d.nominated);
      EXPECT_TRUE(ok.has_value()) << "beneficiary " << d.beneficiary << ": " << ok.error().message;
      for (const Migration& m : d.moves) {
        const Status moved = ledger.Allocate(m.job, m.to);
        EXPECT_TRUE(moved.has_value()) << "mover " << m.job << ": " << moved.error().message;
      }
    }
  }
}

}  // namespace
}  // namespace gpusched
