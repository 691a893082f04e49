#ifndef IMP_COMMON_DB_ERRORS_H_
#define IMP_COMMON_DB_ERRORS_H_

#include <cppconn/exception.h>

#include <array>
#include <cstddef>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace imp::db {

// MySQL/MariaDB error codes the platform reacts to.
inline constexpr int kErrDuplicateKey = 1062;
inline constexpr int kErrLockWaitTimeout = 1205;
inline constexpr int kErrDeadlock = 1213;  // also Galera certification failures
// Galera: "WSREP has not yet prepared node for application use". The node is outside the
// cluster's primary component (it lost quorum) or still joining; it refuses every statement that
// touches a table until it is Synced, while its connections stay open.
inline constexpr int kErrNodeNotReady = 1047;
// ER_ERROR_DURING_COMMIT: a Galera node shutting down fails the COMMIT it is running
// (galera_test's rolling node restart saw it end an import as INTERNAL).
inline constexpr int kErrErrorDuringCommit = 1180;
inline constexpr int kErrServerShutdown = 1053;
inline constexpr int kErrTooManyConnections = 1040;
inline constexpr int kErrConnectionKilled = 1927;
inline constexpr int kErrStatementTimeout = 1969;
inline constexpr int kErrCannotConnectSocket = 2002;
inline constexpr int kErrCannotConnectTcp = 2003;
inline constexpr int kErrServerGone = 2006;
inline constexpr int kErrLostConnection = 2013;

// The connection is unusable after this error and must be discarded.
bool IsConnectionLost(int error_code);
// The transaction was rolled back by the server and may be retried as a whole.
bool IsRetryableConflict(int error_code);

// What went wrong with a statement, as imp_db_errors_total{kind} and imp_db_retries_total{reason}
// count it. A duplicate key is not among them: it is an answer (ALREADY_EXISTS), not a fault.
enum class ErrorKind : size_t {
  kDeadlock = 0,
  kLockWaitTimeout,
  // A conflict the cluster found at COMMIT: 1213 from COMMIT (or from the lost savepoint
  // Transaction::Commit reports) on a Galera node. A transaction aborted by a replicated write
  // before its COMMIT gets the same 1213 as an InnoDB deadlock and is counted as one.
  kCertification,
  kConnectionLost,
  kStatementTimeout,
  kOther,
};
inline constexpr std::array<const char*, 6> kErrorKindNames = {
    "deadlock",        "lock_wait_timeout", "certification",
    "connection_lost", "statement_timeout", "other"};

// The kind of `error_code`; `at_commit_on_galera`: raised by COMMIT on a Galera node. nullopt for
// a duplicate key, which is not counted as an error.
std::optional<ErrorKind> KindOf(int error_code, bool at_commit_on_galera = false);

// The one mapping from database errors to statuses. Clients never see SQL text: the details go
// to the log with `context` (the statement name), the client gets a stable message.
//   duplicate key -> ALREADY_EXISTS, lost connection / server down / Galera node not ready
//   -> UNAVAILABLE,
//   deadlock / lock wait -> ABORTED, statement timeout -> DEADLINE_EXCEEDED, else INTERNAL.
absl::Status MapSqlException(const sql::SQLException& e, absl::string_view context);

}  // namespace imp::db

#endif  // IMP_COMMON_DB_ERRORS_H_
