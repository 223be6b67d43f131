// Odd but possible input: the cycle refuses nonsense with a reason and never
// lets it bend the ledger's invariant.
#include <gtest/gtest.h>

#include "world.h"

namespace gpusched::testing {
namespace {

constexpr Duration kHour{3600};

const Wait& WaitOf(const CycleResult& r, JobId id) {
  const Wait* w = FindWait(r, id);
  EXPECT_NE(w, nullptr) << ToText(r);
  static const Wait kNone{};
  return w ? *w : kNone;
}

TEST(Validation, NonPositiveMemoryIsInfeasibleAndTakesNothing) {
  World w("n: 1xT4");
  w.Run(w.NewJob(1).Mem(GiB(12)), "n", {0});
  w.Queue(w.NewJob(2).Class("high").Mem(-GiB(8)));
  w.Queue(w.NewJob(3).Class("high").Mem(0));
  w.Queue(w.NewJob(4).Class("medium").Mem(GiB(10)));
  CycleResult r = w.Cycle();
  EXPECT_EQ(WaitOf(r, 2).code, WaitCode::kInfeasible);
  EXPECT_EQ(WaitOf(r, 2).reason, "memory per GPU is -8192 MiB; it must be positive");
  EXPECT_EQ(WaitOf(r, 3).code, WaitCode::kInfeasible);
  EXPECT_EQ(FindBind(r, 4), nullptr) << "3 GiB are free; 10 do not fit";
}

TEST(Validation, ZeroGpusIsInfeasible) {
  World w("n: 2xT4");
  w.Queue(w.NewJob(1).Gpus(0));
  CycleResult r = w.Cycle();
  EXPECT_EQ(WaitOf(r, 1).code, WaitCode::kInfeasible);
  EXPECT_EQ(WaitOf(r, 1).reason, "requests 0 GPUs; a job needs at least 1");
}

TEST(Validation, UnknownTenantIsInfeasibleNotUnlimited) {
  World w("n: 1xT4");
  w.AddTenant("vision", 0).max_class_without_approval = "medium";
  w.Queue(w.NewJob(1).Tenant("nobody").Class("critical"));
  CycleResult r = w.Cycle();
  EXPECT_EQ(WaitOf(r, 1).code, WaitCode::kInfeasible);
  EXPECT_EQ(WaitOf(r, 1).reason, "unknown tenant \"nobody\"");
}

TEST(Validation, NominationOnADrainedNodeIsIgnored) {
  World w("a: 1xT4; b: 1xT4");
  w.Queue(w.NewJob(1).Mem(GiB(4)).Nominated(Placement{{{w.Gpu("a", 0), GiB(4)}}}, w.now + kHour));
  ASSERT_TRUE(w.ledger.SetDrained("a", true));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindBind(r, 1), nullptr);
  EXPECT_EQ(WhereBound(w, *FindBind(r, 1)), "b GPU 0");
}

TEST(Validation, NominationSmallerThanTheJobsNeedIsIgnored) {
  World w("a: 1xT4");
  w.Queue(w.NewJob(1).Mem(GiB(10)).Nominated(Placement{{{w.Gpu("a", 0), GiB(2)}}}, w.now + kHour));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindBind(r, 1), nullptr);
  EXPECT_EQ(FindBind(r, 1)->placement.slices[0].memory_mib, GiB(10));
}

TEST(Validation, MalformedNominationsDoNotCrashAndAreIgnored) {
  World w("a: 1xT4");
  w.Queue(w.NewJob(1).Mem(GiB(4)).Nominated(Placement{}, w.now + kHour));
  w.Queue(w.NewJob(2).Mem(GiB(4)).Nominated(Placement{{{99, GiB(4)}}}, w.now + kHour));
  CycleResult r = w.Cycle();
  EXPECT_NE(FindBind(r, 1), nullptr);
  EXPECT_NE(FindBind(r, 2), nullptr);
}

TEST(Validation, ExpiredNominationHoldsNothing) {
  World w("a: 1xT4");
  w.Queue(w.NewJob(1).Class("high").Mem(GiB(4)).Nominated(Placement{{{w.Gpu("a", 0), GiB(14)}}},
                                                           w.now - Duration(1)));
  w.Queue(w.NewJob(2).Class("low").Mem(GiB(8)));
  CycleResult r = w.Cycle();
  EXPECT_NE(FindBind(r, 1), nullptr);
  EXPECT_NE(FindBind(r, 2), nullptr);
}

TEST(Validation, EmptyClusterExplainsInsteadOfCrashing) {
  World w("");
  w.Queue(w.NewJob(1));
  CycleResult r = w.Cycle();
  EXPECT_EQ(WaitOf(r, 1).code, WaitCode::kInfeasible);
}

TEST(Validation, MultiNodeGangReasonNamesEveryNode) {
  World w("a: 2xA10; b: 2xA10");
  w.Queue(w.NewJob(1).Gpus(3).Mem(GiB(10)).MultiNode());
  CycleResult r = w.Cycle();
  ASSERT_NE(FindBind(r, 1), nullptr);
  EXPECT_NE(FindBind(r, 1)->reason.find("a, b"), std::string::npos) << FindBind(r, 1)->reason;
}

}  // namespace
}  // namespace gpusched::testing

namespace gpusched::testing {
namespace {

TEST(Validation, UnusableNominationCountsNothingForItsTenant) {
  World w("a: 1xT4; b: 1xT4");
  w.AddTenant("vision", 0, 1);  // may hold one GPU
  w.Queue(w.NewJob(1).Tenant("vision").Mem(GiB(4)).Nominated(Placement{{{w.Gpu("a", 0), GiB(4)}}},
                                                               w.now + Duration(3600)));
  ASSERT_TRUE(w.ledger.SetDrained("a", true));
  CycleResult r = w.Cycle();
  ASSERT_NE(FindBind(r, 1), nullptr) << ToText(r);
  EXPECT_EQ(WhereBound(w, *FindBind(r, 1)), "b GPU 0");
}

}  // namespace
}  // namespace gpusched::testing
