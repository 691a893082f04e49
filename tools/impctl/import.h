#ifndef IMP_TOOLS_IMPCTL_IMPORT_H_
#define IMP_TOOLS_IMPCTL_IMPORT_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tools/impctl/client.h"
#include "tools/impctl/csv.h"
#include "tools/impctl/import_report.h"
#include "tools/impctl/kind.h"

// The importers behind `impctl import` (import.cc reads the file and prints the report). Each
// fills `report` as it goes; a status that is not OK means the import stopped early because the
// service cannot be reached or does not accept the caller (every further row would fail the same
// way), and `report` then holds what happened until then.
namespace imp::impctl {

struct ImportOptions {
  // Idempotency: row-by-row imports send "<request_id>-<line>" per row, activities send it once.
  std::string request_id;
  // Rows that exist already are errors rather than "already there".
  bool strict = false;
  // Activities: apply the valid rows even when others fail.
  bool best_effort = false;
  // Activities: check every row, apply nothing.
  bool validate_only = false;
};

// Whether an ALREADY_EXISTS answer to creating `name` ("institutions/okhmatdyt") is about that
// very resource, i.e. the row is already there: its reason is RESOURCE_EXISTS and its
// ResourceInfo names `name`. Another resource with the same display name and
// country is a conflict the row's author must resolve, not a success. An empty `name` (the
// service picks the id) accepts any: a previous run created it under a generated id.
bool IsTheRowItself(const absl::Status& already_exists, const std::string& name);

// Institutions, agreements or projects, one Create call per row (agreements then reach their CSV
// state through the lifecycle methods).
grpc::Status ImportRegistryRows(Client& client, Kind kind, const CsvTable& table,
                                const ImportOptions& options, ImportReport* report);

// Activities, through the streaming ActivityService.ImportActivities in chunks. An import is one
// transaction on the service, idempotent by its request id: retried with the same id, one that
// was rolled back is applied, and one that committed before its answer was lost replays that
// answer. So an UNAVAILABLE answer (the service draining or restarting, the gateway not yet
// reconnected to it, or a connection lost with the outcome unknown) is retried, up to
// kImportAttempts calls in all, after the pauses ImportRetryPause gives, each announced on
// stderr ("retrying in 2 s (attempt 3 of 6)"). Other errors are not retried.
grpc::Status ImportActivityRows(Client& client, const CsvTable& table, const ImportOptions& options,
                                ImportReport* report);

// Calls an activity import makes at most (the first and its retries on UNAVAILABLE).
inline constexpr int kImportAttempts = 6;
// The pause before the next call after `failed_attempts` calls answered UNAVAILABLE: 1 s, then
// doubling, at most 16 s (1 + 2 + 4 + 8 + 16 = 31 s of pauses in all); longer when the server's
// RetryInfo (`server_delay`) asks for it, up to that same 16 s.
absl::Duration ImportRetryPause(int failed_attempts, absl::Duration server_delay);
// The RetryInfo delay of `status`, zero when it carries none.
absl::Duration RetryDelayOf(const grpc::Status& status);

}  // namespace imp::impctl

#endif  // IMP_TOOLS_IMPCTL_IMPORT_H_
