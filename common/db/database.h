#ifndef IMP_COMMON_DB_DATABASE_H_
#define IMP_COMMON_DB_DATABASE_H_

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/db/migrations.h"
#include "common/db/pool.h"
#include "common/db/transaction.h"
#include "common/metrics/metrics.h"
#include "common/server/request_context.h"

namespace imp::db {

class HeldTransaction;

// A service's database: the connection pool, its schema migrations, and the one way service code
// runs SQL. Thread-safe. Every call blocks, so it must only run on a worker thread.
//
// Every statement runs under MariaDB's max_statement_time set from the caller's deadline, so a
// query cannot outlive the call it serves.
class Database {
 public:
  Database(PoolOptions options, std::vector<Migration> migrations);

  // Runs `work` inside a transaction and commits when it returns OK (any other status rolls
  // back). sql::SQLException thrown by `work` is mapped by MapSqlException. Deadlocks and lock
  // wait timeouts are retried with backoff, then ABORTED; a connection lost before COMMIT is
  // retried once on a new connection; a connection lost during COMMIT is UNAVAILABLE (outcome
  // unknown: creates carry a request_id so the client's retry is safe).
  // `work` may therefore run more than once: it must assign its outputs, not append to them.
  //
  // Writes pass the call's RequestContext: right before COMMIT the transaction rolls back instead
  // when the caller has gone (CANCELLED), its deadline has passed (DEADLINE_EXCEEDED) or the
  // server is draining (UNAVAILABLE, through ctx.commit_gate), so a call reported failed has
  // changed nothing.
  absl::Status InTransaction(const RequestContext& ctx,
                             absl::FunctionRef<absl::Status(Connection&)> work);
  // The same for work that needs no commit-time checks (reads that must agree across
  // statements, and work outside any call).
  absl::Status InTransaction(absl::Time deadline,
                             absl::FunctionRef<absl::Status(Connection&)> work);

  // Runs read-only `work` without an explicit transaction (autocommit): each statement sees its
  // own snapshot, and a call costs one round trip per statement instead of three. For reads
  // whose statements are each self-contained (a Get, a BatchGet); reads that must agree across
  // statements use InTransaction. A lost connection is retried once (reads are idempotent).
  absl::Status Read(absl::Time deadline, absl::FunctionRef<absl::Status(Connection&)> work);

  // Starts a transaction held across several steps, for work fed by a stream (imports). Unlike
  // InTransaction it is never retried, because the steps cannot be replayed: a deadlock or a
  // lost connection fails it and the client retries the whole call with its request_id.
  absl::StatusOr<std::unique_ptr<HeldTransaction>> Begin(const RequestContext& ctx);

  // Until it first succeeds: applies pending migrations over a short-lived connection as the
  // migration user when one is configured, then checks through the runtime pool that
  // `schema_migrations` records every migration this binary has, with matching checksums.
  // Afterwards: probes the server over a connection of its own (never a pool slot, so busy
  // requests cannot make the service look down) with a short timeout (so a stalled server is
  // noticed within about a second). OK means requests can be served. UNAVAILABLE "schema at
  // version N, binary needs M" means migrations are pending and this process may not apply them
  // (no migration user): keep NOT_SERVING and ask again. FAILED_PRECONDITION means a migration
  // file was edited after it was applied: the process must not serve and should stop.
  absl::Status CheckReady(absl::Time deadline);

  bool migrated() const { return migrated_.load(); }

 private:
  absl::Status RunTransaction(absl::Time deadline, const RequestContext* ctx,
                              absl::FunctionRef<absl::Status(Connection&)> work);

  absl::Status Probe();
  // On a Galera node, reads its flow control and receive queue into galera_* (one SHOW GLOBAL
  // STATUS on the probe's connection, after a probe that succeeded).
  void ReadGaleraStatus(Connection& conn);
  void RegisterGaleraSources();

  ConnectionPool pool_;
  const std::vector<Migration> migrations_;
  std::atomic<bool> migrated_{false};
  absl::Mutex probe_mu_;
  std::unique_ptr<Connection> probe_ ABSL_GUARDED_BY(probe_mu_);
  // What the probe last read of a Galera node (wsrep_flow_control_paused_ns,
  // wsrep_local_recv_queue); reported only while galera_read_ (the node has wsrep on).
  std::atomic<bool> galera_read_{false};
  std::atomic<double> galera_paused_seconds_{0};
  std::atomic<double> galera_recv_queue_{0};
  // Last, so that they are removed before what they read is destroyed.
  std::vector<metrics::SourceHandle> galera_sources_;
};

// A transaction held open across the steps of one streamed call (Database::Begin). Used by one
// thread at a time. Rolls back when destroyed uncommitted. After any step fails, the transaction
// is finished (rolled back) and every later step fails too.
class HeldTransaction {
 public:
  ~HeldTransaction();

  // Runs one step; sql::SQLException is mapped by MapSqlException.
  absl::Status Run(absl::FunctionRef<absl::Status(Connection&)> work);
  // Commits unless the caller has gone, its deadline has passed or the server is draining
  // (as Database::InTransaction(ctx, ...) does).
  absl::Status Commit();

 private:
  friend class Database;
  HeldTransaction(const RequestContext& ctx, ConnectionPool::Lease lease);

  const RequestContext& ctx_;
  ConnectionPool::Lease lease_;
  std::optional<Transaction> tx_;
  absl::Status failed_;
  bool committing_ = false;  // Commit's step runs: a 1213 then is a Galera certification failure
};

// The checks every COMMIT of a call passes, in order: the server is not draining (the commit
// gate lets it in), the caller is still there, its deadline has not passed. On OK with
// *entered_gate set, commit now and then call ctx.commit_gate->Leave().
absl::Status ReadyToCommit(const RequestContext& ctx, bool* entered_gate);

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
