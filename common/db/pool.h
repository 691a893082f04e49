#ifndef IMP_COMMON_DB_POOL_H_
#define IMP_COMMON_DB_POOL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/db/connection.h"
#include "common/db/db_metrics.h"
#include "common/metrics/metrics.h"

namespace imp::db {

struct PoolOptions {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string socket;  // when set, connect over this Unix socket instead of TCP
  std::string user;    // the runtime user: DML on its own schema only
  std::string password;
  // The DDL-capable user that applies migrations (Database::CheckReady opens a short-lived
  // connection as this user when it is set). Empty: the process never changes the schema and
  // waits until someone else (e.g. `--migrate_only`) has migrated it.
  std::string migration_user;
  std::string migration_password;
  std::string database;
  int size = 8;
  absl::Duration connect_timeout = absl::Seconds(2);
  absl::Duration read_timeout = absl::Seconds(30);
  absl::Duration write_timeout = absl::Seconds(30);
  // A connection idle for longer than this is pinged before it is handed out, so a server
  // restart is noticed at checkout instead of failing the caller's first statement.
  absl::Duration validate_after_idle = absl::Seconds(5);
};

// A fixed-size pool of MariaDB connections. Thread-safe. Connections are created lazily, checked
// out by one thread at a time, validated after idling, and replaced when marked broken (after a
// lost-connection error). OPT_RECONNECT is never used: a silent reconnect would drop the
// transaction, session settings and prepared statements.
class ConnectionPool {
 public:
  // Returns the connection to the pool (or discards it if broken) when destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_.get(); }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn);
    ConnectionPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  explicit ConnectionPool(PoolOptions options);
  ~ConnectionPool();

  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Waits until a slot is free or `deadline` passes (DEADLINE_EXCEEDED); UNAVAILABLE when the
  // server cannot be reached.
  absl::StatusOr<Lease> Acquire(absl::Time deadline);

  const PoolOptions& options() const { return options_; }

  // A connection outside the pool with every timeout set to `timeout` (at least one second,
  // the driver's unit), for health probes that must neither wait for a pool slot nor hang on a
  // stalled server.
  absl::StatusOr<std::unique_ptr<Connection>> ConnectWithTimeout(absl::Duration timeout);

 private:
  // `for_call`: a failure counts in imp_db_errors_total (a health probe's does not: the probe
  // runs twice a second whatever the load, and its state is imp_serving's).
  absl::StatusOr<std::unique_ptr<Connection>> Connect(absl::Duration connect_timeout,
                                                      absl::Duration io_timeout, bool for_call);
  void Release(std::unique_ptr<Connection> conn);

  const PoolOptions options_;
  // Taken once, before mu_ exists for anyone: the instruments are registered (under the
  // registry's lock) never while mu_ is held, which a scrape of this pool takes inside that lock.
  DbMetrics& metrics_;
  absl::Mutex mu_;
  int free_slots_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  // imp_db_pool_connections{state}: read under mu_ at scrape time. Last, so that it is removed
  // before what it reads is destroyed.
  metrics::SourceHandle connections_source_;
};

}  // namespace imp::db

#endif  // IMP_COMMON_DB_POOL_H_
