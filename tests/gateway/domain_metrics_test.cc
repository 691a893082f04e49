// The domain metrics of issue #24 move as the behaviour they describe happens, read the way a
// scrape reads them (metrics::Registry::Default().Render()): the database layer (pool, errors,
// retries, work time) against the real MariaDB, Galera's flow control and receive queue against a
// one-node Galera cluster of the test's own, and the activity service's statistics cache,
// imports, the gateway's copy of the registry and partial answers through real servers on
// loopback. Each case runs in a process of its own (gtest_discover_tests), so nothing else
// shares its registry.
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
#include "tests/gateway/gateway_fixture.h"
#include "tests/support/process.h"
#include "tests/support/test_database.h"

namespace imp {
namespace {

constexpr double kAbsent = std::numeric_limits<double>::quiet_NaN();

// The value of one sample of the exposition, e.g. `imp_db_errors_total{kind="deadlock"}` or
// `imp_db_pool_wait_seconds_count`; NaN when the scrape has no such sample.
double Sample(const std::string& series) {
  const std::string text = metrics::Registry::Default().Render();
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, series) || line.size() <= series.size() ||
        line[series.size()] != ' ') {
      continue;
    }
    double value = 0;
    if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
  }
  return kAbsent;
}

// A sample that is not there yet counts as 0 (a family's first series appears on first use).
double Count(const std::string& series) {
  const double v = Sample(series);
  return std::isnan(v) ? 0 : v;
}

// Polls `condition` until it holds or 10 s pass.
bool WaitFor(const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

}  // namespace
}  // namespace imp

// ---------------------------------------------------------------------------------------------
// The database layer.

namespace imp::db {
namespace {

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

// ---------------------------------------------------------------------------------------------
// The services, through the gateway.

namespace imp::gateway {
namespace {

class DomainMetricsTest : public GatewayTest {
 protected:
  static act::GetActivityStatsRequest Year2024() {
    act::GetActivityStatsRequest req;
    *req.mutable_start_date() = D(2024, 1, 1);
    *req.mutable_end_date() = D(2024, 12, 31);
    req.add_group_by(act::GROUP_BY_MONTH);
    return req;
  }

