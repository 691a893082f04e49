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

  // Until it first succeeds: applies pending migrations over a short-lived connection as the
  // migration user when one is configured, then checks through the runtime pool that
  // `schema_migrations` records every migration this binary has, with matching checksums.
  // Afterwards: pings the server. OK means requests can be served. UNAVAILABLE "schema at
  // version N, binary needs M" means migrations are pending and this process may not apply them
  // (no migration user): keep NOT_SERVING and ask again. FAILED_PRECONDITION means a migration
  // file was edited after it was applied: the process must not serve and should stop.
  absl::Status CheckReady(absl::Time deadline);

  bool migrated() const { return migrated_.load(); }

 private:
  ConnectionPool pool_;
  const std::vector<Migration> migrations_;
  std::atomic<bool> migrated_{false};
};

// Applies pending migrations over a connection of its own as `options.migration_user` (closed
// before returning), waiting until `deadline` for another migrator's lease. FAILED_PRECONDITION
// when no migration user is configured or a migration was edited.
absl::Status MigrateSchema(const PoolOptions& options, const std::vector<Migration>& migrations,
                           absl::Time deadline);

// The `--migrate_only` step of a deploy (or a Kubernetes init container): MigrateSchema, one log
// line with the outcome, and the process exit code: 0 when the schema is current (applied now or
// before), 1 with the reason logged otherwise.
int RunMigrateOnly(const PoolOptions& options, const std::vector<Migration>& migrations);

}  // namespace imp::db

#endif  // IMP_COMMON_DB_DATABASE_H_
