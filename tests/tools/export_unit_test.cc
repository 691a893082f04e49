// The publishing exports without a network: the IATI mapping tables and writer (checked against
// the official 2.03 schema with xmllint), the HXL rows, and the paging and retry of reads.
#include <google/protobuf/text_format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tools/impctl/hxl.h"
#include "tools/impctl/iati.h"
#include "tools/impctl/iati_agreement.h"
#include "tools/impctl/iati_codes.h"
#include "tools/impctl/paging.h"

namespace imp::impctl {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;

std::string SourceDir() {
  const char* src = std::getenv("IMP_SOURCE_DIR");
  return src != nullptr ? src : IMP_SOURCE_DIR_DEFAULT;
}

template <typename Message>
Message Parse(const std::string& text) {
  Message m;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &m)) << text;
  return m;
}

google::type::Date Day(int y, int m, int d) {
  google::type::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

// xmllint's verdict on `xml` against the IATI 2.03 activity schema: "" when valid.
std::string SchemaErrors(const std::string& xml) {
  // ctest runs each case as its own process, in parallel: one file name per process.
  const std::string base = absl::StrCat(testing::TempDir(), "/iati-unit-", getpid());
  const std::string file = base + ".xml", errors = base + ".err";
  std::ofstream(file) << xml;
  const std::string command = absl::StrCat("xmllint --noout --schema '", SourceDir(),
                                           "/tests/tools/iati-2.03/iati-activities-schema.xsd' '",
                                           file, "' 2>'", errors, "'");
  if (std::system(command.c_str()) == 0) {
    std::remove(file.c_str());
    std::remove(errors.c_str());
    return "";
  }
  std::ifstream in(errors);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(file.c_str());
  std::remove(errors.c_str());
  return text.str().empty() ? "xmllint failed" : text.str();
}

iati::Organisation Publisher() { return {"UA-EDR-00012345", "10", {{"Ministry of Health", ""}}}; }

std::string Write(const std::vector<iati::Activity>& activities) {
  std::ostringstream out;
  iati::Writer writer(&out, Publisher(), "2026-01-02T03:04:05Z");
  for (const auto& a : activities) writer.Write(a);
  writer.End();
  return out.str();
}

const char kInstitutions[] = R"(
  name: "institutions/lviv" display_name: "Lviv Hospital" local_name: "Львівська лікарня"
  kind: KIND_HOSPITAL country: "UA" region: "UA-46")";

reg::Agreement Agreement(const std::string& extra) {
  return Parse<reg::Agreement>(absl::StrCat(R"(
    name: "agreements/lviv-lyon" title: "Lviv <-> Lyon & partners" kind: KIND_TWINNING_MEMORANDUM
    parties { institution: "institutions/lviv" role: ROLE_UKRAINIAN_PARTNER }
    parties { institution: "institutions/lyon" role: ROLE_FOREIGN_PARTNER }
    create_time { seconds: 1700000000 } update_time { seconds: 1700000000 } )",
                                            extra));
}

iati::Activity Map(const reg::Agreement& a, const act::GetActivityStatsResponse& stats = {}) {
  static const auto* institutions = [] {
    auto* m = new absl::flat_hash_map<std::string, reg::Institution>;
    (*m)["institutions/lviv"] = Parse<reg::Institution>(kInstitutions);
    return m;
  }();
  static const auto* labels = new std::map<std::string, std::string>{{"oncology", "Oncology"}};
  return iati::AgreementActivity(a, stats,
                                 {"UA-EDR-00012345", Day(2025, 6, 1), institutions, labels});
}

// Every cooperation-area code the registry's migrations insert.
std::set<std::string> RegistryAreaCodes() {
  std::set<std::string> codes;
  const std::regex row(R"(\(\s*'([a-z0-9-]+)'\s*,\s*'[^']*'\s*,\s*\d+\s*\))");
  for (const auto& file :
       std::filesystem::directory_iterator(SourceDir() + "/registry-service/migrations")) {
    std::ifstream in(file.path());
    std::stringstream text;
    text << in.rdbuf();
    const std::string sql = text.str();
    const size_t at = sql.find("INSERT INTO cooperation_areas");
    if (at == std::string::npos) continue;
    const std::string values = sql.substr(at, sql.find(';', at) - at);
    for (std::sregex_iterator it(values.begin(), values.end(), row), end; it != end; ++it) {
      codes.insert((*it)[1]);
    }
  }
  return codes;
}

