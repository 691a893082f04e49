// impctl's CSV reader/writer and CSV <-> resource mapping, without a network.
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "tools/impctl/csv.h"
#include "tools/impctl/mapping.h"

namespace imp::impctl {
namespace {

std::string ReadDemo(const std::string& name) {
  const char* src = std::getenv("IMP_SOURCE_DIR");
  std::ifstream in(std::string(src != nullptr ? src : IMP_SOURCE_DIR_DEFAULT) + "/deploy/demo/" +
                   name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

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

TEST(Csv, MalformedRecordsNameTheLine) {
  EXPECT_NE(ParseCsv("a,b\n1,2\n3\n").status().message().find("line 3"), std::string::npos);
  EXPECT_NE(ParseCsv("a,b\n1,\"open\n").status().message().find("unterminated"), std::string::npos);
  EXPECT_FALSE(ParseCsv("").ok());
}

// Every demo file maps to resources and back to the same cells.
TEST(Mapping, DemoFilesRoundTrip) {
  auto institutions = ParseCsv(ReadDemo("institutions.csv"));
  ASSERT_TRUE(institutions.ok());
  ASSERT_TRUE(CheckHeader(institutions->header, kInstitutionColumns).ok());
  for (const auto& rec : institutions->records) {
    auto row = InstitutionFromCsv(rec.fields);
    ASSERT_TRUE(row.ok()) << "line " << rec.line << ": " << row.status();
    row->institution.set_name("institutions/" + row->id);
    EXPECT_EQ(InstitutionToCsv(row->institution), rec.fields) << "line " << rec.line;
  }
  auto agreements = ParseCsv(ReadDemo("agreements.csv"));
  ASSERT_TRUE(agreements.ok());
  for (const auto& rec : agreements->records) {
    auto row = AgreementFromCsv(rec.fields);
    ASSERT_TRUE(row.ok()) << "line " << rec.line << ": " << row.status();
    row->agreement.set_name("agreements/" + row->id);
    row->agreement.set_state(row->target_state);
    EXPECT_EQ(AgreementToCsv(row->agreement), rec.fields) << "line " << rec.line;
  }
  auto activities = ParseCsv(ReadDemo("activities.csv"));
  ASSERT_TRUE(activities.ok());
  for (const auto& rec : activities->records) {
    auto row = ActivityFromCsv(rec.fields);
    ASSERT_TRUE(row.ok()) << "line " << rec.line << ": " << row.status();
    row->activity.set_name("activities/" + row->id);
    row->activity.set_kind(
        static_cast<activity::v1::Activity::Kind>(activity::v1::Activity::Kind_descriptor()
                                                      ->FindValueByName("KIND_" + rec.fields[1])
                                                      ->number()));
    EXPECT_EQ(ActivityToCsv(row->activity), rec.fields) << "line " << rec.line;
  }
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

  std::vector<std::string> act(kActivityColumns.size());
  act[1] = "TRAINING";
  act[14] = "INTERNSHIP";
  act[15] = "lviv:DOCTOR";
  EXPECT_EQ(ActivityFromCsv(act).status().message().rfind("participants:", 0), 0u);
  act[15] = "lviv:SURGEON:3";
  EXPECT_EQ(ActivityFromCsv(act).status().message().rfind("participants: 'SURGEON'", 0), 0u);
  act[1] = "PICNIC";
  EXPECT_EQ(ActivityFromCsv(act).status().message().rfind("kind:", 0), 0u);
}

}  // namespace
}  // namespace imp::impctl
