// The control plane's state goes through a real SQLite store and back.
#include "server/persist.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "store/sqlite_store.h"

namespace gpusched::server {
namespace {

namespace fs = std::filesystem;

const GpuCatalog& Catalog() {
  static const GpuCatalog catalog = GpuCatalog::BuiltIn();
  return catalog;
}

Control::Settings Defaults() {
  Control::Settings s;
  Tenant t;
  t.name = "quality";
  s.tenants.push_back(t);
  return s;
}

struct TempDir {
  fs::path path = fs::temp_directory_path() /
                  ("gpusched-persist-" + std::to_string(::getpid()) + "-" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

TEST(Persist, EveryCommandsRowsAndEventsSurviveAReopen) {
  TempDir dir;
  const std::string db = (dir.path / "state.db").string();
  Instant now{std::chrono::seconds(7'000'000)};
  JobId id = 0;
  {
    auto store = store::SqliteStore::Open(db, {});
    ASSERT_TRUE(store.has_value()) << store.error().message;
    Control control(&Catalog(), Defaults());
    std::int64_t seq = 1;
    auto commit = [&](const ChangeSet& cs) {
      const store::Mutation m = ToMutation(control, cs, now, seq);
      ASSERT_TRUE((*store)->Apply(std::span(&m, 1)).has_value());
    };
    ChangeSet a;
    ASSERT_TRUE(control.Register(Registration{"n1", "x", {AgentGpu{0, "", "T4", 0, true}}, {}}, now, a)
                    .has_value());
    commit(a);
    ChangeSet b;
    JobRequest req;
    req.tenant = "quality";
    req.memory_per_gpu_mib = 4000;
    id = *control.Submit(req, now, b);
    commit(b);
    ChangeSet c;
    control.Tick(now, c);
    commit(c);
    ASSERT_EQ(control.Find(id)->state, JobState::kRunning);
  }
  auto store = store::SqliteStore::Open(db, {});
  ASSERT_TRUE(store.has_value()) << store.error().message;
  auto loaded = (*store)->LoadAll();
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  Control control(&Catalog(), Defaults());
  auto next_seq = RestoreFrom(*loaded, control, now + Duration(1));
  ASSERT_TRUE(next_seq.has_value()) << next_seq.error().message;
  EXPECT_GT(*next_seq, 3);
  ASSERT_NE(control.Find(id), nullptr);
  EXPECT_EQ(control.Find(id)->state, JobState::kRunning);
  EXPECT_EQ(control.ledger().allocation_count(), 1u);
  store::EventQuery q;
  q.job_id = static_cast<std::int64_t>(id);
  auto events = (*store)->Events(q);
  ASSERT_TRUE(events.has_value());
  ASSERT_GE(events->size(), 2u);
  EXPECT_EQ(events->front().kind, "submitted");
  EXPECT_EQ(events->back().kind, "bind");
}

}  // namespace
}  // namespace gpusched::server
