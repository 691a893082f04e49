#ifndef IMP_COMMON_DB_DB_METRICS_H_
#define IMP_COMMON_DB_DB_METRICS_H_

#include <array>
#include <cstddef>

#include "common/db/errors.h"
#include "common/metrics/metrics.h"

// The database layer's instruments (names fixed by issue #24's contract; the operator's table is
// in the README). Every series is looked up once, here; the hot path only touches atomics.
namespace imp::db {

class DbMetrics {
 public:
  static DbMetrics& Get() {
    static DbMetrics* const instance = new DbMetrics();
    return *instance;
  }

  metrics::Histogram& pool_wait() { return pool_wait_; }
  metrics::Histogram& statement() { return statement_; }
  void CountError(ErrorKind kind) { errors_[static_cast<size_t>(kind)]->Increment(); }
  // Only the four kinds the retry loops re-run (deadlock, lock_wait_timeout, certification,
  // connection_lost).
  void CountRetry(ErrorKind kind) {
    if (metrics::Counter* c = retries_[static_cast<size_t>(kind)]; c != nullptr) c->Increment();
  }

 private:
  DbMetrics()
      : pool_wait_(metrics::Registry::Default()
                       .AddHistogram("imp_db_pool_wait_seconds",
                                     "Time a call waited for a pooled database connection (a "
                                     "slot; connecting a fresh one is not included), including "
                                     "waits that ended at the caller's deadline.",
                                     {}, metrics::LatencyBuckets())
                       .With({})),
        statement_(
            metrics::Registry::Default()
                .AddHistogram(
                    "imp_db_statement_seconds",
                    "Time of one unit of database work: one attempt of a transaction (its "
                    "statements and COMMIT), one autocommit read (Database::Read), or one step of "
                    "an import's held transaction. Statements are run by service code on the "
                    "driver directly, so they are not timed one by one.",
                    {}, metrics::LatencyBuckets())
                .With({})) {
    metrics::Registry& registry = metrics::Registry::Default();
    auto& errors = registry.AddCounter(
        "imp_db_errors_total",
        "Database errors met by calls, by kind: deadlock, lock_wait_timeout, certification (a "
        "Galera conflict found at COMMIT), connection_lost (including failed connects), "
        "statement_timeout (max_statement_time from the caller's deadline), other. Each "
        "attempt's error counts, retried or not; duplicate keys (ALREADY_EXISTS) do not.",
        {"kind"});
    auto& retries = registry.AddCounter(
        "imp_db_retries_total",
        "Transactions (or reads) run again after an error, by reason: deadlock, "
        "lock_wait_timeout, certification, connection_lost.",
        {"reason"});
    for (size_t i = 0; i < kErrorKindNames.size(); ++i) {
      errors_[i] = &errors.With({kErrorKindNames[i]});
      const auto kind = static_cast<ErrorKind>(i);
      retries_[i] = kind == ErrorKind::kStatementTimeout || kind == ErrorKind::kOther
                        ? nullptr
                        : &retries.With({kErrorKindNames[i]});
    }
  }

  metrics::Histogram& pool_wait_;
  metrics::Histogram& statement_;
  std::array<metrics::Counter*, kErrorKindNames.size()> errors_{};
  std::array<metrics::Counter*, kErrorKindNames.size()> retries_{};
};

}  // namespace imp::db

#endif  // IMP_COMMON_DB_DB_METRICS_H_
