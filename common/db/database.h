#ifndef IMP_COMMON_DB_DATABASE_H_
#define IMP_COMMON_DB_DATABASE_H_

#include <atomic>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/db/migrations.h"
#include "common/db/pool.h"

namespace imp::db {

// A service's database: the connection pool, its schema migrations, and the one way service code
// runs SQL. Thread-safe. Every call blocks, so it must only run on a worker thread.
class Database {
 public:
  Database(PoolOptions options, std::vector<Migration> migrations);

  // Runs `work` inside a transaction and commits when it returns OK (any other status rolls
  // back). sql::SQLException thrown by `work` is mapped by MapSqlException. Deadlocks and lock
  // wait timeouts are retried with backoff, then ABORTED; a connection lost before COMMIT is
  // retried once on a new connection; a connection lost during COMMIT is UNAVAILABLE (outcome
  // unknown: creates carry a request_id so the client's retry is safe).
  // `work` may therefore run more than once: it must assign its outputs, not append to them.
  absl::Status InTransaction(absl::Time deadline,
                             absl::FunctionRef<absl::Status(Connection&)> work);

  // Runs read-only `work` without an explicit transaction (autocommit): each statement sees its
  // own snapshot, and a call costs one round trip per statement instead of three. For reads
  // whose statements are each self-contained (a Get, a BatchGet); reads that must agree across
  // statements use InTransaction. A lost connection is retried once (reads are idempotent).
  absl::Status Read(absl::Time deadline, absl::FunctionRef<absl::Status(Connection&)> work);

  // Applies pending migrations if that has not succeeded yet, then pings the server.
  // OK means requests can be served. FAILED_PRECONDITION means a migration file was edited
  // after it was applied: the process must not serve and should stop.
  absl::Status CheckReady(absl::Time deadline);

  bool migrated() const { return migrated_.load(); }

 private:
  ConnectionPool pool_;
  const std::vector<Migration> migrations_;
  std::atomic<bool> migrated_{false};
};

}  // namespace imp::db

#endif  // IMP_COMMON_DB_DATABASE_H_
