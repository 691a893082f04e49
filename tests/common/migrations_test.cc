// The migration runner against a real MariaDB: runtime-only services wait for a migrated schema,
// concurrent migrators are serialised by the replicated lease in schema_migrations_lock (valid
// under Galera), and a dead migrator's lease expires.
#include "common/db/migrations.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/barrier.h"
#include "absl/time/clock.h"
#include "common/db/database.h"
#include "common/db/statement.h"
#include "gtest/gtest.h"
#include "tests/support/test_database.h"

namespace imp::db {
namespace {

constexpr Statement kInsertItem{"insert_item", "INSERT INTO items (id, label) VALUES (?, ?)"};

// Each migration logs itself into `runs`, so running one twice would show; 0002 fails outright if
// it runs twice (the index exists). 0001 sleeps a little so that racing migrators overlap.
std::vector<Migration> TestMigrations() {
  return {
      {1, "0001_items.sql",
       "CREATE TABLE items (\n id INT PRIMARY KEY,\n label VARCHAR(100) NOT NULL\n);\n"
       "CREATE TABLE runs (\n id INT AUTO_INCREMENT PRIMARY KEY,\n version INT NOT NULL\n);\n"
       "DO SLEEP(0.3);\n"
       "INSERT INTO runs (version) VALUES (1);\n"},
      {2, "0002_index.sql",
       "CREATE INDEX items_label ON items (label);\nINSERT INTO runs (version) VALUES (2);\n"},
  };
}

absl::Time Soon() { return absl::Now() + absl::Seconds(10); }

PoolOptions RuntimeOnly(const testing::TestDatabase& tdb) {
  PoolOptions options = tdb.pool_options();
  options.migration_user.clear();
  options.migration_password.clear();
  return options;
}

absl::Status InsertItem(Database& db, int id) {
  return db.InTransaction(Soon(), [&](Connection& c) {
    auto& ps = c.Prepare(kInsertItem);
    ps.setInt(1, id);
    ps.setString(2, "x");
    ps.executeUpdate();
    return absl::OkStatus();
  });
}

std::string LeaseOwner(const testing::TestDatabase& tdb) {
  return tdb.QueryString("SELECT COALESCE(owner, 'free') FROM schema_migrations_lock WHERE id = 1");
}

TEST(Migrations, AServiceWithOnlyARuntimeUserWaitsForTheSchemaThenServes) {
  auto tdb = testing::TestDatabase::Create();
  Database service(RuntimeOnly(*tdb), TestMigrations());
  absl::Status status = service.CheckReady(Soon());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find("schema at version 0, binary needs 2"), std::string::npos)
      << status;
  EXPECT_EQ(InsertItem(service, 1).code(), absl::StatusCode::kUnavailable);

  // A deploy step (an older binary's, here) migrates part of the way.
  ASSERT_TRUE(MigrateSchema(tdb->pool_options(), {TestMigrations()[0]}, Soon()).ok());
  status = service.CheckReady(Soon());
  EXPECT_NE(status.message().find("schema at version 1, binary needs 2"), std::string::npos)
      << status;

