// impctl import KIND FILE.csv: reads and checks the file, runs the importer for its kind, and
// reports per row (stderr, --errors_csv), with a final count line (stdout) or --json.
#include "tools/impctl/import.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/db/migrations.h"
#include "tools/impctl/commands.h"
#include "tools/impctl/flags.h"
#include "tools/impctl/mapping.h"
#include "tools/impctl/mapping_project.h"
#include "tools/impctl/output.h"

namespace imp::impctl {
namespace {

const std::vector<std::string>& ColumnsOf(Kind kind) {
  switch (kind) {
    case Kind::kInstitution: return kInstitutionColumns;
    case Kind::kAgreement: return kAgreementColumns;
    case Kind::kActivity: return kActivityColumns;
    case Kind::kProject: return kProjectColumns;
  }
  return kInstitutionColumns;
}

// Without --request_id, the id derives from the file's content: re-running an interrupted
// import of the same file repeats the same request ids, so nothing is created twice.
std::string RequestIdFor(const std::string& text) {
  const std::string given = absl::GetFlag(FLAGS_request_id);
  return given.empty() ? absl::StrCat("csv-", db::Sha256Hex(text).substr(0, 24)) : given;
}

// Prints the report; returns false when --errors_csv cannot be written.
bool PrintReport(ImportReport& report, const std::string& request_id) {
  report.SortErrors();
  for (const auto& e : report.errors) std::fprintf(stderr, "%s\n", FormatRowError(e).c_str());
  if (report.unlisted_failures > 0) {
    std::fprintf(stderr, "... and %lld more failed rows the service did not list\n",
                 static_cast<long long>(report.unlisted_failures));
  }
  if (report.replayed) {
    std::fprintf(stderr,
                 "impctl: this import was applied before (request id %s); this is its first "
                 "answer and nothing was applied again\n",
                 request_id.c_str());
  }
  bool ok = true;
  const std::string path = absl::GetFlag(FLAGS_errors_csv);
  if (!path.empty()) {
    std::ofstream out(path, std::ios::binary);
    out << ErrorsCsv(report.errors);
    out.close();
    if (!out) {
      std::fprintf(stderr, "impctl: cannot write the error report to %s\n", path.c_str());
      ok = false;
    }
  }
  // With --json stdout carries exactly one JSON document; the line moves to stderr.
  const std::string line = SummaryLine(report);
  if (absl::GetFlag(FLAGS_json)) {
    std::printf("%s\n", ReportJson(report).c_str());
    std::fprintf(stderr, "%s\n", line.c_str());
  } else {
    std::printf("%s\n", line.c_str());
  }
  return ok;
}

}  // namespace

int Import(Client& client, const std::vector<std::string>& args) {
  Kind kind;
  if (args.size() != 2 || !ParseKind(args[0], &kind)) {
    std::fprintf(stderr, "impctl: usage: impctl import KIND FILE.csv; see impctl --help\n");
    return kExitUsage;
  }
  ImportOptions options;
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode != "all_or_nothing" && mode != "best_effort") {
    std::fprintf(stderr, "impctl: --mode must be all_or_nothing or best_effort, not '%s'\n",
                 mode.c_str());
    return kExitUsage;
  }
  options.best_effort = mode == "best_effort";
  options.validate_only = absl::GetFlag(FLAGS_validate_only);
  options.strict = absl::GetFlag(FLAGS_strict);
  if (kind != Kind::kActivity && (options.validate_only || options.best_effort)) {
    std::fprintf(stderr,
                 "impctl: --validate_only and --mode apply to activities only; institutions, "
                 "agreements and projects import row by row (each row is applied or reported)\n");
    return kExitUsage;
  }

  std::ifstream in(args[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "impctl: cannot read %s\n", args[1].c_str());
    return kExitUsage;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  auto table = ParseCsv(text);
  // Cells an export made spreadsheet-safe read back as they were stored (csv.h).
  if (table.ok()) {
    for (auto& record : table->records) record.fields = SpreadsheetPlain(std::move(record.fields));
  }
  absl::Status header = table.ok() ? CheckHeader(table->header, ColumnsOf(kind)) : table.status();
  if (!header.ok()) {
    std::fprintf(stderr, "impctl: %s: %s\n", args[1].c_str(),
                 std::string(header.message()).c_str());
    return kExitUsage;
  }

  options.request_id = RequestIdFor(text);
  // Row-by-row ids append "-<line>" and must stay within the API's 64 characters.
  if (kind != Kind::kActivity && options.request_id.size() > 50) {
    std::fprintf(stderr, "impctl: --request_id: at most 50 characters for %s\n", Collection(kind));
    return kExitUsage;
  }
  ImportReport report;
  report.kind = Collection(kind);
  report.rows = static_cast<int64_t>(table->records.size());
  report.validate_only = options.validate_only;
  grpc::Status stopped = kind == Kind::kActivity
                             ? ImportActivityRows(client, *table, options, &report)
                             : ImportRegistryRows(client, kind, *table, options, &report);
  report.stopped = !stopped.ok();
  const bool written = PrintReport(report, options.request_id);
  if (!stopped.ok()) {
    return ReportError(stopped);
  }
  if (kind == Kind::kActivity && !options.best_effort && report.failed() > 0 &&
      !options.validate_only) {
    std::fprintf(stderr,
                 "impctl: nothing was applied (--mode=all_or_nothing); fix the rows above and "
                 "run again, or import the valid rows with --mode=best_effort\n");
  }
  const int code = ExitCodeForRowErrors(report.errors);
  if (code == kExitOk && report.unlisted_failures > 0) return kExitInvalid;
  return code == kExitOk && !written ? kExitUsage : code;
}

}  // namespace imp::impctl