TEST(IatiCodes, EveryCooperationAreaOfTheRegistryHasAFiveDigitDacCode) {
  const std::set<std::string> codes = RegistryAreaCodes();
  ASSERT_GE(codes.size(), 21u);
  for (const auto& code : codes) {
    const iati::AreaSector* sector = iati::SectorForArea(code);
    ASSERT_NE(sector, nullptr) << code << " has no row in the table of iati_codes.cc";
    EXPECT_TRUE(std::regex_match(sector->dac_code, std::regex("[1-9][0-9]{4}"))) << code;
  }
  EXPECT_EQ(iati::AreaSectors().size(), codes.size()) << "a row for an area the registry lacks";
}

TEST(IatiCodes, LifecycleStatesMapToActivityStatuses) {
  EXPECT_EQ(iati::ActivityStatus(reg::Agreement::STATE_PROPOSED), "1");
  EXPECT_EQ(iati::ActivityStatus(reg::Agreement::STATE_ACTIVE), "2");
  EXPECT_EQ(iati::ActivityStatus(reg::Agreement::STATE_SUSPENDED), "6");
  EXPECT_EQ(iati::ActivityStatus(reg::Agreement::STATE_EXPIRED), "4");
  EXPECT_EQ(iati::ActivityStatus(reg::Agreement::STATE_TERMINATED), "5");
  EXPECT_EQ(iati::OrganisationRole(reg::Party::ROLE_FUNDER), "1");
  EXPECT_EQ(iati::OrganisationRole(reg::Party::ROLE_UKRAINIAN_PARTNER), "4");
  EXPECT_EQ(iati::OrganisationType(reg::Institution::KIND_NGO, "UA"), "24");
  EXPECT_EQ(iati::OrganisationType(reg::Institution::KIND_NGO, "FR"), "21");
  EXPECT_TRUE(iati::IsOrganisationType("10"));
  EXPECT_FALSE(iati::IsOrganisationType("12"));
}

