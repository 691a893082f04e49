#include "common/db/database.h"

#include <cppconn/exception.h>
#include <cppconn/resultset.h>

#include <string>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/db/errors.h"
#include "common/log.h"

namespace imp::db {
namespace {

constexpr int kMaxConflictAttempts = 4;

// The readiness probe reads a table, because `SELECT 1` is not enough under Galera: a node outside
// the primary component (or still joining) answers it but refuses every statement that touches a
// table (error 1047), so a probe by `SELECT 1` would keep a replica SERVING whose calls all fail.
constexpr Statement kProbe{"readiness_probe", "SELECT version FROM schema_migrations LIMIT 1"};

// Bounds the connection's statements by what is left of the caller's time.
void LimitToDeadline(Connection& conn, absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return;
  conn.LimitStatementTime(deadline - absl::Now());
}

}  // namespace

absl::Status ReadyToCommit(const RequestContext& ctx, bool* entered_gate) {
  *entered_gate = false;
  if (ctx.commit_gate != nullptr) {
    if (!ctx.commit_gate->Enter()) {
      return absl::UnavailableError("server is shutting down; nothing was changed, retry");
    }
    *entered_gate = true;
  }
  absl::Status refused;
  if (ctx.Cancelled()) {
    refused = absl::CancelledError("the call was cancelled; nothing was changed");
  } else if (absl::Now() >= ctx.deadline) {
    refused = absl::DeadlineExceededError("deadline passed before commit; nothing was changed");
  }
  if (!refused.ok() && *entered_gate) {
    ctx.commit_gate->Leave();
    *entered_gate = false;
  }
  return refused;
}

Database::Database(PoolOptions options, std::vector<Migration> migrations)
    : pool_(std::move(options)), migrations_(std::move(migrations)) {}

absl::Status Database::InTransaction(const RequestContext& ctx,
                                     absl::FunctionRef<absl::Status(Connection&)> work) {
  return RunTransaction(ctx.deadline, &ctx, work);
}

absl::Status Database::InTransaction(absl::Time deadline,
                                     absl::FunctionRef<absl::Status(Connection&)> work) {
  return RunTransaction(deadline, nullptr, work);
}

absl::Status Database::RunTransaction(absl::Time deadline, const RequestContext* ctx,
                                      absl::FunctionRef<absl::Status(Connection&)> work) {
  if (!migrated_.load())
    return absl::UnavailableError("database not ready: schema not yet migrated");
  bool retried_lost_connection = false;
  absl::Duration backoff = absl::Milliseconds(5);
  for (int attempt = 1;; ++attempt) {
    auto lease = pool_.Acquire(deadline);
    if (!lease.ok()) return lease.status();
    Connection& conn = **lease;
    bool committing = false;
    try {
      LimitToDeadline(conn, deadline);
      Transaction tx(conn);
      absl::Status status = work(conn);
      if (!status.ok()) return status;  // rolled back by ~Transaction
      bool entered_gate = false;
      if (ctx != nullptr) {
        absl::Status ready = ReadyToCommit(*ctx, &entered_gate);
        if (!ready.ok()) return ready;  // rolled back by ~Transaction
      }
      absl::Cleanup leave = [&] {
        if (entered_gate) ctx->commit_gate->Leave();
      };
      committing = true;
      tx.Commit();
      return absl::OkStatus();
    } catch (const sql::SQLException& e) {
      const int code = e.getErrorCode();
      if (IsConnectionLost(code)) {
        conn.MarkBroken();
        if (!committing && !retried_lost_connection && absl::Now() < deadline) {
          retried_lost_connection = true;
          continue;
        }
        return MapSqlException(e, "transaction");
      }
      if (IsRetryableConflict(code) && attempt < kMaxConflictAttempts &&
          absl::Now() + backoff < deadline) {
        Log(LogLevel::kDebug, "db_conflict_retry", {{"attempt", std::to_string(attempt)}});
        absl::SleepFor(backoff);
        backoff *= 4;
        continue;
      }
      return MapSqlException(e, "transaction");
    }
  }
}

absl::Status Database::Read(absl::Time deadline,
                            absl::FunctionRef<absl::Status(Connection&)> work) {
  if (!migrated_.load())
    return absl::UnavailableError("database not ready: schema not yet migrated");
  for (int attempt = 1;; ++attempt) {
    auto lease = pool_.Acquire(deadline);
    if (!lease.ok()) return lease.status();
    try {
      LimitToDeadline(**lease, deadline);
      return work(**lease);
    } catch (const sql::SQLException& e) {
      if (IsConnectionLost(e.getErrorCode())) {
        (*lease)->MarkBroken();
        if (attempt == 1 && absl::Now() < deadline) continue;
      }
      return MapSqlException(e, "read");
    }
  }
}

absl::StatusOr<std::unique_ptr<HeldTransaction>> Database::Begin(const RequestContext& ctx) {
  if (!migrated_.load())
    return absl::UnavailableError("database not ready: schema not yet migrated");
  auto lease = pool_.Acquire(ctx.deadline);
  if (!lease.ok()) return lease.status();
  auto held = std::unique_ptr<HeldTransaction>(new HeldTransaction(ctx, *std::move(lease)));
  absl::Status started = held->Run([&](Connection& conn) {
    LimitToDeadline(conn, ctx.deadline);
    held->tx_.emplace(conn);
    return absl::OkStatus();
  });
  if (!started.ok()) return started;
  return held;
}

HeldTransaction::HeldTransaction(const RequestContext& ctx, ConnectionPool::Lease lease)
    : ctx_(ctx), lease_(std::move(lease)) {}

HeldTransaction::~HeldTransaction() { tx_.reset(); }  // rolls back unless committed

absl::Status HeldTransaction::Run(absl::FunctionRef<absl::Status(Connection&)> work) {
  if (!failed_.ok()) return failed_;
  try {
    absl::Status status = work(*lease_);
    if (!status.ok()) {
      failed_ = status;
      tx_.reset();
    }
    return status;
  } catch (const sql::SQLException& e) {
    if (IsConnectionLost(e.getErrorCode())) lease_->MarkBroken();
    failed_ = MapSqlException(e, "held transaction");
    tx_.reset();
    return failed_;
  }
}

absl::Status HeldTransaction::Commit() {
  if (!failed_.ok()) return failed_;
  bool entered_gate = false;
  absl::Status ready = ReadyToCommit(ctx_, &entered_gate);
  if (!ready.ok()) {
    failed_ = ready;
    tx_.reset();
    return ready;
  }
  absl::Cleanup leave = [&] {
    if (entered_gate) ctx_.commit_gate->Leave();
  };
  return Run([&](Connection& conn) {
    conn.Touch(absl::Now());
    tx_->Commit();
    return absl::OkStatus();
  });
}

absl::Status Database::CheckReady(absl::Time deadline) {
  if (!migrated_.load()) {
    if (!pool_.options().migration_user.empty()) {
      absl::Status applied = MigrateSchema(pool_.options(), migrations_, deadline);
      if (!applied.ok()) return applied;
    }
    // Verified as the runtime user whether or not this process migrated: the schema may have
    // been migrated by another replica or a --migrate_only step, or not at all yet.
    auto lease = pool_.Acquire(deadline);
    if (!lease.ok()) return lease.status();
    absl::Status verified = VerifyMigrations(**lease, migrations_);
    if (!verified.ok()) return verified;
    migrated_.store(true);
    return absl::OkStatus();
  }
  return Probe();
}

absl::Status Database::Probe() {
  absl::MutexLock lock(&probe_mu_);
  if (probe_ == nullptr || probe_->broken()) {
    probe_.reset();
    auto conn = pool_.ConnectWithTimeout(absl::Seconds(1));
    if (!conn.ok()) return conn.status();
    probe_ = *std::move(conn);
  }
  try {
    std::unique_ptr<sql::ResultSet> rs(probe_->Prepare(kProbe).executeQuery());
    probe_->Touch(absl::Now());
    return absl::OkStatus();
  } catch (const sql::SQLException& e) {
    // Not logged here (the health loop logs each change of state once); the next probe starts
    // on a new connection.
    probe_->MarkBroken();
    if (e.getErrorCode() == kErrNodeNotReady) {
      return absl::UnavailableError(
          "database node not ready (not in the cluster's primary component, or still joining)");
    }
    return absl::UnavailableError(
        absl::StrCat("database not answering (error ", e.getErrorCode(), "); retry later"));
  }
}

absl::Status MigrateSchema(const PoolOptions& options, const std::vector<Migration>& migrations,
                           absl::Time deadline) {
  if (options.migration_user.empty()) {
    return absl::FailedPreconditionError(
        "no migration user configured (--db_migration_user, --db_migration_password or "
        "IMP_DB_MIGRATION_PASSWORD)");
  }
  PoolOptions migrator = options;
  migrator.user = options.migration_user;
  migrator.password = options.migration_password;
  migrator.size = 1;
  // One statement may run as long as the lease lasts (a large ALTER TABLE).
  migrator.read_timeout = kMigrationLease;
  migrator.write_timeout = kMigrationLease;
  ConnectionPool pool(std::move(migrator));
  auto lease = pool.Acquire(deadline);
  if (!lease.ok()) return lease.status();
  return ApplyMigrations(**lease, migrations, deadline);
}

int RunMigrateOnly(const PoolOptions& options, const std::vector<Migration>& migrations) {
  // Long enough for a crashed migrator's lease to expire; a live one that is still busy after
  // that makes this step fail (exit 1) and the deploy retry it.
  const absl::Time deadline = absl::Now() + kMigrationLease + absl::Seconds(30);
  absl::Status status = MigrateSchema(options, migrations, deadline);
  if (!status.ok()) {
    Log(LogLevel::kError, "migrate_failed",
        {{"database", options.database}, {"error", status.ToString()}});
    return 1;
  }
  Log(LogLevel::kInfo, "migrate_done",
      {{"database", options.database},
       {"version", migrations.empty() ? "0" : std::to_string(migrations.back().version)}});
  return 0;
}

}  // namespace imp::db