  grpc::Status Import(int rows, bool validate_only, act::ImportActivitiesResponse* out) {
    auto ctx = Ctx(kEditor);
    auto writer = act_->ImportActivities(ctx.get(), out);
    act::ImportActivitiesRequest msg;
    msg.set_request_id(absl::StrCat("metrics-import-", rows, validate_only ? "-dry" : ""));
    msg.set_validate_only(validate_only);
    for (int i = 0; i < rows; ++i) {
      auto* row = msg.add_rows();
      row->set_row_number(i + 2);
      *row->mutable_activity() = Training("lviv", "lviv-lille", D(2024, 3, 1 + i % 28), 1 + i, 1);
    }
    writer->Write(msg);
    writer->WritesDone();
    return writer->Finish();
  }
};

TEST_F(DomainMetricsTest, TheSameStatisticsAskedTwiceIsOneCacheMissThenOneHit) {
  Seed();
  const double hits = Count(R"(imp_statistics_cache_requests_total{result="hit"})");
  const double misses = Count(R"(imp_statistics_cache_requests_total{result="miss"})");
  act::GetActivityStatsResponse first, second;
  ASSERT_TRUE(act_->GetActivityStats(Ctx(kViewer).get(), Year2024(), &first).ok());
  EXPECT_EQ(Count(R"(imp_statistics_cache_requests_total{result="miss"})") - misses, 1);
  EXPECT_EQ(Count(R"(imp_statistics_cache_requests_total{result="hit"})") - hits, 0);
  ASSERT_TRUE(act_->GetActivityStats(Ctx(kViewer).get(), Year2024(), &second).ok());
  EXPECT_EQ(Count(R"(imp_statistics_cache_requests_total{result="miss"})") - misses, 1);
  EXPECT_EQ(Count(R"(imp_statistics_cache_requests_total{result="hit"})") - hits, 1);
}

TEST_F(DomainMetricsTest, AnImportOfNRowsAddsNCommittedRowsAndADryRunAddsNone) {
  Seed();
  const std::string rows = R"(imp_import_rows_total{kind="activity"})";
  const double before = Count(rows);
  act::ImportActivitiesResponse dry;
  grpc::Status s = Import(7, /*validate_only=*/true, &dry);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Count(rows) - before, 0) << "a validate-only import commits nothing";
  act::ImportActivitiesResponse applied;
  s = Import(25, /*validate_only=*/false, &applied);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(applied.rows_imported(), 25) << applied.ShortDebugString();
  EXPECT_EQ(Count(rows) - before, 25);
  // Its retry with the same request id replays the first answer: nothing is committed again.
  act::ImportActivitiesResponse replayed;
  s = Import(25, /*validate_only=*/false, &replayed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(replayed.replayed());
  EXPECT_EQ(Count(rows) - before, 25);
}

TEST_F(DomainMetricsTest, TheCopysSequenceReachesTheRegistrysHeadAndItsAgeStaysSmall) {
  Seed();  // 10 registry changes
  ASSERT_TRUE(WaitFor([] {
    const double head = Count("imp_registry_head_sequence");
    return head >= 10 && Count("imp_registry_copy_sequence") == head;
  })) << "copy "
      << Sample("imp_registry_copy_sequence") << ", head " << Sample("imp_registry_head_sequence");
  ASSERT_TRUE(CreateInstitution(kAdmin, "kyiv", "UA", "UA-30").ok());
  const double head_before = Count("imp_registry_head_sequence");
  ASSERT_TRUE(WaitFor([&] {
    return Count("imp_registry_head_sequence") > head_before &&
           Count("imp_registry_copy_sequence") == Count("imp_registry_head_sequence");
  }));
  // The follower reaches the head every poll (200 ms): the copy is never more than that old.
  EXPECT_LT(Sample("imp_registry_copy_age_seconds"), 2.0);
}

TEST_F(DomainMetricsTest, TheCopysAgeGrowsWhileTheRegistryCannotBeReached) {
  Seed();
  ASSERT_TRUE(WaitFor([] { return Count("imp_registry_copy_age_seconds") < 1.0; }));
  const double sequence = Count("imp_registry_copy_sequence");
  registry_->Shutdown();
  EXPECT_TRUE(WaitFor([] { return Count("imp_registry_copy_age_seconds") > 1.5; }))
      << Sample("imp_registry_copy_age_seconds");
  EXPECT_EQ(Count("imp_registry_copy_sequence"), sequence) << "the copy stays as it was";
}

TEST_F(DomainMetricsTest, APartialAnswerIsCountedByItsMissingSourceAndARefusalIsNot) {
  Seed();
  const std::string activity = R"(imp_gateway_partial_answers_total{missing="activity"})";
  const std::string registry = R"(imp_gateway_partial_answers_total{missing="registry"})";
  v1::GetProgramSummaryRequest req;
  *req.mutable_end_date() = D(2024, 12, 31);
  v1::GetProgramSummaryResponse complete;
  req.set_allow_partial(true);
  ASSERT_TRUE(gw_->GetProgramSummary(Ctx(kViewer).get(), req, &complete).ok());
  EXPECT_EQ(Count(activity), 0) << "a complete answer is not partial";
  activity_->Shutdown();
  v1::GetProgramSummaryResponse partial;
  ASSERT_TRUE(gw_->GetProgramSummary(Ctx(kViewer).get(), req, &partial).ok());
  ASSERT_EQ(partial.missing_sources_size(), 1);
  EXPECT_EQ(Count(activity), 1);
  EXPECT_EQ(Count(registry), 0);
  req.set_allow_partial(false);
  EXPECT_FALSE(gw_->GetProgramSummary(Ctx(kViewer).get(), req, &partial).ok());
  EXPECT_EQ(Count(activity), 1) << "an error answer is not a partial answer";
}

// The exposition with every domain metric populated passes `promtool check metrics` (the
// Prometheus project's own parser and linter).
TEST_F(DomainMetricsTest, TheExpositionWithTheDomainMetricsPassesPromtool) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool is not installed";
  }
  Seed();
  act::GetActivityStatsResponse stats;
  ASSERT_TRUE(act_->GetActivityStats(Ctx(kViewer).get(), Year2024(), &stats).ok());
  ASSERT_TRUE(act_->GetActivityStats(Ctx(kViewer).get(), Year2024(), &stats).ok());
  act::ImportActivitiesResponse imported;
  ASSERT_TRUE(Import(3, false, &imported).ok());
  ASSERT_TRUE(WaitFor([] { return Count("imp_registry_copy_sequence") > 0; }));
  activity_->Shutdown();
  v1::GetProgramSummaryRequest req;
  *req.mutable_end_date() = D(2024, 12, 31);
  req.set_allow_partial(true);
  v1::GetProgramSummaryResponse partial;
  ASSERT_TRUE(gw_->GetProgramSummary(Ctx(kViewer).get(), req, &partial).ok());

  const std::string text = metrics::Registry::Default().Render();
  for (const char* name :
       {"imp_db_pool_wait_seconds_bucket", "imp_db_pool_connections", "imp_db_statement_seconds",
        "imp_statistics_cache_requests_total", "imp_import_rows_total",
        "imp_registry_copy_sequence", "imp_registry_head_sequence", "imp_registry_copy_age_seconds",
        "imp_gateway_partial_answers_total"}) {
    EXPECT_TRUE(absl::StrContains(text, absl::StrCat("\n", name))) << name;
  }
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/domain-metrics-", registry_->port(), ".prom");
  std::ofstream(path) << text;
  const std::string command = absl::StrCat("promtool check metrics < ", path, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  EXPECT_EQ(status, 0) << output << "\n" << text;
  // IMP_KEEP_METRICS_DUMP keeps the file, to read the exposition or check it by hand.
  if (std::getenv("IMP_KEEP_METRICS_DUMP") == nullptr) std::remove(path.c_str());
}

}  // namespace
}  // namespace imp::gateway
