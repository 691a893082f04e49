// libFuzzer harness: `impctl import` on any file. The input is the file: ParseCsv reads it, each
// record is mapped to the request impctl would send for institutions, agreements, activities and
// projects (mapping.h, mapping_project.h; every record through all four mappings, its cells
// padded or cut to the columns),
// and the errors go into the report impctl prints and writes (--errors_csv).
//
// Properties: no crash, leak or undefined behaviour, memory linear in the file; every error
// INVALID_ARGUMENT naming its line or column, at most 2 KB; the CSV writer and the parser agree
// (FormatCsvRecord then ParseCsv gives back the same cells, for the records read and for the
// error report); every request a row maps to can travel (the wire format carries it unchanged);
// the export mapping and the import mapping agree (a resource exported and read back is the same
// resource); every exported cell is inert in a spreadsheet (no formula) and reads back unchanged.
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "imp/activity/v1/activity.pb.h"
#include "imp/registry/v1/registry.pb.h"
#include "tests/fuzz/fuzz_checks.h"
#include "tools/impctl/csv.h"
#include "tools/impctl/import_report.h"
#include "tools/impctl/mapping.h"
#include "tools/impctl/mapping_project.h"

namespace {

using imp::fuzz::Fail;
namespace impctl = imp::impctl;
namespace act = imp::activity::v1;
namespace reg = imp::registry::v1;

constexpr size_t kMaxErrorBytes = 2048;
// Records mapped per input: enough to mix kinds, few enough to keep executions fast.
constexpr size_t kMaxMappedRecords = 16;

void CheckError(const absl::Status& s, absl::string_view what) {
  if (s.code() != absl::StatusCode::kInvalidArgument || s.message().empty() ||
      s.message().size() > kMaxErrorBytes) {
    Fail(std::string(what).c_str(), s.ToString().substr(0, 4096));
  }
}

bool SameCells(const impctl::CsvTable& a, const impctl::CsvTable& b) {
  if (a.header != b.header || a.records.size() != b.records.size()) return false;
  for (size_t i = 0; i < a.records.size(); ++i) {
    if (a.records[i].fields != b.records[i].fields) return false;
  }
  return true;
}

// FormatCsvRecord then ParseCsv: the same cells.
void CheckWriterRoundTrip(const impctl::CsvTable& table, const char* what) {
  std::string text = impctl::FormatCsvRecord(table.header);
  for (const auto& r : table.records) text += impctl::FormatCsvRecord(r.fields);
  auto again = impctl::ParseCsv(text);
  if (!again.ok()) Fail(what, absl::StrCat(again.status().ToString(), "\n", text).substr(0, 4096));
  if (!SameCells(table, *again)) Fail(what, text.substr(0, 4096));
}

// A cell a spreadsheet would not run: it starts with none of = + - @ tab CR, or is a number.
bool SpreadsheetInert(absl::string_view cell) {
  if (cell.empty() || absl::string_view("=+-@\t\r").find(cell[0]) == absl::string_view::npos) {
    return true;
  }
  size_t i = 1, digits = 0, dots = 0;
  if (cell[0] != '-' && cell[0] != '+') return false;
  for (; i < cell.size(); ++i) {
    if (cell[i] == '.' && dots == 0 && digits > 0) {
      ++dots;
    } else if (cell[i] >= '0' && cell[i] <= '9') {
      ++digits;
    } else {
      return false;
    }
  }
  return digits > 0 && cell.back() != '.';
}

// Export cells are inert in a spreadsheet, and an import reads back exactly what was exported.
void CheckSpreadsheetSafe(const std::vector<std::string>& cells) {
  const std::vector<std::string> safe = impctl::SpreadsheetSafe(cells);
  for (const auto& cell : safe) {
    if (!SpreadsheetInert(cell)) Fail("an exported cell a spreadsheet would run", cell);
  }
  if (impctl::SpreadsheetPlain(safe) != cells) {
    Fail("SpreadsheetPlain does not undo SpreadsheetSafe", absl::StrJoin(cells, ","));
  }
}

// The wire format carries `request` unchanged (gRPC refuses to deliver what it cannot parse).
void CheckTravels(const google::protobuf::Message& request, const char* kind) {
  std::string wire;
  std::unique_ptr<google::protobuf::Message> received(request.New());
  if (!request.SerializeToString(&wire) || !received->ParseFromString(wire) ||
      !google::protobuf::util::MessageDifferencer::Equals(request, *received)) {
    Fail("a row maps to a request the wire cannot carry", kind);
  }
}

// A mapping error: INVALID_ARGUMENT "<column>: <reason>", short, and the report's row error
// (field and reason) survives the --errors_csv writer.
void CheckMappingError(const absl::Status& s, int line, const std::vector<std::string>& columns) {
  CheckError(s, "mapping error");
  bool names_column = false;
  for (const auto& c : columns)
    names_column = names_column || absl::StartsWith(s.message(), c + ": ");
  names_column = names_column || absl::StartsWith(s.message(), "participants: ") ||
                 absl::StartsWith(s.message(), "parties: ");
  if (!names_column) Fail("a mapping error that names no column", s.ToString().substr(0, 4096));
  const impctl::RowError e = impctl::RowErrorFromStatus(line, s);
  if (e.field.empty()) Fail("a row error without its field", s.ToString().substr(0, 4096));
  auto report = impctl::ParseCsv(impctl::ErrorsCsv({e}));
  if (!report.ok() || report->records.size() != 1 ||
      report->records[0].fields !=
          std::vector<std::string>{absl::StrCat(line), e.field, e.reason}) {
    Fail("the errors CSV does not read back", s.ToString().substr(0, 4096));
  }
}

act::Activity::Kind KindOf(const act::Activity& a) {
  switch (a.details_case()) {
    case act::Activity::kTraining: return act::Activity::KIND_TRAINING;
    case act::Activity::kOperation: return act::Activity::KIND_OPERATION;
    case act::Activity::kVisit: return act::Activity::KIND_VISIT;
    case act::Activity::kTelemedicine: return act::Activity::KIND_TELEMEDICINE;
    case act::Activity::kEvent: return act::Activity::KIND_EVENT;
    case act::Activity::DETAILS_NOT_SET: break;
  }
  return act::Activity::KIND_UNSPECIFIED;
}

template <typename M>
void CheckSame(const M& first, const M& again, const char* kind) {
  if (!google::protobuf::util::MessageDifferencer::Equals(first, again)) {
    Fail("export then import changes the resource",
         absl::StrCat(kind, "\n", first.DebugString(), "\n", again.DebugString()).substr(0, 4096));
  }
}

void MapRecord(const impctl::CsvRecord& record) {
  auto cells = [&](const std::vector<std::string>& columns) {
    std::vector<std::string> f = record.fields;
    f.resize(columns.size());
    return f;
  };
  if (auto in = impctl::InstitutionFromCsv(cells(impctl::kInstitutionColumns)); !in.ok()) {
    CheckMappingError(in.status(), record.line, impctl::kInstitutionColumns);
  } else {
    reg::CreateInstitutionRequest req;
    req.set_institution_id(in->id);
    *req.mutable_institution() = in->institution;
    CheckTravels(req, "institution");
    reg::Institution exported = in->institution;
    exported.set_name(absl::StrCat("institutions/", in->id));
    auto again = impctl::InstitutionFromCsv(impctl::InstitutionToCsv(exported));
    if (!again.ok() || again->id != in->id) Fail("institution export does not import", "");
    CheckSame(in->institution, again->institution, "institution");
  }
  if (auto ag = impctl::AgreementFromCsv(cells(impctl::kAgreementColumns)); !ag.ok()) {
    CheckMappingError(ag.status(), record.line, impctl::kAgreementColumns);
  } else {
    reg::CreateAgreementRequest req;
    req.set_agreement_id(ag->id);
    *req.mutable_agreement() = ag->agreement;
    CheckTravels(req, "agreement");
    reg::Agreement exported = ag->agreement;
    exported.set_name(absl::StrCat("agreements/", ag->id));
    auto again = impctl::AgreementFromCsv(impctl::AgreementToCsv(exported));
    if (!again.ok() || again->id != ag->id) Fail("agreement export does not import", "");
    CheckSame(ag->agreement, again->agreement, "agreement");
  }
  if (auto ac = impctl::ActivityFromCsv(cells(impctl::kActivityColumns)); !ac.ok()) {
    CheckMappingError(ac.status(), record.line, impctl::kActivityColumns);
  } else {
    // As ImportActivityRows sends it.
    act::ImportActivitiesRequest req;
    auto* row = req.add_rows();
    row->set_row_number(record.line);
    row->set_activity_id(ac->id);
    *row->mutable_activity() = ac->activity;
    CheckTravels(req, "activity");
    // As the service returns it: named, with the kind its details give.
    act::Activity exported = ac->activity;
    exported.set_name(absl::StrCat("activities/", ac->id));
    exported.set_kind(KindOf(exported));
    auto again = impctl::ActivityFromCsv(impctl::ActivityToCsv(exported));
    if (!again.ok()) Fail("activity export does not import", again.status().ToString());
    if (again->id != ac->id) Fail("activity export changes the id", ac->id);
    CheckSame(ac->activity, again->activity, "activity");
  }
  if (auto pr = impctl::ProjectFromCsv(cells(impctl::kProjectColumns)); !pr.ok()) {
    CheckMappingError(pr.status(), record.line, impctl::kProjectColumns);
  } else {
    reg::CreateProjectRequest req;  // as ImportRegistryRows sends it
    req.set_project_id(pr->id);
    *req.mutable_project() = pr->project;
    CheckTravels(req, "project");
    // As the service returns it: named, each deliverable's delivered quantity filled in (the
    // export must leave output-only fields out).
    reg::Project exported = pr->project;
    exported.set_name(absl::StrCat("projects/", pr->id));
    for (auto& d : *exported.mutable_deliverables()) d.set_delivered_quantity(1);
    auto again = impctl::ProjectFromCsv(impctl::ProjectToCsv(exported));
    if (!again.ok()) Fail("project export does not import", again.status().ToString());
    if (again->id != pr->id) Fail("project export changes the id", pr->id);
    CheckSame(pr->project, again->project, "project");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto table = impctl::ParseCsv(text);
  if (!table.ok()) {
    CheckError(table.status(), "ParseCsv error");
    if (!absl::StartsWith(table.status().message(), "line ") &&
        !absl::StartsWith(table.status().message(), "the file is empty")) {
      Fail("a ParseCsv error that names no line", table.status().ToString());
    }
    return 0;
  }
  // Memory linear in the file: no more cells than separators.
  size_t cells = table->header.size();
  for (const auto& r : table->records) cells += r.fields.size();
  if (cells > size + 1) Fail("more cells than the file has bytes", absl::StrCat(cells));
  CheckWriterRoundTrip(*table, "FormatCsvRecord then ParseCsv changes the cells");
  for (const auto& r : table->records) CheckSpreadsheetSafe(r.fields);
  for (const auto* columns : {&impctl::kInstitutionColumns, &impctl::kAgreementColumns,
                              &impctl::kActivityColumns, &impctl::kProjectColumns}) {
    absl::Status header = impctl::CheckHeader(table->header, *columns);
    if (!header.ok()) CheckError(header, "CheckHeader error");
  }
  for (size_t i = 0; i < table->records.size() && i < kMaxMappedRecords; ++i) {
    MapRecord(table->records[i]);
  }
  return 0;
}
