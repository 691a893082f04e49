#include "common/db/pool.h"

#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <memory>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/db/db_metrics.h"
#include "common/db/errors.h"
#include "common/log.h"

namespace imp::db {
namespace {

// get_mysql_driver_instance() is not thread-safe: resolve it exactly once.
sql::mysql::MySQL_Driver* Driver() {
  static sql::mysql::MySQL_Driver* driver = [] {
    return sql::mysql::get_mysql_driver_instance();
  }();
  return driver;
}

int Seconds(absl::Duration d) {
  return static_cast<int>(absl::ToInt64Seconds(d) > 0 ? absl::ToInt64Seconds(d) : 1);
}

// Whether the server is a node of a Galera cluster. SHOW VARIABLES rather than @@wsrep_on, so that
// a server built without Galera support answers too (with no row).
bool IsGaleraNode(Connection& conn) {
  std::unique_ptr<sql::Statement> show(conn.raw().createStatement());
  std::unique_ptr<sql::ResultSet> rs(show->executeQuery("SHOW VARIABLES LIKE 'wsrep_on'"));
  return rs->next() && rs->getString("Value") == "ON";
}

}  // namespace

ConnectionPool::Lease::Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn)
    : pool_(pool), conn_(std::move(conn)) {}

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), conn_(std::move(other.conn_)) {
  other.pool_ = nullptr;
}

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->Release(std::move(conn_));
}

ConnectionPool::ConnectionPool(PoolOptions options)
    : options_(std::move(options)), metrics_(DbMetrics::Get()), free_slots_(options_.size) {
  Driver();
  // Summed over every pool of the process (the migrator's short-lived one included).
  connections_source_ = metrics::Registry::Default().AddSource(
      "imp_db_pool_connections",
      "Database connections of the pool by state: in_use (checked out by a call, or being "
      "opened for one) and idle (open, waiting in the pool). in_use at the pool size means "
      "calls queue for a connection (imp_db_pool_wait_seconds).",
      metrics::Type::kGauge, {"state"}, [this](std::vector<metrics::Sample>& out) {
        absl::MutexLock lock(&mu_);
        out.push_back({{"in_use"}, static_cast<double>(options_.size - free_slots_)});
        out.push_back({{"idle"}, static_cast<double>(idle_.size())});
      });
}

ConnectionPool::~ConnectionPool() {
  absl::MutexLock lock(&mu_);
  idle_.clear();
}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire(absl::Time deadline) {
  std::unique_ptr<Connection> conn;
  const absl::Time asked = absl::Now();
  bool got = false;
  {
    absl::MutexLock lock(&mu_);
    auto has_slot = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return free_slots_ > 0; };
    got = mu_.AwaitWithDeadline(absl::Condition(&has_slot), deadline);
    if (got) {
      --free_slots_;
      if (!idle_.empty()) {
        conn = std::move(idle_.back());
        idle_.pop_back();
      }
    }
  }
  const absl::Time now = absl::Now();
  metrics_.pool_wait().Observe(absl::ToDoubleSeconds(now - asked));
  if (!got) return absl::DeadlineExceededError("timed out waiting for a database connection");
  // From here on the slot is ours: the lease (or the error path) gives it back.
  if (conn != nullptr && now - conn->last_used() > options_.validate_after_idle && !conn->Ping()) {
    conn.reset();
  }
  if (conn == nullptr) {
    auto fresh = Connect(options_.connect_timeout, options_.read_timeout, /*for_call=*/true);
    if (!fresh.ok()) {
      Release(nullptr);
      return fresh.status();
    }
    conn = *std::move(fresh);
  }
  conn->Touch(now);
  return Lease(this, std::move(conn));
}

void ConnectionPool::Release(std::unique_ptr<Connection> conn) {
  if (conn != nullptr && conn->broken()) conn.reset();  // closed outside the lock
  if (conn != nullptr) conn->DropLargeStatements();     // outside the lock too
  absl::MutexLock lock(&mu_);
  if (conn != nullptr) {
    conn->Touch(absl::Now());
    idle_.push_back(std::move(conn));
  }
  ++free_slots_;
}

absl::StatusOr<std::unique_ptr<Connection>> ConnectionPool::ConnectWithTimeout(
    absl::Duration timeout) {
  return Connect(timeout, timeout, /*for_call=*/false);
}

absl::StatusOr<std::unique_ptr<Connection>> ConnectionPool::Connect(absl::Duration connect_timeout,
                                                                    absl::Duration io_timeout,
                                                                    bool for_call) {
  sql::ConnectOptionsMap props;
  if (!options_.socket.empty()) {
    props["hostName"] = sql::SQLString("localhost");
    props["socket"] = sql::SQLString(options_.socket);
  } else {
    props["hostName"] = sql::SQLString(absl::StrCat("tcp://", options_.host, ":", options_.port));
  }
  props["userName"] = sql::SQLString(options_.user);
  props["password"] = sql::SQLString(options_.password);
  if (!options_.database.empty()) props["schema"] = sql::SQLString(options_.database);
  props["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  props["OPT_CONNECT_TIMEOUT"] = Seconds(connect_timeout);
  props["OPT_READ_TIMEOUT"] = Seconds(io_timeout);
  props["OPT_WRITE_TIMEOUT"] = Seconds(io_timeout);
  props["OPT_RECONNECT"] = false;
  try {
    auto conn =
        std::make_unique<Connection>(std::unique_ptr<sql::Connection>(Driver()->connect(props)));
    // UTC everywhere, strict data checks, and read-committed so that short transactions do not
    // take gap locks that make concurrent inserts deadlock.
    conn->ExecuteDirect(
        "SET SESSION time_zone = '+00:00', "
        "sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
        "NO_ENGINE_SUBSTITUTION', "
        "tx_isolation = 'READ-COMMITTED', "
        "collation_connection = 'utf8mb4_unicode_ci'");
    // Galera: replicas of a service on different nodes must agree, so a call that reads must see
    // every write the cluster committed before it started (a client that created a resource
    // through one replica may read it through another a moment later). wsrep_sync_wait = 1 makes
    // START TRANSACTION and autocommit SELECTs wait until this node has applied those writes
    // (a causality check; writes need none: certification already orders conflicting ones).
    conn->set_galera(IsGaleraNode(*conn));
    if (conn->galera()) conn->ExecuteDirect("SET SESSION wsrep_sync_wait = 1");
    return conn;
  } catch (const sql::SQLException& e) {
    if (for_call) {
      if (auto kind = KindOf(e.getErrorCode())) metrics_.CountError(*kind);
    }
    Log(LogLevel::kWarning, "db_connect_failed",
        {{"target", options_.socket.empty() ? absl::StrCat(options_.host, ":", options_.port)
                                            : options_.socket},
         {"code", absl::StrCat(e.getErrorCode())},
         {"message", e.what()}});
    return absl::UnavailableError("database unavailable: cannot connect; retry later");
  }
}

}  // namespace imp::db
