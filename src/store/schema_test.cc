// Ordered migrations: each runs once, in order, in its own transaction; a
// failing one leaves the version before it.
#include "store/schema.h"

#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/sqlite_db.h"
#include "store/store_testing.h"

namespace gpusched::store::sqlite {
namespace {

using store::testing::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr Migration kV1 = {1, "CREATE TABLE a(x INTEGER)"};
constexpr Migration kV2 = {2, "ALTER TABLE a ADD COLUMN y TEXT; CREATE TABLE b(z INTEGER)"};
constexpr Migration kBrokenV2 = {2, "CREATE TABLE c(x INTEGER); CREATE TABLE a(x INTEGER)"};

class SchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Connection::Open(dir_.File("schema.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
  }
  int Version() { return ReadSchemaVersion(*db_).value_or(-1); }
  std::string Tables() {
    return db_
        ->QueryText(
            "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master "
            "WHERE type = 'table' ORDER BY name)",
            "test")
        .value_or("?");
  }

  TempDir dir_;
  std::unique_ptr<Connection> db_;
};

TEST_F(SchemaTest, ANewDatabaseHasVersionZero) { EXPECT_EQ(Version(), 0); }

TEST_F(SchemaTest, MigrationsRunInOrderAndOnlyOnce) {
  Migration v1[] = {kV1};
  ASSERT_TRUE(Migrate(*db_, v1));
  EXPECT_EQ(Version(), 1);
  Migration v1_v2[] = {kV1, kV2};
  ASSERT_TRUE(Migrate(*db_, v1_v2));  // v1 again would fail: table a exists
  EXPECT_EQ(Version(), 2);
  ASSERT_TRUE(Migrate(*db_, v1_v2));
  EXPECT_EQ(Tables(), "a,b,schema_version");
}

TEST_F(SchemaTest, AFailingMigrationLeavesThePreviousVersionWhole) {
  Migration broken[] = {kV1, kBrokenV2};
  Status s = Migrate(*db_, broken);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message,
              AllOf(HasSubstr("schema.db"), HasSubstr("migrating the schema to version 2"),
                    HasSubstr("table a already exists")));
  EXPECT_EQ(Version(), 1);
  EXPECT_EQ(Tables(), "a,schema_version") << "table c of the failed migration is rolled back";
}

TEST_F(SchemaTest, ADatabaseNewerThanTheMigrationsIsRefused) {
  Migration v1_v2[] = {kV1, kV2};
  ASSERT_TRUE(Migrate(*db_, v1_v2));
  Migration v1[] = {kV1};
  Status s = Migrate(*db_, v1);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(s.error().message,
              HasSubstr("schema version 2, newer than the 1 this gpusched knows"));
}

TEST_F(SchemaTest, TheBinarysMigrationsEndAtTheCurrentVersion) {
  ASSERT_TRUE(Migrate(*db_, Migrations()));
  EXPECT_EQ(Version(), CurrentSchemaVersion());
}

}  // namespace
}  // namespace gpusched::store::sqlite
