// impctl import: CSV files into the suite, with progress and a per-row error report.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/db/migrations.h"
#include "common/status.h"
#include "tools/impctl/commands.h"
#include "tools/impctl/csv.h"
#include "tools/impctl/flags.h"
#include "tools/impctl/mapping.h"

namespace imp::impctl {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;

struct RowError {
  int64_t line;
  std::string field;
  std::string reason;
};

// Progress on stderr: a bar on a terminal, a line every 10% otherwise.
class Progress {
 public:
  Progress(const char* what, size_t total)
      : what_(what), total_(total), tty_(isatty(STDERR_FILENO) == 1) {}
  void Update(size_t done) {
    if (total_ == 0) return;
    const int percent = static_cast<int>(done * 100 / total_);
    if (tty_) {
      const int filled = percent / 4;
      std::fprintf(stderr, "\r%s [%s%s] %zu/%zu", what_, std::string(filled, '#').c_str(),
                   std::string(25 - filled, '.').c_str(), done, total_);
      if (done == total_) std::fprintf(stderr, "\n");
    } else if (percent / 10 != last_decile_ || done == total_) {
      last_decile_ = percent / 10;
      std::fprintf(stderr, "%s: %zu/%zu rows\n", what_, done, total_);
    }
  }

 private:
  const char* what_;
  size_t total_;
  bool tty_;
  int last_decile_ = -1;
};

void AddError(std::vector<RowError>& errors, int64_t line, const absl::Status& status) {
  const std::string message(status.message());
  const size_t colon = message.find(": ");
  if (colon == std::string::npos) {
    errors.push_back({line, "", message});
  } else {
    errors.push_back({line, message.substr(0, colon), message.substr(colon + 2)});
  }
}

int Finish(const std::vector<RowError>& errors, size_t rows, size_t imported, size_t existing) {
  for (const auto& e : errors) {
    std::fprintf(stderr, "line %lld: %s%s%s\n", static_cast<long long>(e.line), e.field.c_str(),
                 e.field.empty() ? "" : ": ", e.reason.c_str());
  }
  const std::string path = absl::GetFlag(FLAGS_errors_csv);
  if (!path.empty()) {
    std::ofstream out(path);
    out << FormatCsvRecord({"line", "field", "reason"});
    for (const auto& e : errors) out << FormatCsvRecord({absl::StrCat(e.line), e.field, e.reason});
  }
  std::printf("imported %zu of %zu rows (%zu failed%s)\n", imported, rows, errors.size(),
              existing > 0 ? absl::StrCat(", ", existing, " already there").c_str() : "");
  return errors.empty() ? kExitOk : kExitInvalid;
}

// A retried import of the same file maps to the same request ids.
std::string RequestIdFor(const std::string& text) {
  const std::string given = absl::GetFlag(FLAGS_request_id);
  return given.empty() ? absl::StrCat("csv-", db::Sha256Hex(text).substr(0, 24)) : given;
}

// Creates one resource per CSV row with `create`, which maps the row and calls the service.
// A row that exists already counts as "already there" unless --strict; a service that cannot be
// reached or refuses the caller ends the import (every further row would fail the same way).
int ImportRowByRow(const char* what, const CsvTable& table,
                   const std::function<absl::Status(const CsvRecord&)>& create) {
  std::vector<RowError> errors;
  size_t imported = 0, existing = 0;
  Progress progress(what, table.records.size());
  for (size_t i = 0; i < table.records.size(); ++i) {
    const auto& rec = table.records[i];
    absl::Status s = create(rec);
    if (s.ok()) {
      ++imported;
    } else if (absl::IsAlreadyExists(s) && !absl::GetFlag(FLAGS_strict)) {
      ++existing;
    } else if (absl::IsUnavailable(s) || absl::IsUnauthenticated(s) ||
               absl::IsPermissionDenied(s)) {
      return ReportError(ToGrpcStatus(s));
    } else {
      AddError(errors, rec.line, s);
    }
    progress.Update(i + 1);
  }
  return Finish(errors, table.records.size(), imported, existing);
}

int ImportInstitutions(Client& client, const CsvTable& table, const std::string& request_id) {
  return ImportRowByRow("institutions", table, [&](const CsvRecord& rec) -> absl::Status {
    auto row = InstitutionFromCsv(rec.fields);
    if (!row.ok()) return row.status();
    reg::CreateInstitutionRequest req;
    req.set_institution_id(row->id);
    *req.mutable_institution() = row->institution;
    req.set_request_id(absl::StrCat(request_id, "-", rec.line));
    reg::Institution out;
    return FromGrpcStatus(client.registry().CreateInstitution(client.Context().get(), req, &out));
  });
}

// Brings a created agreement to the state the CSV says it is in.
grpc::Status ReachState(Client& client, const reg::Agreement& created,
                        reg::Agreement::State target) {
  if (created.state() == target) return grpc::Status::OK;
  reg::Agreement out;
  switch (target) {
    case reg::Agreement::STATE_SUSPENDED: {
      reg::SuspendAgreementRequest r;
      r.set_name(created.name());
      return client.registry().SuspendAgreement(client.Context().get(), r, &out);
    }
    case reg::Agreement::STATE_EXPIRED: {
      reg::ExpireAgreementRequest r;
      r.set_name(created.name());
      return client.registry().ExpireAgreement(client.Context().get(), r, &out);
    }
    case reg::Agreement::STATE_TERMINATED: {
      reg::TerminateAgreementRequest r;
      r.set_name(created.name());
      return client.registry().TerminateAgreement(client.Context().get(), r, &out);
    }
    default: return grpc::Status::OK;
  }
}

int ImportAgreements(Client& client, const CsvTable& table, const std::string& request_id) {
  return ImportRowByRow("agreements", table, [&](const CsvRecord& rec) -> absl::Status {
    auto row = AgreementFromCsv(rec.fields);
    if (!row.ok()) return row.status();
    reg::CreateAgreementRequest req;
    req.set_agreement_id(row->id);
    *req.mutable_agreement() = row->agreement;
    req.set_request_id(absl::StrCat(request_id, "-", rec.line));
    reg::Agreement out;
    grpc::Status s = client.registry().CreateAgreement(client.Context().get(), req, &out);
    if (s.ok()) s = ReachState(client, out, row->target_state);
    return FromGrpcStatus(s);
  });
}

int ImportActivities(Client& client, const CsvTable& table, const std::string& request_id) {
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode != "all_or_nothing" && mode != "best_effort") {
    std::fprintf(stderr, "impctl: --mode must be all_or_nothing or best_effort\n");
    return kExitUsage;
  }
  std::vector<RowError> errors;
  std::vector<act::ImportRow> rows;
  for (const auto& rec : table.records) {
    auto row = ActivityFromCsv(rec.fields);
    if (!row.ok()) {
      AddError(errors, rec.line, row.status());
      continue;
    }
    act::ImportRow r;
    r.set_row_number(rec.line);
    r.set_activity_id(row->id);
    *r.mutable_activity() = std::move(row->activity);
    rows.push_back(std::move(r));
  }
  // Rows that do not even map are this file's errors; all-or-nothing sends nothing then.
  if (!errors.empty() && mode == "all_or_nothing")
    return Finish(errors, table.records.size(), 0, 0);
  act::ImportActivitiesResponse resp;
  auto ctx = client.Context(absl::Minutes(15));
  auto writer = client.activity().ImportActivities(ctx.get(), &resp);
  Progress progress("activities (sending)", rows.size());
  constexpr size_t kChunk = 1000;
  for (size_t start = 0; start < rows.size() || start == 0; start += kChunk) {
    act::ImportActivitiesRequest msg;
    if (start == 0) {
      msg.set_request_id(request_id);
      msg.set_mode(mode == "best_effort" ? act::ImportActivitiesRequest::MODE_BEST_EFFORT
                                         : act::ImportActivitiesRequest::MODE_ALL_OR_NOTHING);
      msg.set_validate_only(absl::GetFlag(FLAGS_validate_only));
    }
    for (size_t i = start; i < std::min(rows.size(), start + kChunk); ++i)
      *msg.add_rows() = rows[i];
    if (!writer->Write(msg)) break;
    progress.Update(std::min(rows.size(), start + kChunk));
    if (rows.empty()) break;
  }
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  if (!s.ok()) return ReportError(s);
  for (const auto& e : resp.errors()) errors.push_back({e.row_number(), e.field(), e.reason()});
  if (absl::GetFlag(FLAGS_json)) std::printf("%s\n", Json(resp).c_str());
  if (resp.replayed())
    std::fprintf(stderr,
                 "impctl: this import was applied before (request id %s); nothing applied again\n",
                 request_id.c_str());
  return Finish(errors, table.records.size(), static_cast<size_t>(resp.rows_imported()), 0);
}

}  // namespace

