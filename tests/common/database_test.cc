// The database platform against a real MariaDB: migrations, transactions, error mapping and
// recovery after the server restarts.
#include "common/db/database.h"

#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/strings/match.h"
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

// galera_test saw a transaction ended by the server without any statement reporting it (a
// create's audit entry committed, the rows written before it not): the statements after the
// end must not commit on their own. The end is made here by a ROLLBACK inside the work, which
// is what the server did; the transaction notices at its commit and is retried whole.
TEST(Database, ATransactionEndedUnderItsWorkCommitsNothingPartialAndIsRetriedWhole) {
  auto tdb = testing::TestDatabase::Create();
  Database db(tdb->pool_options(), TestMigrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  const auto write_both = [&](Connection& c, bool ended_after_first) {
    auto& ps = c.Prepare(kInsertItem);
    ps.setInt(1, 1);
    ps.setString(2, "first");
    ps.executeUpdate();
    if (ended_after_first) c.ExecuteDirect("ROLLBACK");
    ps.setInt(1, 2);
    ps.setString(2, "second");
    ps.executeUpdate();
  };
  int runs = 0;
  absl::Status s = db.InTransaction(Soon(), [&](Connection& c) {
    write_both(c, ++runs == 1);
    return absl::OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(runs, 2) << "the ended transaction was not retried";
  EXPECT_EQ(CountItems(db), 2);

  // Ended on every attempt: ABORTED after the conflict retries, and neither row stored.
  ASSERT_TRUE(db.InTransaction(Soon(), [&](Connection& c) {
                  c.ExecuteDirect("DELETE FROM items");
                  return absl::OkStatus();
                }).ok());
  runs = 0;
  s = db.InTransaction(Soon(), [&](Connection& c) {
    ++runs;
    write_both(c, true);
    return absl::OkStatus();
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
  EXPECT_GT(runs, 1);
  EXPECT_EQ(CountItems(db), 0) << "a statement after the end committed on its own";
  // The connections went back to the pool with autocommit on: a plain write still commits.
  ASSERT_TRUE(InsertItem(db, 3, "after").ok());
  EXPECT_EQ(CountItems(db), 1);
}

// galera_test saw a retried create told ALREADY_EXISTS: its transaction was ended under the work
// (the first attempt's write set applied), and the work, reading on, found the first attempt's
// row. A failure concluded in a transaction that no longer exists is drawn again; one concluded
// in a live transaction is answered at once.
TEST(Database, AFailureConcludedAfterTheTransactionWasEndedUnderItsWorkIsDrawnAgain) {
  auto tdb = testing::TestDatabase::Create();
  Database db(tdb->pool_options(), TestMigrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  int runs = 0;
  absl::Status s = db.InTransaction(Soon(), [&](Connection& c) -> absl::Status {
    if (++runs == 1) {
      c.ExecuteDirect("ROLLBACK");  // what the server did
      return absl::AlreadyExistsError("activity.external_reference: already used");
    }
    auto& ps = c.Prepare(kInsertItem);
    ps.setInt(1, 1);
    ps.setString(2, "the replayed answer");
    ps.executeUpdate();
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(CountItems(db), 1);

  runs = 0;
  s = db.InTransaction(Soon(), [&](Connection&) -> absl::Status {
    ++runs;
    return absl::AlreadyExistsError("activity.external_reference: already used");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(runs, 1) << "a failure of a live transaction was run again";
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

// The giving-up path of the conflict retry (database.cc: kMaxConflictAttempts = 4, i.e. the first
// run and 3 re-runs), against the real server and no seam: a rival connection deadlocks every
// attempt. Each round the rival first modifies 50 ballast rows (so InnoDB, which rolls back the
// lighter transaction of a cycle, always picks the attempt as the victim), locks row 2 and,
// once the attempt holds row 1, asks for row 1; the attempt then asks for row 2 and gets 1213.
TEST(Database, ATransactionThatDeadlocksEveryTimeIsRunFourTimesThenAbortedAndStoresNothing) {
  auto tdb = testing::TestDatabase::Create();
  Database db(tdb->pool_options(), TestMigrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  for (int id = 1; id <= 52; ++id) ASSERT_TRUE(InsertItem(db, id, "row").ok());
  static constexpr Statement kLockItem{"lock_item",
                                       "SELECT label FROM items WHERE id = ? FOR UPDATE"};
  static constexpr Statement kBallast{"ballast",
                                      "UPDATE items SET label = ? WHERE id BETWEEN 3 AND 52"};

  absl::Mutex mu;
  int rival_ready = 0;          // the last round in which the rival holds row 2 and its ballast
  int attempt_holds_row_1 = 0;  // the last round in which the attempt holds row 1
  bool stop = false;
  int64_t rival_connection_id = 0;
  std::string rival_error;

  std::thread rival([&] {
    ConnectionPool pool(tdb->pool_options());
    auto lease = pool.Acquire(Soon());
    if (!lease.ok()) {
      absl::MutexLock lock(&mu);
      rival_error = lease.status().ToString();
      rival_ready = -1;
      return;
    }
    Connection& c = **lease;
    try {
      {
        std::unique_ptr<sql::Statement> st(c.raw().createStatement());
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery("SELECT CONNECTION_ID()"));
        rs->next();
        absl::MutexLock lock(&mu);
        rival_connection_id = rs->getInt64(1);
      }
      for (int round = 1;; ++round) {
        c.ExecuteDirect("START TRANSACTION");
        auto& ballast = c.Prepare(kBallast);
        ballast.setString(1, "rival round " + std::to_string(round));
        ballast.executeUpdate();
        auto& lock_item = c.Prepare(kLockItem);
        lock_item.setInt(1, 2);
        std::unique_ptr<sql::ResultSet>(lock_item.executeQuery());
        {
          absl::MutexLock lock(&mu);
          rival_ready = round;
          auto go = [&] { return stop || attempt_holds_row_1 >= round; };
          mu.AwaitWithDeadline(absl::Condition(&go), Soon());
          if (stop) {
            c.ExecuteDirect("ROLLBACK");
            return;
          }
        }
        // Waits for row 1 until the attempt, the victim, has been rolled back.
        lock_item.setInt(1, 1);
        std::unique_ptr<sql::ResultSet>(lock_item.executeQuery());
        c.ExecuteDirect("ROLLBACK");
      }
    } catch (const sql::SQLException& e) {
      absl::MutexLock lock(&mu);
      rival_error = absl::StrCat("rival: error ", e.getErrorCode(), " ", e.what());
      rival_ready = -1;
    }
  });

  // The rival's row-1 request is queued behind the attempt's lock (the cycle is then one
  // statement from closing).
  auto rival_waits_for_a_lock = [&](int64_t id) {
    return tdb->QueryString(absl::StrCat(
               "SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT' "
               "AND trx_mysql_thread_id = ",
               id)) == "1";
  };
  int attempts = 0;
  std::vector<int> error_codes;
  absl::Status status = db.InTransaction(Soon(), [&](Connection& c) -> absl::Status {
    const int round = ++attempts;
    int64_t rival_id = 0;
    {
      absl::MutexLock lock(&mu);
      auto ready = [&] { return rival_ready >= round || rival_ready < 0; };
      if (!mu.AwaitWithDeadline(absl::Condition(&ready), Soon()) || rival_ready < 0)
        return absl::InternalError("the rival never got ready: " + rival_error);
      rival_id = rival_connection_id;
    }
    try {
      auto& insert = c.Prepare(kInsertItem);
      insert.setInt(1, 100);
      insert.setString(2, "written by an attempt that is always rolled back");
      insert.executeUpdate();
      auto& lock_item = c.Prepare(kLockItem);
      lock_item.setInt(1, 1);
      std::unique_ptr<sql::ResultSet>(lock_item.executeQuery());
      {
        absl::MutexLock lock(&mu);
        attempt_holds_row_1 = round;
      }
      const absl::Time deadline = absl::Now() + absl::Seconds(10);
      while (!rival_waits_for_a_lock(rival_id)) {
        if (absl::Now() > deadline) return absl::InternalError("the rival never asked for row 1");
        absl::SleepFor(absl::Milliseconds(5));
      }
      lock_item.setInt(1, 2);
      std::unique_ptr<sql::ResultSet>(lock_item.executeQuery());
    } catch (const sql::SQLException& e) {
      error_codes.push_back(e.getErrorCode());
      throw;
    }
    return absl::OkStatus();
  });
  {
    absl::MutexLock lock(&mu);
    stop = true;
  }
  rival.join();

  EXPECT_EQ(status.code(), absl::StatusCode::kAborted) << status;
  EXPECT_EQ(attempts, 4) << "the first run and 3 re-runs, then ABORTED";
  EXPECT_EQ(error_codes, std::vector<int>(4, kErrDeadlock))
      << "every attempt must have ended in a real deadlock";
  EXPECT_EQ(rival_error, "");
  EXPECT_EQ(tdb->QueryString("SELECT COUNT(*) FROM items WHERE id = 100"), "0")
      << "a write of the aborted transaction was stored";
  EXPECT_EQ(tdb->QueryString("SELECT COUNT(*) FROM items WHERE label LIKE 'rival%'"), "0");
  EXPECT_EQ(CountItems(db), 52);
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
                               // The work outlasts the caller: wait until its deadline has
                               // passed (the event under test), bounded by the loop's count.
                               for (int i = 0; i < 200 && absl::Now() <= late.deadline; ++i)
                                 absl::SleepFor(absl::Milliseconds(10));
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

namespace imp::db {
namespace {

// galera_test's rolling node restart saw an import's COMMIT fail with 1180 on a node shutting
// down, answered INTERNAL: a client is told to retry with its request id instead.
TEST(MapSqlException, AnErrorDuringCommitIsUnavailableNotInternal) {
  const absl::Status s = MapSqlException(
      sql::SQLException("Got error 6 during COMMIT", "HY000", kErrErrorDuringCommit),
      "held transaction");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "request_id")) << s;
}

}  // namespace
}  // namespace imp::db
