// SqliteStore: opening (creation, WAL, migration, the lock), Apply's
// atomicity and row semantics. The event log's paging is in
// sqlite_events_test.cc, the randomized model test in
// sqlite_store_model_test.cc.
#include "store/sqlite_store.h"

#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/sqlite_db.h"
#include "store/store_testing.h"

namespace gpusched::store {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using testing::Event;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::Job;
using testing::Mut;
using testing::TempDir;

std::unique_ptr<SqliteStore> OpenOk(const std::string& path, const SqliteOptions& o = {}) {
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path, o);
  if (!store) {
    ADD_FAILURE() << store.error().message;
    return nullptr;
  }
  return std::move(*store);
}

Status ApplyOne(Store& store, Mutation m) {
  std::vector<Mutation> batch;
  batch.push_back(std::move(m));
  return store.Apply(batch);
}

Loaded LoadOk(Store& store) {
  Result<Loaded> loaded = store.LoadAll();
  if (!loaded) {
    ADD_FAILURE() << loaded.error().message;
    return {};
  }
  return std::move(*loaded);
}

// Everything observable: rows and the whole event log.
struct Contents {
  std::vector<JobRow> jobs;
  std::vector<NodeRow> nodes;
  std::vector<SettingRow> settings;
  std::vector<EventRow> events;
  friend bool operator==(const Contents&, const Contents&) = default;
};

Contents Observe(Store& store) {
  Loaded loaded = LoadOk(store);
  EventQuery all;
  all.limit = kMaxEventLimit;
  Result<std::vector<EventRow>> events = store.Events(all);
  EXPECT_TRUE(events) << events.error().message;
  return Contents{loaded.jobs, loaded.nodes, loaded.settings,
                  events ? *events : std::vector<EventRow>{}};
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string db_ = dir_.File("state.db");
};

TEST_F(SqliteStoreTest, FirstOpenCreatesAWalDatabaseWithTheCurrentSchema) {
  {
    auto store = OpenOk(db_);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->schema_version(), 1);
    Loaded loaded = LoadOk(*store);
    EXPECT_THAT(loaded.jobs, IsEmpty());
    EXPECT_EQ(loaded.last_event_seq, 0);
  }
  auto raw = sqlite::Connection::Open(db_, SQLITE_OPEN_READONLY);
  ASSERT_TRUE(raw) << raw.error().message;
  EXPECT_EQ((*raw)->QueryText("PRAGMA journal_mode", "test").value_or(""), "wal");
  EXPECT_EQ((*raw)
                ->QueryText(
                    "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master "
                    "WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name)",
                    "test")
                .value_or(""),
            "events,events_by_job,jobs,nodes,schema_version,settings");
}

TEST_F(SqliteStoreTest, ReopenKeepsEveryRowAndTheLastEventSeq) {
  Mutation m;
  m.put_jobs = {Job(7, "running", "vision"), Job(3)};
  m.put_nodes = {NodeRow{"node-a", R"({"gpus":4})"}};
  m.put_settings = {SettingRow{"classes", "[]"}};
  m.events = {Event(41, 7), Event(42, 0, "node.registered")};
  {
    auto store = OpenOk(db_);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(ApplyOne(*store, m));
  }
  auto store = OpenOk(db_);
  ASSERT_NE(store, nullptr);
  Loaded loaded = LoadOk(*store);
  EXPECT_THAT(loaded.jobs, ElementsAre(Job(3), Job(7, "running", "vision")));
  EXPECT_THAT(loaded.nodes, ElementsAre(NodeRow{"node-a", R"({"gpus":4})"}));
  EXPECT_THAT(loaded.settings, ElementsAre(SettingRow{"classes", "[]"}));
  EXPECT_EQ(loaded.last_event_seq, 42);
}

TEST_F(SqliteStoreTest, ANewerSchemaVersionIsRefusedNamingBothVersions) {
  { ASSERT_NE(OpenOk(db_), nullptr); }
  {
    auto raw = sqlite::Connection::Open(db_, SQLITE_OPEN_READWRITE);
    ASSERT_TRUE(raw);
    ASSERT_TRUE((*raw)->Exec("UPDATE schema_version SET version = 99", "test"));
  }
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(db_, {});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(store.error().message, AllOf(HasSubstr(db_), HasSubstr("schema version 99"),
                                           HasSubstr("the 1 this gpusched knows")));
}

TEST_F(SqliteStoreTest, ASecondOpenOfTheSameFileFailsNamingThePath) {
  auto first = OpenOk(db_);
  ASSERT_NE(first, nullptr);
  Result<std::unique_ptr<SqliteStore>> second = SqliteStore::Open(db_, {});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(second.error().message,
              AllOf(HasSubstr(db_), HasSubstr("in use by another gpusched server"),
                    HasSubstr("pid " + std::to_string(getpid()))));
  first.reset();
  EXPECT_NE(OpenOk(db_), nullptr) << "closing releases the lock";
}

