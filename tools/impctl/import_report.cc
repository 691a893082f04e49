#include "tools/impctl/import_report.h"

#include <google/protobuf/struct.pb.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/api/errors.h"
#include "common/status.h"
#include "tools/impctl/client.h"
#include "tools/impctl/csv.h"
#include "tools/impctl/output.h"

namespace imp::impctl {

RowError RowErrorFromStatus(int64_t line, const absl::Status& status) {
  // A service's error carries its details already; impctl's own have them derived here, by the
  // one interpretation of the message convention (common/status.h).
  const absl::Status s = WithDerivedDetails(status);
  RowError e{line, s.code(), api::FieldOf(s), api::FieldDescriptionOf(s), api::ReasonOf(s)};
  if (e.reason.empty()) {
    // No violation describes the field (ALREADY_EXISTS names it in ErrorInfo): the message,
    // without the field it starts with when it does.
    absl::string_view message = s.message();
    if (!e.field.empty()) absl::ConsumePrefix(&message, absl::StrCat(e.field, ": "));
    e.reason = std::string(message);
  }
  return e;
}

std::string FormatRowError(const RowError& error) {
  return absl::StrCat("line ", error.line, ": ", error.field, error.field.empty() ? "" : ": ",
                      error.reason);
}

void ImportReport::SortErrors() {
  std::stable_sort(errors.begin(), errors.end(),
                   [](const RowError& a, const RowError& b) { return a.line < b.line; });
}

int ExitCodeForRowErrors(const std::vector<RowError>& errors) {
  if (errors.empty()) return kExitOk;
  const absl::StatusCode code = errors.front().code;
  const bool same =
      std::all_of(errors.begin(), errors.end(), [&](const RowError& e) { return e.code == code; });
  if (same &&
      (code == absl::StatusCode::kPermissionDenied || code == absl::StatusCode::kAlreadyExists)) {
    return ExitCodeFor(static_cast<grpc::StatusCode>(code));
  }
  return kExitInvalid;
}

std::string SummaryLine(const ImportReport& r) {
  const std::string existing =
      r.existing > 0 ? absl::StrCat(", ", r.existing, " already there") : "";
  if (r.stopped) {
    return absl::StrCat("import stopped early: ", r.imported, " of ", r.rows, " rows imported (",
                        r.failed(), " failed", existing, ")");
  }
  if (r.validate_only) {
    return absl::StrCat("validated ", r.rows, " rows (", r.failed(), " failed", existing,
                        "); nothing was applied");
  }
  return absl::StrCat("imported ", r.imported, " of ", r.rows, " rows (", r.failed(), " failed",
                      existing, ")");
}

std::string ErrorsCsv(const std::vector<RowError>& errors) {
  std::string out = FormatCsvRecord({"line", "field", "reason"});
  for (const auto& e : errors) out += FormatCsvRecord({absl::StrCat(e.line), e.field, e.reason});
  return out;
}

std::string ReportJson(const ImportReport& r) {
  google::protobuf::Struct doc;
  auto& f = *doc.mutable_fields();
  f["kind"].set_string_value(r.kind);
  f["rows"].set_number_value(static_cast<double>(r.rows));
  f["imported"].set_number_value(static_cast<double>(r.imported));
  f["failed"].set_number_value(static_cast<double>(r.failed()));
  f["already_there"].set_number_value(static_cast<double>(r.existing));
  f["validate_only"].set_bool_value(r.validate_only);
  f["replayed"].set_bool_value(r.replayed);
  f["stopped"].set_bool_value(r.stopped);
  auto* list = f["errors"].mutable_list_value();
  for (const auto& e : r.errors) {
    auto& row = *list->add_values()->mutable_struct_value()->mutable_fields();
    row["line"].set_number_value(static_cast<double>(e.line));
    row["field"].set_string_value(e.field);
    row["reason"].set_string_value(e.reason);
    if (!e.error_reason.empty()) row["error_reason"].set_string_value(e.error_reason);
  }
  return Json(doc);
}

}  // namespace imp::impctl