int Import(Client& client, const std::vector<std::string>& args) {
  Kind kind;
  if (args.size() != 2 || !ParseKind(args[0], &kind)) {
    std::fprintf(stderr, "impctl: usage: impctl import KIND FILE.csv; see impctl --help\n");
    return kExitUsage;
  }
  std::ifstream in(args[1]);
  if (!in) {
    std::fprintf(stderr, "impctl: cannot read %s\n", args[1].c_str());
    return kExitUsage;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  auto table = ParseCsv(text);
  absl::Status header =
      table.ok() ? CheckHeader(table->header, kind == Kind::kInstitution ? kInstitutionColumns
                                              : kind == Kind::kAgreement ? kAgreementColumns
                                                                         : kActivityColumns)
                 : table.status();
  if (!header.ok()) {
    std::fprintf(stderr, "impctl: %s: %s\n", args[1].c_str(),
                 std::string(header.message()).c_str());
    return kExitUsage;
  }
  const std::string request_id = RequestIdFor(text);
  switch (kind) {
    case Kind::kInstitution: return ImportInstitutions(client, *table, request_id);
    case Kind::kAgreement: return ImportAgreements(client, *table, request_id);
    case Kind::kActivity: return ImportActivities(client, *table, request_id);
  }
  return kExitFailed;
}

}  // namespace imp::impctl
