#include "common/db/database.h"

#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <string>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/db/db_metrics.h"
#include "common/db/errors.h"
#include "common/log.h"

namespace imp::db {
namespace {

constexpr int kMaxConflictAttempts = 4;

// The readiness probe reads a table, because `SELECT 1` is not enough under Galera: a node outside
// the primary component (or still joining) answers it but refuses every statement that touches a
// table (error 1047), so a probe by `SELECT 1` would keep a replica SERVING whose calls all fail.
constexpr Statement kProbe{"readiness_probe", "SELECT version FROM schema_migrations LIMIT 1"};

// Galera's flow control and receive queue, read by the readiness probe (one round trip).
constexpr char kGaleraStatus[] =
    "SHOW GLOBAL STATUS WHERE Variable_name IN "
    "('wsrep_flow_control_paused_ns', 'wsrep_local_recv_queue')";

// Times one unit of database work into imp_db_statement_seconds: from construction to Stop()
// or destruction, whichever comes first.
class WorkTimer {
 public:
  WorkTimer() : started_(absl::Now()) {}
  ~WorkTimer() { Stop(); }
  WorkTimer(const WorkTimer&) = delete;
  WorkTimer& operator=(const WorkTimer&) = delete;
  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    DbMetrics::Get().statement().Observe(absl::ToDoubleSeconds(absl::Now() - started_));
  }

 private:
  const absl::Time started_;
  bool stopped_ = false;
};

// Counts `e` in imp_db_errors_total; returns its kind (nullopt: not counted).
std::optional<ErrorKind> CountError(const sql::SQLException& e, bool at_commit_on_galera) {
  std::optional<ErrorKind> kind = KindOf(e.getErrorCode(), at_commit_on_galera);
  if (kind) DbMetrics::Get().CountError(*kind);
  return kind;
}

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
    : pool_(std::move(options)), migrations_(std::move(migrations)) {
  RegisterGaleraSources();
}

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
    WorkTimer timer;
    try {
      LimitToDeadline(conn, deadline);
      Transaction tx(conn);
      absl::Status status = work(conn);
      if (!status.ok()) {
        tx.RollBackWork();  // a transaction ended under the work: retried as a conflict
        return status;      // rolled back by ~Transaction
      }
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
      timer.Stop();
      const int code = e.getErrorCode();
      const std::optional<ErrorKind> kind = CountError(e, committing && conn.galera());
      if (IsConnectionLost(code)) {
        conn.MarkBroken();
        if (!committing && !retried_lost_connection && absl::Now() < deadline) {
          retried_lost_connection = true;
          DbMetrics::Get().CountRetry(ErrorKind::kConnectionLost);
          continue;
        }
        return MapSqlException(e, "transaction");
      }
      if (IsRetryableConflict(code) && attempt < kMaxConflictAttempts &&
          absl::Now() + backoff < deadline) {
        Log(LogLevel::kDebug, "db_conflict_retry", {{"attempt", std::to_string(attempt)}});
        DbMetrics::Get().CountRetry(*kind);
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
    WorkTimer timer;
    try {
      LimitToDeadline(**lease, deadline);
      return work(**lease);
    } catch (const sql::SQLException& e) {
      timer.Stop();
      CountError(e, false);
      if (IsConnectionLost(e.getErrorCode())) {
        (*lease)->MarkBroken();
        if (attempt == 1 && absl::Now() < deadline) {
          DbMetrics::Get().CountRetry(ErrorKind::kConnectionLost);
          continue;
        }
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
  WorkTimer timer;
  try {
    absl::Status status = work(*lease_);
    if (!status.ok()) {
      failed_ = status;
      tx_.reset();
    }
    return status;
  } catch (const sql::SQLException& e) {
    timer.Stop();
    CountError(e, committing_ && lease_->galera());
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
  committing_ = true;
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
  if (probe_->galera()) {
    ReadGaleraStatus(*probe_);
  } else {
    galera_read_.store(false);
  }
  return absl::OkStatus();
}

void Database::ReadGaleraStatus(Connection& conn) {
  try {
    std::unique_ptr<sql::Statement> show(conn.raw().createStatement());
    std::unique_ptr<sql::ResultSet> rs(show->executeQuery(kGaleraStatus));
    while (rs->next()) {
      const std::string name = rs->getString(1);
      double value = 0;
      if (!absl::SimpleAtod(std::string(rs->getString(2)), &value)) continue;
      if (name == "wsrep_flow_control_paused_ns") {
        galera_paused_seconds_.store(value / 1e9);
      } else if (name == "wsrep_local_recv_queue") {
        galera_recv_queue_.store(value);
      }
    }
    galera_read_.store(true);
  } catch (const sql::SQLException& e) {
    // The figures keep their last values; readiness is the probe's statement's alone.
    if (IsConnectionLost(e.getErrorCode())) conn.MarkBroken();
  }
}

void Database::RegisterGaleraSources() {
  metrics::Registry& registry = metrics::Registry::Default();
  galera_sources_.push_back(registry.AddSource(
      "imp_db_galera_flow_control_paused_seconds_total",
      "Seconds the Galera node this process uses has paused replication for flow control since "
      "it started (wsrep_flow_control_paused_ns, read by the readiness probe every 500 ms). "
      "Only while the node has wsrep on. A rate near 1 means the cluster writes at the pace of "
      "its slowest node.",
      metrics::Type::kCounter, {}, [this](std::vector<metrics::Sample>& out) {
        if (galera_read_.load()) out.push_back({{}, galera_paused_seconds_.load()});
      }));
  galera_sources_.push_back(registry.AddSource(
      "imp_db_galera_recv_queue",
      "Write sets the Galera node this process uses has received and not yet applied "
      "(wsrep_local_recv_queue, read by the readiness probe every 500 ms). Only while the "
      "node has wsrep on.",
      metrics::Type::kGauge, {}, [this](std::vector<metrics::Sample>& out) {
        if (galera_read_.load()) out.push_back({{}, galera_recv_queue_.load()});
      }));
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
