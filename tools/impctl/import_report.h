#ifndef IMP_TOOLS_IMPCTL_IMPORT_REPORT_H_
#define IMP_TOOLS_IMPCTL_IMPORT_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

// What an import did, in the forms people and scripts read: per-row errors on stderr and in
// --errors_csv, a final count line, and a JSON document with --json.
namespace imp::impctl {

// A row that was not imported. `line` is the CSV line the record starts on (the header is
// line 1), so an editor's "go to line" lands on it.
struct RowError {
  int64_t line = 0;
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  std::string field;  // the CSV column or the API field ("activity.start_date"); may be empty
  std::string reason;
  std::string error_reason;  // the ErrorInfo reason ("REFERENCE_INVALID"), when known
};

// The field and reason from the error's details (google.rpc BadRequest, PreconditionFailure,
// ErrorInfo): the service's, or for impctl's own mapping errors the ones common/status.h
// derives from its "<field>: <reason>" messages. No field when the details name none.
RowError RowErrorFromStatus(int64_t line, const absl::Status& status);
// "line 5: start_date: '2024-13-40' is not ..." (the form printed on stderr).
std::string FormatRowError(const RowError& error);

struct ImportReport {
  std::string kind;  // "institutions", "agreements" or "activities"
  int64_t rows = 0;  // data rows in the file
  int64_t imported = 0;
  int64_t existing = 0;  // already there (ALREADY_EXISTS without --strict)
  bool validate_only = false;
  bool replayed = false;  // the service had seen the request id and applied nothing again
  bool stopped = false;   // the import ended early (service unreachable, caller refused)
  std::vector<RowError> errors;
  // Failed rows the service counted but did not list (it lists at most 10,000).
  int64_t unlisted_failures = 0;

  int64_t failed() const { return static_cast<int64_t>(errors.size()) + unlisted_failures; }
  // Orders the errors by line (the API's come after the file's own otherwise).
  void SortErrors();
};

// The exit code of an import with row errors: 4 (rows rejected), except when every rejected row
// failed for the same reason that has its own code (7 all denied, 6 all already existing).
int ExitCodeForRowErrors(const std::vector<RowError>& errors);

// "imported 91 of 91 rows (0 failed)", with ", 3 already there" when some existed,
// "validated 91 rows (0 failed); nothing was applied" for --validate_only, or
// "import stopped early: 12 of 91 rows imported (0 failed)".
std::string SummaryLine(const ImportReport& report);
// The errors as CSV with the header line,field,reason.
std::string ErrorsCsv(const std::vector<RowError>& errors);
// The report as one JSON object (google.protobuf.Struct): kind, rows, imported, failed,
// already_there, validate_only, replayed, stopped, errors[{line, field, reason, error_reason}]
// (error_reason only when known).
std::string ReportJson(const ImportReport& report);

}  // namespace imp::impctl

#endif  // IMP_TOOLS_IMPCTL_IMPORT_REPORT_H_
