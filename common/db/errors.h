#ifndef IMP_COMMON_DB_ERRORS_H_
#define IMP_COMMON_DB_ERRORS_H_

#include <cppconn/exception.h>

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

// The one mapping from database errors to statuses. Clients never see SQL text: the details go
// to the log with `context` (the statement name), the client gets a stable message.
//   duplicate key -> ALREADY_EXISTS, lost connection / server down / Galera node not ready
//   -> UNAVAILABLE,
//   deadlock / lock wait -> ABORTED, statement timeout -> DEADLINE_EXCEEDED, else INTERNAL.
absl::Status MapSqlException(const sql::SQLException& e, absl::string_view context);

}  // namespace imp::db

#endif  // IMP_COMMON_DB_ERRORS_H_
