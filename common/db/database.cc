#include "common/db/database.h"

#include <cppconn/exception.h>

#include <utility>

#include "absl/time/clock.h"
#include "common/db/errors.h"
#include "common/db/transaction.h"
#include "common/log.h"

namespace imp::db {
namespace {

constexpr int kMaxConflictAttempts = 4;

}  // namespace

Database::Database(PoolOptions options, std::vector<Migration> migrations)
    : pool_(std::move(options)), migrations_(std::move(migrations)) {}

absl::Status Database::InTransaction(absl::Time deadline,
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
      Transaction tx(conn);
      absl::Status status = work(conn);
      if (!status.ok()) return status;  // rolled back by ~Transaction
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

absl::Status Database::CheckReady(absl::Time deadline) {
  auto lease = pool_.Acquire(deadline);
  if (!lease.ok()) return lease.status();
  if (!migrated_.load()) {
    absl::Status status = ApplyMigrations(**lease, migrations_);
    if (!status.ok()) return status;
    migrated_.store(true);
    return absl::OkStatus();
  }
  if (!(*lease)->Ping()) return absl::UnavailableError("database unavailable; retry later");
  return absl::OkStatus();
}

}  // namespace imp::db