TEST_F(SqliteStoreTest, OpenFailsNamingThePathWhenItsDirectoryIsMissing) {
  std::string path = dir_.File("missing/state.db");
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path, {});
  ASSERT_FALSE(store);
  EXPECT_THAT(store.error().message, HasSubstr(path));
}

TEST_F(SqliteStoreTest, AnInMemoryPathIsRefused) {
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(":memory:");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(SqliteStoreTest, APutReplacesTheWholeRowAndADeleteRemovesIt) {
  auto store = OpenOk(db_);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(ApplyOne(*store, Mut().Put(Job(1)).Put(Job(2)).Build()));
  ASSERT_TRUE(ApplyOne(*store, Mut().Put(Job(1, "running", "vision")).Build()));
  ASSERT_TRUE(ApplyOne(*store, Mut().DeleteJob(2).DeleteJob(99).Build()));  // 99 never existed
  EXPECT_THAT(LoadOk(*store).jobs, ElementsAre(Job(1, "running", "vision")));
}

TEST_F(SqliteStoreTest, NodesAndSettingsArePutReplacedAndDeleted) {
  auto store = OpenOk(db_);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(
      ApplyOne(*store, Mut().PutNode("a", "1").PutNode("b", "1").Set("tenants", "[]").Build()));
  ASSERT_TRUE(ApplyOne(
      *store, Mut().PutNode("a", "2").DeleteNode("b").Set("tenants", R"(["vision"])").Build()));
  Loaded loaded = LoadOk(*store);
  EXPECT_THAT(loaded.nodes, ElementsAre(NodeRow{"a", "2"}));
  EXPECT_THAT(loaded.settings, ElementsAre(SettingRow{"tenants", R"(["vision"])"}));
}

TEST_F(SqliteStoreTest, AMutationAppliesPutsBeforeDeletesAndABatchInOrder) {
  auto store = OpenOk(db_);
  ASSERT_NE(store, nullptr);
  std::vector<Mutation> batch(3);
  batch[0].put_jobs = {Job(1), Job(2)};
  batch[0].delete_jobs = {1};  // after its own put
  batch[1].delete_jobs = {2};
  batch[2].put_jobs = {Job(2, "running")};  // after the delete before it
  ASSERT_TRUE(store->Apply(batch));
  EXPECT_THAT(LoadOk(*store).jobs, ElementsAre(Job(2, "running")));
}

TEST_F(SqliteStoreTest, ABatchWhoseLaterMutationFailsLeavesNothingOfTheBatch) {
  auto store = OpenOk(db_);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(ApplyOne(*store, Mut().Put(Job(1)).Append(Event(1, 1)).Build()));
  Contents before = Observe(*store);

  std::vector<Mutation> batch(2);
  batch[0].put_jobs = {Job(1, "running"), Job(2)};
  batch[0].put_nodes = {{"a", "{}"}};
  batch[0].events = {Event(2, 2)};
  batch[1].put_jobs = {Job(3)};
  batch[1].events = {Event(1, 3)};  // seq 1 is taken: fails inside the transaction
  Status s = store->Apply(batch);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kAlreadyExists);
  EXPECT_THAT(s.error().message, AllOf(HasSubstr(db_), HasSubstr("batch[1].events[0] (seq 1)")));
  EXPECT_EQ(Observe(*store), before);

  // The store stays usable after a failed batch.
  ASSERT_TRUE(ApplyOne(*store, Mut().Put(Job(3)).Append(Event(3, 3)).Build()));
  EXPECT_EQ(LoadOk(*store).jobs.size(), 2u);
}

TEST_F(SqliteStoreTest, AMalformedMutationIsRefusedBeforeAnythingIsWritten) {
  auto store = OpenOk(db_);
  ASSERT_NE(store, nullptr);
  std::vector<Mutation> batch(2);
  batch[0].put_jobs = {Job(1)};
  batch[1].events = {Event(0, 1)};
  Status s = store->Apply(batch);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.error().message, HasSubstr("batch[1]: events[0].seq must be positive, got 0"));
  EXPECT_THAT(LoadOk(*store).jobs, IsEmpty());
}

TEST_F(SqliteStoreTest, AnEmptyBatchAndEmptyMutationsSucceed) {
  auto store = OpenOk(db_);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->Apply({}));
  std::vector<Mutation> batch(3);
  EXPECT_TRUE(store->Apply(batch));
}

TEST_F(SqliteStoreTest, IntegrityCheckPassesOnAFreshStore) {
  auto store = OpenOk(db_);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(ApplyOne(*store, Mut().Put(Job(1)).Append(Event(1, 1)).Build()));
  EXPECT_TRUE(store->CheckIntegrity());
}

TEST_F(SqliteStoreTest, NormalDurabilityStoresTheSameRows) {
  SqliteOptions o;
  o.durability = Durability::kNormal;
  {
    auto store = OpenOk(db_, o);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(ApplyOne(*store, Mut().Put(Job(5)).Build()));
  }
  auto store = OpenOk(db_);
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(LoadOk(*store).jobs, ElementsAre(Job(5)));
}

}  // namespace
}  // namespace gpusched::store
