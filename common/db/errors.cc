#include "common/db/errors.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace imp::db {

bool IsConnectionLost(int error_code) {
  switch (error_code) {
    case kErrServerShutdown:
    case kErrConnectionKilled:
    case kErrCannotConnectSocket:
    case kErrCannotConnectTcp:
    case kErrServerGone:
    case kErrLostConnection: return true;
    default: return false;
  }
}

bool IsRetryableConflict(int error_code) {
  return error_code == kErrDeadlock || error_code == kErrLockWaitTimeout;
}

std::optional<ErrorKind> KindOf(int error_code, bool at_commit_on_galera) {
  if (error_code == kErrDuplicateKey) return std::nullopt;
  if (error_code == kErrDeadlock) {
    return at_commit_on_galera ? ErrorKind::kCertification : ErrorKind::kDeadlock;
  }
  if (error_code == kErrLockWaitTimeout) return ErrorKind::kLockWaitTimeout;
  if (IsConnectionLost(error_code)) return ErrorKind::kConnectionLost;
  if (error_code == kErrStatementTimeout) return ErrorKind::kStatementTimeout;
  return ErrorKind::kOther;
}

absl::Status MapSqlException(const sql::SQLException& e, absl::string_view context) {
  const int code = e.getErrorCode();
  Log(LogLevel::kWarning, "sql_error",
      {{"context", std::string(context)},
       {"code", absl::StrCat(code)},
       {"sqlstate", e.getSQLStateCStr()},
       {"message", e.what()}});
  if (code == kErrDuplicateKey) return absl::AlreadyExistsError("the resource already exists");
  if (IsConnectionLost(code) || code == kErrTooManyConnections) {
    return absl::UnavailableError("database unavailable; retry later");
  }
  // Another replica, on a node of the primary component, can serve the call: the health check
  // of this one says NOT_SERVING meanwhile (Database::CheckReady), so balancers move away.
  if (code == kErrNodeNotReady) {
    return absl::UnavailableError(
        "database node not ready (not in the cluster's primary "
        "component, or still joining); retry later");
  }
  // The outcome is the database's to know: every write that can meet it carries a request id,
  // so the client's retry either replays the committed answer or writes it once.
  if (code == kErrErrorDuringCommit) {
    return absl::UnavailableError(
        "the database could not complete the commit (error 1180, e.g. its node is shutting "
        "down); retry with the same request_id");
  }
  if (IsRetryableConflict(code)) {
    return absl::AbortedError("concurrent modification conflict; retry the request");
  }
  if (code == kErrStatementTimeout) return absl::DeadlineExceededError("database query timed out");
  return absl::InternalError(absl::StrCat("database error (", code, ") in ", context));
}

}  // namespace imp::db