TEST(IatiAgreement, SectorSharesOfEachVocabularyAddUpToOneHundred) {
  // oncology and cardiology share 12350; surgery is 12191; an unknown area falls back to 12191.
  const iati::Activity a = Map(Agreement(
      R"(state: STATE_ACTIVE signed_on { year: 2024 month: 1 day: 2 }
         cooperation_areas: ["oncology", "surgery", "cardiology", "new-area"])"));
  std::map<std::string, double> totals;
  std::vector<std::string> dac;
  for (const auto& s : a.sectors) {
    double share = 0;
    ASSERT_TRUE(absl::SimpleAtod(s.percentage, &share)) << s.percentage;
    totals[s.vocabulary] += share;
    if (s.vocabulary == "1") dac.push_back(s.code);
  }
  EXPECT_EQ(dac, (std::vector<std::string>{"12350", "12191"}));
  EXPECT_EQ(a.sectors[0].percentage, "50");  // two of the four areas
  EXPECT_EQ(a.sectors[1].percentage, "50");
  EXPECT_NEAR(totals["1"], 100.0, 1e-9);
  EXPECT_NEAR(totals["99"], 100.0, 1e-9);
  EXPECT_EQ(a.sectors[0].narrative, "Other prevention and treatment of NCDs: Oncology, cardiology");
}

TEST(IatiAgreement, StartIsActualOnceSignedAndBegunPlannedBefore) {
  auto dates = [](const iati::Activity& a) {
    std::vector<std::string> out;
    for (const auto& d : a.dates) out.push_back(d.type + "@" + d.iso_date);
    return out;
  };
  EXPECT_EQ(dates(Map(Agreement(R"(state: STATE_ACTIVE signed_on { year: 2024 month: 1 day: 2 }
                                   valid_until { year: 2027 month: 1 day: 1 })"))),
            (std::vector<std::string>{"2@2024-01-02", "3@2027-01-01"}));
  // In force only from a later day: still planned.
  EXPECT_EQ(dates(Map(Agreement(R"(state: STATE_ACTIVE signed_on { year: 2025 month: 5 day: 2 }
                                   valid_from { year: 2025 month: 9 day: 1 })"))),
            (std::vector<std::string>{"1@2025-09-01"}));
  // Ran out: its last day is its actual end.
  EXPECT_EQ(dates(Map(Agreement(R"(state: STATE_EXPIRED signed_on { year: 2023 month: 1 day: 2 }
                                   valid_until { year: 2024 month: 12 day: 31 })"))),
            (std::vector<std::string>{"2@2023-01-02", "4@2024-12-31"}));
  // A proposal without dates: the day it was registered, saying so.
  const iati::Activity proposal = Map(Agreement("state: STATE_PROPOSED"));
  EXPECT_EQ(dates(proposal), (std::vector<std::string>{"1@2023-11-14"}));
  EXPECT_NE(proposal.dates[0].narrative.find("registered"), std::string::npos);
  EXPECT_EQ(proposal.status, "1");
}

TEST(IatiAgreement, PartiesBecomeParticipatingOrgsAndUkrainianOblastsLocations) {
  const iati::Activity a = Map(Agreement(R"(state: STATE_ACTIVE funders: "GIZ programme")"));
  ASSERT_EQ(a.participating_orgs.size(), 3u);
  EXPECT_EQ(a.participating_orgs[0].role, "4");
  EXPECT_EQ(a.participating_orgs[0].org.type, "15");
  ASSERT_EQ(a.participating_orgs[0].org.names.size(), 2u);
  EXPECT_EQ(a.participating_orgs[0].org.names[1].lang, "uk");
  EXPECT_EQ(a.participating_orgs[1].org.names[0].text, "lyon");  // not resolved: named by id
  EXPECT_EQ(a.participating_orgs[2].role, "1");
  ASSERT_EQ(a.locations.size(), 1u);
  EXPECT_EQ(a.locations[0].ref, "UA-46");
  EXPECT_EQ(a.identifier, "UA-EDR-00012345-lviv-lyon");
}

TEST(IatiAgreement, ResultHasAnIndicatorPerFigureAboveZeroAndAPeriodPerYear) {
  const auto stats = Parse<act::GetActivityStatsResponse>(R"(
    totals { activities: 3 participants: 12 visits: 1 }
    groups { keys { dimension: GROUP_BY_YEAR value: "2024" } totals { activities: 1 participants: 12 } }
    groups { keys { dimension: GROUP_BY_YEAR value: "2025" } totals { activities: 2 visits: 1 } })");
  const iati::Activity a = Map(Agreement("state: STATE_ACTIVE"), stats);
  ASSERT_EQ(a.results.size(), 1u);
  const auto& indicators = a.results[0].indicators;
  ASSERT_EQ(indicators.size(), 2u);  // trainees and visits; no zero operations
  ASSERT_EQ(indicators[0].periods.size(), 2u);
  EXPECT_EQ(indicators[0].periods[0].actual, 12);
  EXPECT_EQ(indicators[0].periods[1].start, "2025-01-01");
  EXPECT_EQ(indicators[0].periods[1].end, "2025-06-01");  // the year so far
  EXPECT_TRUE(Map(Agreement("state: STATE_ACTIVE")).results.empty());
}

TEST(IatiWriter, MappedAgreementsValidateAgainstTheOfficialSchema) {
  const auto stats = Parse<act::GetActivityStatsResponse>(R"(
    totals { activities: 1 operations: 3 }
    groups { keys { value: "2024" } totals { activities: 1 operations: 3 } })");
  const std::string xml =
      Write({Map(Agreement(R"(state: STATE_ACTIVE signed_on { year: 2024 month: 1 day: 2 }
                             cooperation_areas: "oncology" document_uri: "https://x.ua/m.pdf")"),
                 stats),
             Map(Agreement("state: STATE_PROPOSED"))});
  EXPECT_EQ(SchemaErrors(xml), "") << xml;
  EXPECT_NE(xml.find("<title>\n      <narrative>Lviv &lt;-&gt; Lyon &amp; partners</narrative>"),
            std::string::npos)
      << xml;
}

// What a project will need (budgets, transactions with provider and receiver, the agreement it
// belongs to) is written in the schema's order too.
TEST(IatiWriter, BudgetsAndTransactionsValidateAgainstTheOfficialSchema) {
  iati::Activity a = Map(Agreement("state: STATE_ACTIVE"));
  a.default_currency = "EUR";
  a.budgets.push_back({"1", "2", "2024-01-01", "2024-12-31", {"35000000", "", "2024-01-01"}});
  iati::Transaction t;
  t.type = "3";
  t.date = "2024-03-01";
  t.value = {"1250000.50", "EUR", "2024-03-01"};
  t.description = "First tranche";
  t.provider = {"FR-GOV-1", "10", {{"French State Treasury", ""}}};
  t.receiver = {"", "15", {{"Borodianka Central District Hospital", ""}}};
  a.transactions.push_back(t);
  a.related_activities.push_back({"UA-EDR-00012345-lviv-lyon", "1"});
  const std::string xml = Write({a});
  EXPECT_EQ(SchemaErrors(xml), "") << xml;
}

TEST(IatiWriter, TextIsEscapedAndCharactersXmlCannotCarryAreReplaced) {
  EXPECT_EQ(iati::XmlText("a<b>&\"c\""), "a&lt;b&gt;&amp;\"c\"");
  EXPECT_EQ(iati::XmlAttribute("x\"y\nz\tw"), "x&quot;y&#10;z&#9;w");
  EXPECT_EQ(iati::XmlText(std::string("bell\x07") + "\xEF\xBF\xBE"),
            "bell\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(iati::XmlText("\xC3"), "\xEF\xBF\xBD");  // a cut UTF-8 sequence
  EXPECT_EQ(iati::XmlText("Київ"), "Київ");
  iati::Activity a = Map(Agreement("state: STATE_ACTIVE"));
  a.title = std::string("Form\x0c feed ]]> <end>");
  EXPECT_EQ(SchemaErrors(Write({a})), "");
}

TEST(IatiWriter, NoActivityMeansNoDocument) {
  std::ostringstream out;
  iati::Writer writer(&out, Publisher(), "2026-01-02T03:04:05Z");
  EXPECT_FALSE(writer.End());
  EXPECT_EQ(out.str(), "");
}

TEST(Hxl, EveryColumnHasAnHxlHashtag) {
  const std::regex hashtag(R"(#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*)");
  std::set<std::string> seen;
  ASSERT_FALSE(hxl::Columns().empty());
  for (const auto& c : hxl::Columns()) {
    EXPECT_TRUE(std::regex_match(c.hashtag, hashtag)) << c.hashtag;
    EXPECT_TRUE(seen.insert(c.hashtag).second) << c.hashtag;
  }
}

TEST(Hxl, RowsCountWhatTheSummaryCounts) {
  const std::map<std::string, std::string> labels = {{"oncology", "Oncology"}};
  const auto host = Parse<reg::Institution>(kInstitutions);
  const auto training = Parse<act::Activity>(R"pb(
    name: "activities/t1"
    kind: KIND_TRAINING
    title: "=HYPERLINK(\"x\")"
    agreement: "agreements/a"
    host_institution: "institutions/lviv"
    cooperation_area: "oncology"
    start_date { year: 2024 month: 2 day: 3 }
    location { country: "UA" region: "UA-46" city: "Lviv" }
    training {
      participant_groups {
        institution: "institutions/lviv"
        profession: PROFESSION_DOCTOR
        headcount: 4
      }
      participant_groups {
        institution: "institutions/lviv"
        profession: PROFESSION_NURSE
        headcount: 6
      }
    })pb");
  const std::vector<std::string> row = hxl::Row(training, &host, labels);
  ASSERT_EQ(row.size(), hxl::Columns().size());
  EXPECT_EQ(row[0], "t1");
  EXPECT_EQ(row[1], "'=HYPERLINK(\"x\")");  // not a formula in a spreadsheet
  EXPECT_EQ(row[4], "Lviv Hospital");
  EXPECT_EQ(row[6], "Oncology");
  EXPECT_EQ(row[9], "UA-46");
  EXPECT_EQ(row[10], "Lviv oblast");
  EXPECT_EQ(row[13], "2024-02-03");  // end defaults to start
  EXPECT_EQ((std::vector<std::string>(row.end() - 6, row.end())),
            (std::vector<std::string>{"10", "4", "0", "0", "0", "0"}));

  const auto operation = Parse<act::Activity>(R"(
    kind: KIND_OPERATION operation { operations: 3 patients_treated: 2 }
    location { country: "FR" region: "Auvergne" })");
  const auto f = hxl::FiguresOf(operation);
  EXPECT_EQ(f.operations, 3);
  EXPECT_EQ(f.patients_helped, 2);
  const auto away = hxl::Row(operation, nullptr, labels);
  EXPECT_EQ(away[9], "");  // no oblast code abroad
  EXPECT_EQ(away[10], "Auvergne");
  EXPECT_EQ(hxl::FiguresOf(Parse<act::Activity>("telemedicine { consultations: 5 patients: 4 }"))
                .patients_helped,
            4);
  EXPECT_EQ(hxl::FiguresOf(Parse<act::Activity>("visit { specialists: 5 }")).visits, 1);
}

// RetryRead and the listings built on it (list, export KIND, the streaming exports), with a
// fake call standing in for the stub method.
TEST(Paging, ReadsShedForOverloadAreRetriedUntilTheyAnswer) {
  auto client = Client::FromFlags();
  ASSERT_TRUE(client.ok());
  int calls = 0;
  const grpc::Status s = RetryRead(*client, [&](grpc::ClientContext*) {
    return ++calls < 3 ? grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "server overloaded")
                       : grpc::Status::OK;
  });
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(calls, 3);
}

TEST(Paging, OtherErrorsAreNotRetriedAndRetriesEnd) {
  auto client = Client::FromFlags();
  ASSERT_TRUE(client.ok());
  int calls = 0;
  grpc::Status s = RetryRead(*client, [&](grpc::ClientContext*) {
    ++calls;
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "filter: bad");
  });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(calls, 1);
  calls = 0;
  s = RetryRead(*client, [&](grpc::ClientContext*) {
    ++calls;
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
  });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(calls, 5);
}

TEST(Paging, ListingEveryPageSurvivesAPageShedForOverload) {
  auto client = Client::FromFlags();
  ASSERT_TRUE(client.ok());
  bool shed = false;
  auto call = [&](grpc::ClientContext*, const reg::ListInstitutionsRequest& req,
                  reg::ListInstitutionsResponse* page) {
    if (req.page_token().empty()) {
      page->add_institutions()->set_name("institutions/a");
      page->set_next_page_token("p2");
      return grpc::Status::OK;
    }
    if (!shed) {  // the second page is refused once, as a busy server does
      shed = true;
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "server overloaded");
    }
    page->add_institutions()->set_name("institutions/b");
    return grpc::Status::OK;
  };
  reg::ListInstitutionsResponse all;
  ASSERT_TRUE(ListAllPages(*client, reg::ListInstitutionsRequest(), call, &all).ok());
  EXPECT_EQ(all.institutions_size(), 2);
  shed = false;
  int pages = 0;
  ASSERT_TRUE(ForEachPage<reg::ListInstitutionsResponse>(*client, reg::ListInstitutionsRequest(),
                                                         call,
                                                         [&](const reg::ListInstitutionsResponse&) {
                                                           ++pages;
                                                           return grpc::Status::OK;
                                                         })
                  .ok());
  EXPECT_EQ(pages, 2);
}

}  // namespace
}  // namespace imp::impctl
