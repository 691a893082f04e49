// The database layer's metrics of issue #24 move as the behaviour they count happens, read the
// way a scrape reads them: pool, errors, retries and work time against the real MariaDB, Galera's
// flow control and receive queue against a one-node Galera cluster of the test's own. Each case
// runs in a process of its own (gtest_discover_tests), so nothing else shares its registry.
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "common/db/database.h"
#include "common/db/errors.h"
#include "common/metrics/metrics.h"
#include "gtest/gtest.h"
#include "tests/support/metrics_sample.h"
#include "tests/support/process.h"
#include "tests/support/test_database.h"

namespace imp::db {
namespace {

using ::imp::testing::Count;
using ::imp::testing::Sample;
using ::imp::testing::WaitFor;

constexpr Statement kInsertItem{"insert_item", "INSERT INTO items (id, label) VALUES (?, ?)"};
constexpr Statement kLockItem{"lock_item", "SELECT label FROM items WHERE id = ? FOR UPDATE"};

std::vector<Migration> Migrations() {
  return {{1, "0001_items.sql",
           "CREATE TABLE items (\n id INT PRIMARY KEY,\n label VARCHAR(100) NOT NULL\n) "
           "DEFAULT CHARSET=utf8mb4;\n"}};
}

absl::Time Soon() { return absl::Now() + absl::Seconds(10); }

absl::Status Insert(Database& db, int id) {
  return db.InTransaction(Soon(), [&](Connection& c) {
    auto& ps = c.Prepare(kInsertItem);
    ps.setInt(1, id);
    ps.setString(2, "row");
    ps.executeUpdate();
    return absl::OkStatus();
  });
}

void Lock(Connection& c, int id) {
  auto& lock = c.Prepare(kLockItem);
  lock.setInt(1, id);
  std::unique_ptr<sql::ResultSet>(lock.executeQuery());
}

TEST(DatabaseMetrics, ADeadlockIsCountedAsAnErrorOfItsKindAndAsARetry) {
  auto tdb = testing::TestDatabase::Create();
  Database db(tdb->pool_options(), Migrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  ASSERT_TRUE(Insert(db, 1).ok());
  ASSERT_TRUE(Insert(db, 2).ok());
  const double errors = Count(R"(imp_db_errors_total{kind="deadlock"})");
  const double retries = Count(R"(imp_db_retries_total{reason="deadlock"})");
  // Each writer locks one row, waits (first attempts only) until the other holds its row, then
  // asks for the other's: a cycle that InnoDB breaks by rolling one back with 1213.
  std::atomic<int> attempts{0};
  std::atomic<int> holding{0};
  auto writer = [&](int first, int second) {
    return db.InTransaction(Soon(), [&](Connection& c) {
      const bool first_attempt = attempts.fetch_add(1) < 2;
      Lock(c, first);
      if (first_attempt) {
        holding.fetch_add(1);
        const absl::Time deadline = absl::Now() + absl::Seconds(2);
        while (holding.load() < 2 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
      }
      Lock(c, second);
      return absl::OkStatus();
    });
  };
  absl::Status a, b;
  std::thread ta([&] { a = writer(1, 2); });
  std::thread tb([&] { b = writer(2, 1); });
  ta.join();
  tb.join();
  ASSERT_TRUE(a.ok()) << a;
  ASSERT_TRUE(b.ok()) << b;
  const int reruns = attempts.load() - 2;
  ASSERT_GE(reruns, 1) << "no deadlock happened";
  EXPECT_EQ(Count(R"(imp_db_errors_total{kind="deadlock"})") - errors, reruns);
  EXPECT_EQ(Count(R"(imp_db_retries_total{reason="deadlock"})") - retries, reruns);
  EXPECT_EQ(Count(R"(imp_db_errors_total{kind="certification"})"), 0)
      << "a server without wsrep has no certification";
}

TEST(DatabaseMetrics, ALockWaitTimeoutIsCountedAsAnErrorOfItsKindAndAsARetry) {
  auto tdb = testing::TestDatabase::Create();
  Database db(tdb->pool_options(), Migrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  ASSERT_TRUE(Insert(db, 1).ok());
  const double work_before = Count("imp_db_statement_seconds_count");
  // A rival holds row 1 until the second attempt has started.
  std::atomic<int> attempts{0};
  absl::Notification rival_holds;
  std::thread rival([&] {
    ConnectionPool pool(tdb->pool_options());
    auto lease = pool.Acquire(Soon());
    ASSERT_TRUE(lease.ok());
    (*lease)->ExecuteDirect("START TRANSACTION");
    Lock(**lease, 1);
    rival_holds.Notify();
    WaitFor([&] { return attempts.load() >= 2; });
    (*lease)->ExecuteDirect("ROLLBACK");
  });
  rival_holds.WaitForNotification();
  absl::Status s = db.InTransaction(Soon(), [&](Connection& c) {
    attempts.fetch_add(1);
    c.ExecuteDirect("SET SESSION innodb_lock_wait_timeout = 1");
    Lock(c, 1);
    return absl::OkStatus();
  });
  rival.join();
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_GE(attempts.load(), 2);
  EXPECT_EQ(Count(R"(imp_db_errors_total{kind="lock_wait_timeout"})"), attempts.load() - 1);
  EXPECT_EQ(Count(R"(imp_db_retries_total{reason="lock_wait_timeout"})"), attempts.load() - 1);
  // Every attempt is timed, the one that waited a second for the lock included.
  EXPECT_GE(Count("imp_db_statement_seconds_count") - work_before, attempts.load());
  EXPECT_GE(Count("imp_db_statement_seconds_sum"), 1.0);
}

TEST(DatabaseMetrics, ALostConnectionIsCountedAndItsReadRetriedOnce) {
  auto tdb = testing::TestDatabase::Create();
  Database db(tdb->pool_options(), Migrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  int runs = 0;
  absl::Status s = db.Read(Soon(), [&](Connection& c) {
    std::unique_ptr<sql::Statement> st(c.raw().createStatement());
    if (++runs == 1) {
      std::unique_ptr<sql::ResultSet> id(st->executeQuery("SELECT CONNECTION_ID()"));
      id->next();
      tdb->Execute(absl::StrCat("KILL CONNECTION ", id->getInt64(1)));
    }
    std::unique_ptr<sql::ResultSet>(st->executeQuery("SELECT 1"));
    return absl::OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(runs, 2);
  EXPECT_EQ(Count(R"(imp_db_errors_total{kind="connection_lost"})"), 1);
  EXPECT_EQ(Count(R"(imp_db_retries_total{reason="connection_lost"})"), 1);
}

TEST(DatabaseMetrics, AQueryStoppedAtItsCallersDeadlineIsAStatementTimeoutAndNotRetried) {
  auto tdb = testing::TestDatabase::Create();
  Database db(tdb->pool_options(), Migrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  absl::Status s = db.Read(absl::Now() + absl::Milliseconds(500), [&](Connection& c) {
    std::unique_ptr<sql::Statement> st(c.raw().createStatement());
    std::unique_ptr<sql::ResultSet>(st->executeQuery("SELECT SLEEP(10)"));
    return absl::OkStatus();
  });
  ASSERT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_EQ(Count(R"(imp_db_errors_total{kind="statement_timeout"})"), 1);
  EXPECT_TRUE(std::isnan(Sample(R"(imp_db_retries_total{reason="statement_timeout"})")))
      << "a statement timeout is never retried, so it has no retry series";
  // A duplicate key is an answer (ALREADY_EXISTS), not a fault: no error of any kind.
  ASSERT_TRUE(Insert(db, 1).ok());
  ASSERT_EQ(Insert(db, 1).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Count(R"(imp_db_errors_total{kind="other"})"), 0);
}

TEST(DatabaseMetrics, PoolConnectionsAndTheWaitForOneAreReported) {
  auto tdb = testing::TestDatabase::Create();
  PoolOptions options = tdb->pool_options();
  options.size = 1;
  Database db(options, Migrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  EXPECT_EQ(Sample(R"(imp_db_pool_connections{state="in_use"})"), 0);
  EXPECT_EQ(Sample(R"(imp_db_pool_connections{state="idle"})"), 1);
  const double waits = Count("imp_db_pool_wait_seconds_count");
  const double waited = Count("imp_db_pool_wait_seconds_sum");
  double in_use_inside = -1, idle_inside = -1;
  absl::Status inner;
  absl::Status outer = db.InTransaction(Soon(), [&](Connection&) {
    in_use_inside = Sample(R"(imp_db_pool_connections{state="in_use"})");
    idle_inside = Sample(R"(imp_db_pool_connections{state="idle"})");
    // The only connection is held here: this wait ends at its deadline.
    inner = db.InTransaction(absl::Now() + absl::Milliseconds(300),
                             [](Connection&) { return absl::OkStatus(); });
    return absl::OkStatus();
  });
  ASSERT_TRUE(outer.ok()) << outer;
  ASSERT_EQ(inner.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(in_use_inside, 1);
  EXPECT_EQ(idle_inside, 0);
  EXPECT_EQ(Count("imp_db_pool_wait_seconds_count") - waits, 2) << "the outer and inner waits";
  EXPECT_GE(Count("imp_db_pool_wait_seconds_sum") - waited, 0.29);
  EXPECT_EQ(Count(R"(imp_db_pool_wait_seconds_bucket{le="0.25"})"), waits + 1)
      << "only the outer wait was short";
  EXPECT_EQ(Sample(R"(imp_db_pool_connections{state="in_use"})"), 0);
  EXPECT_EQ(Sample(R"(imp_db_pool_connections{state="idle"})"), 1);
}

TEST(DatabaseMetrics, AServerWithoutWsrepHasNoGaleraFigures) {
  auto tdb = testing::TestDatabase::Create();
  Database db(tdb->pool_options(), Migrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());  // the probe, which reads Galera's status
  const std::string text = metrics::Registry::Default().Render();
  EXPECT_TRUE(absl::StrContains(text, "# TYPE imp_db_galera_recv_queue gauge\n")) << text;
  EXPECT_TRUE(
      absl::StrContains(text, "# TYPE imp_db_galera_flow_control_paused_seconds_total counter\n"));
  EXPECT_TRUE(std::isnan(Sample("imp_db_galera_recv_queue")));
  EXPECT_TRUE(std::isnan(Sample("imp_db_galera_flow_control_paused_seconds_total")));
}

// A Galera node of the test's own: a one-node cluster, bootstrapped (no state transfer, so it is
// up in seconds), enough for the readiness probe to find wsrep on and read the node's status.
class OneNodeGalera {
 public:
  ~OneNodeGalera() {
    server_.reset();  // SIGKILL and reap
    if (!dir_.empty()) std::system(absl::StrCat("rm -rf '", dir_, "'").c_str());
  }

  absl::Status Start() {
    dir_ = absl::StrCat(::testing::TempDir(), "/galera-metrics-", getpid());
    std::system(
        absl::StrCat("rm -rf '", dir_, "' && mkdir -p '", dir_, "/data' '", dir_, "/tmp'").c_str());
    const std::string user = std::getenv("USER") != nullptr ? std::getenv("USER") : "root";
    std::ofstream(dir_ + "/my.cnf") << absl::StrCat(
        "[mysqld]\ndatadir=", dir_, "/data\nuser=", user, "\nport=", testing::PickFreePort(),
        "\nbind-address=127.0.0.1\nsocket=", socket(), "\nlog-error=", dir_,
        "/error.log\ntmpdir=", dir_,
        "/tmp\nskip-name-resolve\ninnodb-buffer-pool-size=32M\nbinlog-format=ROW\n"
        "innodb-autoinc-lock-mode=2\nwsrep-on=ON\n"
        "wsrep-provider=/usr/lib/galera/libgalera_smm.so\nwsrep-cluster-name=metrics\n"
        "wsrep-cluster-address=gcomm://\nwsrep-provider-options=gmcast.listen_addr=tcp://"
        "127.0.0.1:",
        testing::PickFreePort(), "\n");
    if (std::system(absl::StrCat("mariadb-install-db --defaults-file='", dir_,
                                 "/my.cnf' --auth-root-authentication-method=socket > '", dir_,
                                 "/install.log' 2>&1")
                        .c_str()) != 0) {
      return absl::InternalError("mariadb-install-db failed: see " + dir_ + "/install.log");
    }
    server_ = std::make_unique<testing::Process>(testing::ProcessSpec{
        "galera",
        "/usr/sbin/mariadbd",
        {absl::StrCat("--defaults-file=", dir_, "/my.cnf"), "--wsrep-new-cluster"},
        {},
        dir_ + "/console.log"});
    if (absl::Status started = server_->Start(); !started.ok()) return started;
    const std::string ping = absl::StrCat("mariadb --no-defaults --socket='", socket(),
                                          "' -N -e 'SELECT 1' > /dev/null 2>&1");
    if (!WaitFor([&] { return std::system(ping.c_str()) == 0; })) {
      return absl::DeadlineExceededError("the Galera node never answered: see " + dir_ +
                                         "/error.log");
    }
    return absl::OkStatus();
  }

  std::string socket() const { return dir_ + "/mysqld.sock"; }

 private:
  std::string dir_;
  std::unique_ptr<testing::Process> server_;
};

TEST(DatabaseMetrics, AGaleraNodesFlowControlAndReceiveQueueAreReadByTheReadinessProbe) {
  OneNodeGalera node;
  ASSERT_TRUE(node.Start().ok());
  auto tdb = testing::TestDatabase::Create(node.socket());
  Database db(tdb->pool_options(), Migrations());
  ASSERT_TRUE(db.CheckReady(Soon()).ok());  // migrates; the probe has not run yet
  EXPECT_TRUE(std::isnan(Sample("imp_db_galera_recv_queue")));
  ASSERT_TRUE(db.CheckReady(Soon()).ok());  // the probe
  EXPECT_EQ(Sample("imp_db_galera_recv_queue"), 0);
  const std::string paused_ns = tdb->QueryString(
      "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
      "WHERE VARIABLE_NAME = 'WSREP_FLOW_CONTROL_PAUSED_NS'");
  ASSERT_FALSE(paused_ns.empty()) << "not a Galera node";
  EXPECT_EQ(Sample("imp_db_galera_flow_control_paused_seconds_total"), std::stod(paused_ns) / 1e9);
  // Writes on a Galera node commit as usual: no error counted, certification or other.
  ASSERT_TRUE(Insert(db, 1).ok());
  EXPECT_EQ(Count(R"(imp_db_errors_total{kind="certification"})"), 0);
}

}  // namespace
}  // namespace imp::db
