// The database platform against a real MariaDB: migrations, transactions, error mapping and
// recovery after the server restarts.
#include "common/db/database.h"

#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/db/errors.h"
#include "common/db/statement.h"
#include "gtest/gtest.h"
#include "tests/support/test_database.h"

namespace imp::db {
namespace {

constexpr Statement kInsertItem{"insert_item", "INSERT INTO items (id, label) VALUES (?, ?)"};
constexpr Statement kCountItems{"count_items", "SELECT COUNT(*) FROM items"};
constexpr Statement kLabelOf{"label_of", "SELECT label FROM items WHERE id = ?"};

std::vector<Migration> TestMigrations() {
  return {
      {1, "0001_items.sql",
       "CREATE TABLE items (\n id INT PRIMARY KEY,\n label VARCHAR(100) NOT NULL\n) "
       "DEFAULT CHARSET=utf8mb4;\n"},
      {2, "0002_index.sql", "CREATE INDEX items_label ON items (label);\n"},
  };
}

absl::Time Soon() { return absl::Now() + absl::Seconds(10); }

int64_t CountItems(Database& db) {
  int64_t count = -1;
  EXPECT_TRUE(db.InTransaction(Soon(), [&](Connection& c) {
                  std::unique_ptr<sql::ResultSet> rs(c.Prepare(kCountItems).executeQuery());
                  rs->next();
                  count = rs->getInt64(1);
                  return absl::OkStatus();
                }).ok());
  return count;
}

absl::Status InsertItem(Database& db, int id, const std::string& label) {
  return db.InTransaction(Soon(), [&](Connection& c) {
    auto& ps = c.Prepare(kInsertItem);
    ps.setInt(1, id);
    ps.setString(2, label);
    ps.executeUpdate();
    return absl::OkStatus();
  });
}

TEST(Database, RefusesWorkUntilMigrated) {
  auto tdb = testing::TestDatabase::Create();
  Database db(tdb->pool_options(), TestMigrations());
  EXPECT_EQ(InsertItem(db, 1, "x").code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  EXPECT_TRUE(InsertItem(db, 1, "x").ok());
}

TEST(Database, AppliesMigrationsOnceAndRecordsChecksums) {
  auto tdb = testing::TestDatabase::Create();
  {
    Database db(tdb->pool_options(), TestMigrations());
    ASSERT_TRUE(db.CheckReady(Soon()).ok());
  }
  EXPECT_EQ(tdb->QueryString("SELECT COUNT(*) FROM schema_migrations"), "2");
  EXPECT_EQ(tdb->QueryString("SELECT checksum FROM schema_migrations WHERE version = 2"),
            Sha256Hex(TestMigrations()[1].sql));
  // A second start applies nothing again (CREATE INDEX would fail if it ran twice).
  Database again(tdb->pool_options(), TestMigrations());
  EXPECT_TRUE(again.CheckReady(Soon()).ok());
}

TEST(Database, AnEditedAppliedMigrationStopsStartUp) {
  auto tdb = testing::TestDatabase::Create();
  {
    Database db(tdb->pool_options(), TestMigrations());
    ASSERT_TRUE(db.CheckReady(Soon()).ok());
  }
  auto edited = TestMigrations();
  edited[1].sql = "CREATE INDEX items_label2 ON items (label);\n";
  Database db(tdb->pool_options(), edited);
  absl::Status status = db.CheckReady(Soon());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("0002_index.sql was changed"), std::string::npos) << status;
}

TEST(Database, RollsBackWhenWorkFailsAndCommitsWhenItSucceeds) {
  auto tdb = testing::TestDatabase::Create();
  Database db(tdb->pool_options(), TestMigrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  absl::Status failed = db.InTransaction(Soon(), [&](Connection& c) {
    auto& ps = c.Prepare(kInsertItem);
    ps.setInt(1, 7);
    ps.setString(2, "written then rolled back");
    ps.executeUpdate();
    return absl::InvalidArgumentError("item.label: rejected after the write");
  });
  EXPECT_EQ(failed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CountItems(db), 0);
  ASSERT_TRUE(InsertItem(db, 7, "kept").ok());
  EXPECT_EQ(CountItems(db), 1);
}

TEST(Database, DuplicateKeyIsAlreadyExistsWithoutSqlText) {
  auto tdb = testing::TestDatabase::Create();
  Database db(tdb->pool_options(), TestMigrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  ASSERT_TRUE(InsertItem(db, 1, "first").ok());
  absl::Status dup = InsertItem(db, 1, "second");
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.message().find("INSERT"), std::string::npos) << dup;
  EXPECT_EQ(CountItems(db), 1);
}

TEST(Database, CyrillicRoundTripsExactly) {
  auto tdb = testing::TestDatabase::Create();
  Database db(tdb->pool_options(), TestMigrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  const std::string name = "Національна дитяча спеціалізована лікарня «ОХМАТДИТ»";
  ASSERT_TRUE(InsertItem(db, 1, name.substr(0, 90)).ok());
  std::string read;
  ASSERT_TRUE(db.InTransaction(Soon(), [&](Connection& c) {
                  auto& ps = c.Prepare(kLabelOf);
                  ps.setInt(1, 1);
                  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
                  rs->next();
                  read = rs->getString(1);
                  return absl::OkStatus();
                }).ok());
  EXPECT_EQ(read, name.substr(0, 90));
}

TEST(Database, UnavailableWhileTheServerIsDownAndRecoversWithoutRestart) {
  testing::PrivateMariaDb server;
  server.Start();
  auto tdb = testing::TestDatabase::Create(server.socket());
  PoolOptions options = tdb->pool_options();
  options.validate_after_idle = absl::ZeroDuration();
  Database db(options, TestMigrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  ASSERT_TRUE(InsertItem(db, 1, "before the outage").ok());

  server.Stop();
  absl::Status down = db.CheckReady(Soon());
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable) << down;
  absl::Status write = InsertItem(db, 2, "during the outage");
  EXPECT_EQ(write.code(), absl::StatusCode::kUnavailable) << write;
  EXPECT_NE(write.message().find("database unavailable"), std::string::npos) << write;

  server.Start();
  EXPECT_TRUE(db.CheckReady(Soon()).ok());
  EXPECT_TRUE(InsertItem(db, 3, "after the outage").ok());
  EXPECT_EQ(CountItems(db), 2);  // the acknowledged write survived, the refused one is absent
}

TEST(Database, DeadlocksAreRetriedAndBothWritesLand) {
  auto tdb = testing::TestDatabase::Create();
  Database db(tdb->pool_options(), TestMigrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  ASSERT_TRUE(InsertItem(db, 1, "one").ok());
  ASSERT_TRUE(InsertItem(db, 2, "two").ok());
  static constexpr Statement kLockItem{"lock_item",
                                       "SELECT label FROM items WHERE id = ? FOR UPDATE"};
  static constexpr Statement kRelabel{"relabel",
                                      "UPDATE items SET label = CONCAT(label, ?) WHERE id = ?"};
  std::atomic<int> attempts{0};
  std::atomic<int> first_locks{0};
  // Each writer locks one row, waits until the other holds its row too (first attempt only),
  // then takes the other row: a lock cycle that InnoDB breaks by rolling one back (1213).
  auto writer = [&](int first, int second, const std::string& mark) {
    return db.InTransaction(Soon(), [&](Connection& c) {
      const bool first_attempt = attempts.fetch_add(1) < 2;
      auto& lock = c.Prepare(kLockItem);
      lock.setInt(1, first);
      std::unique_ptr<sql::ResultSet>(lock.executeQuery());
      if (first_attempt) {
        first_locks.fetch_add(1);
        for (int i = 0; i < 200 && first_locks.load() < 2; ++i)
          absl::SleepFor(absl::Milliseconds(5));
      }
      lock.setInt(1, second);
      std::unique_ptr<sql::ResultSet>(lock.executeQuery());
      auto& update = c.Prepare(kRelabel);
      for (int id : {first, second}) {
        update.setString(1, mark);
        update.setInt(2, id);
        update.executeUpdate();
      }
      return absl::OkStatus();
    });
  };
  absl::Status a, b;
  std::thread ta([&] { a = writer(1, 2, "+a"); });
  std::thread tb([&] { b = writer(2, 1, "+b"); });
  ta.join();
  tb.join();
  EXPECT_TRUE(a.ok()) << a;
  EXPECT_TRUE(b.ok()) << b;
  EXPECT_GE(attempts.load(), 3) << "one transaction must have been rolled back and retried";
  // Both marks are on both rows exactly once: the retried work was not applied twice.
  for (const char* id : {"1", "2"}) {
    const std::string label =
        tdb->QueryString(std::string("SELECT label FROM items WHERE id = ") + id);
    EXPECT_NE(label.find("+a"), std::string::npos) << label;
    EXPECT_NE(label.find("+b"), std::string::npos) << label;
    EXPECT_EQ(label.size(), 7u) << label;  // "one" or "two" plus "+a" and "+b"
  }
}

TEST(Database, DeadlineBoundsTheWaitForAConnection) {
  auto tdb = testing::TestDatabase::Create();
  PoolOptions options = tdb->pool_options();
  options.size = 1;
  Database db(options, TestMigrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  absl::Status inner;
  absl::Status outer = db.InTransaction(Soon(), [&](Connection&) {
    // The only connection is held by this transaction: a nested checkout must time out.
    inner = db.InTransaction(absl::Now() + absl::Milliseconds(200),
                             [](Connection&) { return absl::OkStatus(); });
    return absl::OkStatus();
  });
  EXPECT_TRUE(outer.ok());
  EXPECT_EQ(inner.code(), absl::StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace imp::db

namespace imp::db {
namespace {

// A call whose RequestContext says the caller is gone, its deadline passed, or the server is
// draining: the work runs, but COMMIT does not, and nothing is stored.
TEST(Database, AWriteWhoseCallerIsGoneOrLateOrDrainingCommitsNothing) {
  auto tdb = testing::TestDatabase::Create();
  Database db(tdb->pool_options(), TestMigrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  auto write = [&](const RequestContext& ctx, int id) {
    return db.InTransaction(ctx, [&](Connection& c) {
      auto& ps = c.Prepare(kInsertItem);
      ps.setInt(1, id);
      ps.setString(2, "x");
      ps.executeUpdate();
      return absl::OkStatus();
    });
  };
  RequestContext gone;
  gone.deadline = Soon();
  gone.is_cancelled = [] { return true; };
  EXPECT_EQ(write(gone, 1).code(), absl::StatusCode::kCancelled);

  RequestContext late;
  late.deadline = absl::Now() + absl::Milliseconds(300);
  EXPECT_EQ(db.InTransaction(late,
                             [&](Connection& c) {
                               auto& ps = c.Prepare(kInsertItem);
                               ps.setInt(1, 2);
                               ps.setString(2, "x");
                               ps.executeUpdate();
                               absl::SleepFor(absl::Milliseconds(400));  // past the deadline
                               return absl::OkStatus();
                             })
                .code(),
            absl::StatusCode::kDeadlineExceeded);

  CommitGate gate;
  gate.Close();
  RequestContext draining;
  draining.deadline = Soon();
  draining.commit_gate = &gate;
  EXPECT_EQ(write(draining, 3).code(), absl::StatusCode::kUnavailable);

  EXPECT_EQ(CountItems(db), 0) << "a write reported failed was stored";
  RequestContext fine;
  fine.deadline = Soon();
  EXPECT_TRUE(write(fine, 4).ok());
  EXPECT_EQ(CountItems(db), 1);
}

TEST(Database, AQueryOutlivingItsCallersDeadlineIsStoppedByTheServer) {
  auto tdb = testing::TestDatabase::Create();
  Database db(tdb->pool_options(), TestMigrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  const absl::Time start = absl::Now();
  absl::Status s = db.Read(start + absl::Seconds(1), [&](Connection& c) {
    std::unique_ptr<sql::Statement> statement(c.raw().createStatement());
    std::unique_ptr<sql::ResultSet> rs(statement->executeQuery("SELECT SLEEP(10)"));
    return absl::OkStatus();
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_LT(absl::Now() - start, absl::Seconds(3)) << "max_statement_time did not stop the query";
}

TEST(Database, HealthIsProbedOutsideThePoolSoBusyCallsDoNotMakeItFail) {
  auto tdb = testing::TestDatabase::Create();
  PoolOptions options = tdb->pool_options();
  options.size = 1;
  Database db(options, TestMigrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  absl::Notification holding, release;
  std::thread busy([&] {
    (void)db.InTransaction(Soon(), [&](Connection&) {
      holding.Notify();
      release.WaitForNotification();
      return absl::OkStatus();
    });
  });
  holding.WaitForNotification();  // the only pooled connection is taken
  const absl::Time start = absl::Now();
  EXPECT_TRUE(db.CheckReady(absl::Now() + absl::Milliseconds(500)).ok());
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  release.Notify();
  busy.join();
}

}  // namespace
}  // namespace imp::db