  // The --migrate_only step of this binary; the running service notices on its next check.
  ASSERT_EQ(RunMigrateOnly(tdb->pool_options(), TestMigrations()), 0);
  EXPECT_TRUE(service.CheckReady(Soon()).ok());
  EXPECT_TRUE(InsertItem(service, 1).ok());
  EXPECT_EQ(tdb->QueryString("SELECT COUNT(*) FROM runs"), "2");
}

TEST(Migrations, MigrateOnlyIsIdempotentAndNeedsAMigrationUser) {
  auto tdb = testing::TestDatabase::Create();
  EXPECT_EQ(RunMigrateOnly(RuntimeOnly(*tdb), TestMigrations()), 1);
  EXPECT_EQ(tdb->QueryString("SELECT COUNT(*) FROM information_schema.TABLES "
                             "WHERE TABLE_SCHEMA = DATABASE()"),
            "0");
  EXPECT_EQ(RunMigrateOnly(tdb->pool_options(), TestMigrations()), 0);
  EXPECT_EQ(RunMigrateOnly(tdb->pool_options(), TestMigrations()), 0);
  EXPECT_EQ(tdb->QueryString("SELECT COUNT(*) FROM runs"), "2");
}

TEST(Migrations, AnEditedMigrationIsFatalEvenForARuntimeOnlyService) {
  auto tdb = testing::TestDatabase::Create();
  ASSERT_TRUE(MigrateSchema(tdb->pool_options(), TestMigrations(), Soon()).ok());
  auto edited = TestMigrations();
  edited[1].sql = "CREATE INDEX items_label2 ON items (label);\n";
  Database service(RuntimeOnly(*tdb), edited);
  absl::Status status = service.CheckReady(Soon());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_NE(status.message().find("0002_index.sql was changed"), std::string::npos) << status;
}

TEST(Migrations, RacingMigratorsApplyEachMigrationExactlyOnce) {
  auto tdb = testing::TestDatabase::Create();
  constexpr int kMigrators = 4;
  absl::Barrier* start = new absl::Barrier(kMigrators);  // deletes itself after the last Block()
  std::vector<absl::Status> results(kMigrators);
  std::vector<std::thread> threads;
  for (int i = 0; i < kMigrators; ++i) {
    threads.emplace_back([&, i] {
      Database db(tdb->pool_options(), TestMigrations());
      if (start->Block()) delete start;
      results[i] = db.CheckReady(Soon());
    });
  }
  for (auto& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(tdb->QueryString("SELECT GROUP_CONCAT(version ORDER BY version) FROM runs"), "1,2");
  EXPECT_EQ(tdb->QueryString("SELECT COUNT(*) FROM schema_migrations"), "2");
  EXPECT_EQ(LeaseOwner(*tdb), "free");
}

TEST(Migrations, AnUpToDateSchemaIsCheckedWithoutClaimingTheLease) {
  auto tdb = testing::TestDatabase::Create();
  ASSERT_TRUE(MigrateSchema(tdb->pool_options(), TestMigrations(), Soon()).ok());
  const std::string generation =
      tdb->QueryString("SELECT generation FROM schema_migrations_lock WHERE id = 1");
  Database again(tdb->pool_options(), TestMigrations());
  ASSERT_TRUE(again.CheckReady(Soon()).ok());
  EXPECT_EQ(tdb->QueryString("SELECT generation FROM schema_migrations_lock WHERE id = 1"),
            generation);
}

TEST(Migrations, AStaleLeaseFromADeadMigratorExpiresAndTheNextMigratorProceeds) {
  auto tdb = testing::TestDatabase::Create();
  ASSERT_TRUE(MigrateSchema(tdb->pool_options(), {TestMigrations()[0]}, Soon()).ok());
  // A migrator died while it held the lease; its lease ran out a second ago.
  tdb->Execute(
      "UPDATE schema_migrations_lock SET owner = 'dead-host:4242:0badf00d', "
      "expires = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = 1");
  Database next(tdb->pool_options(), TestMigrations());
  const absl::Time started = absl::Now();
  ASSERT_TRUE(next.CheckReady(Soon()).ok());
  EXPECT_LT(absl::Now() - started, absl::Seconds(5));
  EXPECT_EQ(tdb->QueryString("SELECT GROUP_CONCAT(version ORDER BY version) FROM runs"), "1,2");
  EXPECT_EQ(LeaseOwner(*tdb), "free");
}

TEST(Migrations, ALiveLeaseMakesTheNextMigratorWaitAndNamesItsHolder) {
  auto tdb = testing::TestDatabase::Create();
  ASSERT_TRUE(MigrateSchema(tdb->pool_options(), {TestMigrations()[0]}, Soon()).ok());
  tdb->Execute(
      "UPDATE schema_migrations_lock SET owner = 'busy-host:7:0000beef', "
      "expires = UTC_TIMESTAMP(6) + INTERVAL 60 SECOND WHERE id = 1");
  Database next(tdb->pool_options(), TestMigrations());
  absl::Status waited = next.CheckReady(absl::Now() + absl::Seconds(1));
  EXPECT_EQ(waited.code(), absl::StatusCode::kUnavailable) << waited;
  EXPECT_NE(waited.message().find("busy-host:7:0000beef"), std::string::npos) << waited;
  EXPECT_EQ(tdb->QueryString("SELECT COUNT(*) FROM schema_migrations"), "1");
  EXPECT_EQ(LeaseOwner(*tdb), "busy-host:7:0000beef") << "a live lease must not be taken over";

  tdb->Execute("UPDATE schema_migrations_lock SET owner = NULL, expires = NULL WHERE id = 1");
  EXPECT_TRUE(next.CheckReady(Soon()).ok());
  EXPECT_EQ(tdb->QueryString("SELECT COUNT(*) FROM schema_migrations"), "2");
}

TEST(Migrations, AMigratorThatLostItsLeaseStopsBeforeItsNextStatement) {
  auto tdb = testing::TestDatabase::Create();
  ASSERT_TRUE(MigrateSchema(tdb->pool_options(), {TestMigrations()[0]}, Soon()).ok());
  // While 0002 runs, someone else takes the lease (as if it had expired and been claimed).
  std::vector<Migration> migrations = TestMigrations();
  migrations[1].sql =
      "UPDATE schema_migrations_lock SET owner = 'thief-host:1:00000001' WHERE id = 1;\n"
      "CREATE INDEX items_label ON items (label);\n";
  absl::Status status = MigrateSchema(tdb->pool_options(), migrations, Soon());
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted) << status;
  EXPECT_NE(status.message().find("lost the schema migration lease"), std::string::npos) << status;
  EXPECT_EQ(tdb->QueryString("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE "
                             "TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 'items_label'"),
            "0");
  EXPECT_EQ(tdb->QueryString("SELECT COUNT(*) FROM schema_migrations"), "1");
  EXPECT_EQ(LeaseOwner(*tdb), "thief-host:1:00000001") << "another's lease must not be released";
}

}  // namespace
}  // namespace imp::db
