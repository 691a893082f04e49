#ifndef IMP_TOOLS_IMPCTL_IMPORT_H_
#define IMP_TOOLS_IMPCTL_IMPORT_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"
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

// Activities, through the streaming ActivityService.ImportActivities in chunks.
grpc::Status ImportActivityRows(Client& client, const CsvTable& table, const ImportOptions& options,
                                ImportReport* report);

}  // namespace imp::impctl

#endif  // IMP_TOOLS_IMPCTL_IMPORT_H_
