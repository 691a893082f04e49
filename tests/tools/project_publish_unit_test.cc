// Projects published without a network: the IATI mapping (checked against the official 2.03
// schema with xmllint, on the demo projects and on random ones) and the CSV format (round trip,
// errors naming the column).
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tools/impctl/csv.h"
#include "tools/impctl/iati.h"
#include "tools/impctl/iati_project.h"
#include "tools/impctl/mapping_project.h"

namespace imp::impctl {
namespace {

namespace reg = registry::v1;

std::string SourceDir() {
  const char* src = std::getenv("IMP_SOURCE_DIR");
  return src != nullptr ? src : IMP_SOURCE_DIR_DEFAULT;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

reg::Project Parse(const std::string& text) {
  reg::Project p;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &p)) << text;
  return p;
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
  const std::string base = absl::StrCat(testing::TempDir(), "/iati-project-", getpid());
  const std::string file = base + ".xml", errors = base + ".err";
  std::ofstream(file) << xml;
  const std::string command = absl::StrCat("xmllint --noout --schema '", SourceDir(),
                                           "/tests/tools/iati-2.03/iati-activities-schema.xsd' '",
                                           file, "' 2>'", errors, "'");
  const int rc = std::system(command.c_str());
  const std::string text = rc == 0 ? "" : ReadFile(errors);
  std::remove(file.c_str());
  std::remove(errors.c_str());
  return rc == 0 ? "" : (text.empty() ? "xmllint failed" : text.substr(0, 4000));
}

iati::Organisation Publisher() { return {"UA-EDR-00012345", "10", {{"Ministry of Health", ""}}}; }

const absl::flat_hash_map<std::string, reg::Institution>& Institutions() {
  static const auto* institutions = [] {
    auto* m = new absl::flat_hash_map<std::string, reg::Institution>;
    reg::Institution in;
    google::protobuf::TextFormat::ParseFromString(
        R"(name: "institutions/borodianka-crh" display_name: "Borodianka Central District Hospital"
           local_name: "Бородянська ЦРЛ" kind: KIND_HOSPITAL country: "UA" region: "UA-32")",
        &in);
    (*m)[in.name()] = in;
    google::protobuf::TextFormat::ParseFromString(
        R"(name: "institutions/expertise-france" display_name: "Expertise France"
           kind: KIND_DEVELOPMENT_AGENCY country: "FR")",
        &in);
    (*m)[in.name()] = in;
    return m;
  }();
  return *institutions;
}

iati::Activity Map(const reg::Project& p) {
  static const auto* labels = new std::map<std::string, std::string>{{"oncology", "Oncology"}};
  return iati::ProjectActivity(
      p, {"UA-EDR-00012345", Publisher(), Day(2026, 6, 1), &Institutions(), labels});
}

std::string Write(const std::vector<iati::Activity>& activities) {
  std::ostringstream out;
  iati::Writer writer(&out, Publisher(), "2026-01-02T03:04:05Z");
  for (const auto& a : activities) writer.Write(a);
  writer.End();
  return out.str();
}

// The demo projects exactly as deploy/local/up.sh creates them.
reg::Project DemoProject(const std::string& id) {
  reg::Project p;
  const auto status = google::protobuf::util::JsonStringToMessage(
      ReadFile(SourceDir() + "/deploy/demo/projects/" + id + ".json"), &p);
  EXPECT_TRUE(status.ok()) << status.ToString();
  p.set_name("projects/" + id);
  p.mutable_create_time()->set_seconds(1700000000);
  p.mutable_update_time()->set_seconds(1700000000);
  return p;
}

const char kFullProject[] = R"(
  name: "projects/modular-centres" title: "Modular centres & <clinics>"
  local_title: "Модульні центри"
  description: "Build them." local_description: "Побудувати."
  agreements: "agreements/ua-fr-2023"
  participants { institution: "institutions/expertise-france" role: ROLE_FUNDING }
  participants { institution: "institutions/borodianka-crh" role: ROLE_IMPLEMENTING }
  status: STATUS_IMPLEMENTATION
  planned_start { year: 2024 month: 1 day: 1 } planned_end { year: 2026 month: 12 day: 31 }
  actual_start { year: 2024 month: 3 day: 1 }
  cooperation_areas: ["infrastructure-recovery", "oncology"]
  locations { country: "UA" region: "UA-32" site: "institutions/borodianka-crh" }
  locations { country: "UA" region: "UA-46" }
  locations { country: "FR" }
  budget { period_start { year: 2024 month: 1 day: 1 } period_end { year: 2024 month: 12 day: 31 }
           amount { currency_code: "EUR" units: 10000000 } status: STATUS_COMMITTED }
  budget { amount { currency_code: "EUR" units: 25000000 nanos: 500000000 }
           status: STATUS_INDICATIVE }
  transactions { kind: KIND_COMMITMENT date { year: 2024 month: 2 day: 1 }
                 amount { currency_code: "EUR" units: 10000000 }
                 provider: "institutions/expertise-france" receiver: "institutions/borodianka-crh"
                 description: "Grant | signed: \"first\"" }
  transactions { kind: KIND_DISBURSEMENT date { year: 2024 month: 4 day: 1 }
                 amount { currency_code: "EUR" units: 2500000 nanos: 250000000 }
                 provider: "institutions/expertise-france" receiver: "institutions/borodianka-crh" }
  transactions { kind: KIND_EXPENDITURE date { year: 2025 month: 1 day: 15 }
                 amount { currency_code: "EUR" units: 1000 }
                 provider: "institutions/borodianka-crh" receiver: "institutions/borodianka-crh" }
  deliverables { what: "Modular centre" unit: "centre" planned_quantity: 4
                 deliveries { date { year: 2025 month: 5 day: 1 } quantity: 1
                              notes: "Borodianka, first" }
                 delivered_quantity: 1 }
  notes: "working notes: not published"
  create_time { seconds: 1700000000 } update_time { seconds: 1710000000 })";

TEST(IatiProject, DemoProjectsValidateAgainstTheOfficialSchema) {
  const iati::Activity modular = Map(DemoProject("modular-care-centres"));
  const iati::Activity mammography = Map(DemoProject("mammography-machines"));
  const std::string xml = Write({modular, mammography});
  EXPECT_EQ(SchemaErrors(xml), "") << xml;
  EXPECT_EQ(modular.identifier, "UA-EDR-00012345-P-modular-care-centres");
  EXPECT_EQ(modular.status, "1");
  EXPECT_EQ(mammography.status, "2");
  // No participant recorded: the publisher answers for the record (the schema wants one).
  ASSERT_EQ(modular.participating_orgs.size(), 1u);
  EXPECT_EQ(modular.participating_orgs[0].org.ref, "UA-EDR-00012345");
  EXPECT_EQ(modular.participating_orgs[0].role, "2");
  // No date recorded: the registration day, labelled as such.
  ASSERT_EQ(modular.dates.size(), 1u);
  EXPECT_EQ(modular.dates[0].iso_date, "2023-11-14");
  EXPECT_NE(modular.dates[0].narrative.find("registered"), std::string::npos);
  // The EUR 35 million line has no period and the project no planned dates: no budget element
  // (no invented period), the figure in a description of type 4.
  EXPECT_TRUE(modular.budgets.empty());
  ASSERT_EQ(modular.descriptions.size(), 2u);
  EXPECT_EQ(modular.descriptions[1].type, "4");
  EXPECT_NE(modular.descriptions[1].narratives[0].text.find("indicative 35000000 EUR"),
            std::string::npos);
  ASSERT_EQ(modular.locations.size(), 2u);  // the hospital and its oblast
  EXPECT_EQ(modular.locations[0].ref, "borodianka-crh");
  EXPECT_EQ(modular.locations[1].ref, "UA-32");
  EXPECT_EQ(modular.sectors[0].code, "12230");
  EXPECT_EQ(modular.title_translations[0].lang, "uk");
  // 30 machines planned, none delivered, no period known: an indicator saying so, no period.
  ASSERT_EQ(mammography.results.size(), 1u);
  ASSERT_EQ(mammography.results[0].indicators.size(), 1u);
  EXPECT_TRUE(mammography.results[0].indicators[0].periods.empty());
  EXPECT_EQ(mammography.results[0].indicators[0].description,
            "Unit: machine. Planned: 30; delivered: 0.");
  EXPECT_EQ(xml.find("Source: MoH news"), std::string::npos) << "notes are not published";
}

TEST(IatiProject, EveryPartOfAFullProjectIsMappedInSchemaOrder) {
  const iati::Activity a = Map(Parse(kFullProject));
  const std::string xml = Write({a});
  EXPECT_EQ(SchemaErrors(xml), "") << xml;
  EXPECT_EQ(a.default_currency, "EUR");
  EXPECT_EQ(a.last_updated, "2024-03-09T16:00:00Z");
  ASSERT_EQ(a.participating_orgs.size(), 2u);
  EXPECT_EQ(a.participating_orgs[0].role, "1");
  EXPECT_EQ(a.participating_orgs[0].org.type, "10");
  EXPECT_EQ(a.participating_orgs[1].role, "4");
  EXPECT_EQ(a.participating_orgs[1].org.names[1].text, "Бородянська ЦРЛ");
  std::vector<std::string> dates;
  for (const auto& d : a.dates) dates.push_back(d.type + "@" + d.iso_date);
  EXPECT_EQ(dates, (std::vector<std::string>{"1@2024-01-01", "2@2024-03-01", "3@2026-12-31"}));
  std::vector<std::string> places;
  for (const auto& l : a.locations) places.push_back(l.ref + "/" + l.feature_designation);
  EXPECT_EQ(places, (std::vector<std::string>{"borodianka-crh/HSP", "UA-32/ADM1", "UA-46/ADM1",
                                              "FR/PCLI"}));
  // The line with a period keeps it; the one without takes the project's planned period.
  ASSERT_EQ(a.budgets.size(), 2u);
  EXPECT_EQ(a.budgets[0].status, "2");
  EXPECT_EQ(a.budgets[0].period_end, "2024-12-31");
  EXPECT_EQ(a.budgets[1].status, "1");
  EXPECT_EQ(a.budgets[1].period_start, "2024-01-01");
  EXPECT_EQ(a.budgets[1].period_end, "2026-12-31");
  EXPECT_EQ(a.budgets[1].value.amount, "25000000.5");
  ASSERT_EQ(a.transactions.size(), 3u);
  EXPECT_EQ(a.transactions[0].type, "2");
  EXPECT_EQ(a.transactions[1].type, "3");
  EXPECT_EQ(a.transactions[2].type, "4");
  EXPECT_EQ(a.transactions[1].value.amount, "2500000.25");
  EXPECT_EQ(a.transactions[1].value.value_date, "2024-04-01");
  EXPECT_EQ(a.transactions[0].provider.names[0].text, "Expertise France");
  ASSERT_EQ(a.related_activities.size(), 1u);
  EXPECT_EQ(a.related_activities[0].ref, "UA-EDR-00012345-ua-fr-2023");
  EXPECT_EQ(a.related_activities[0].type, "1");
  const auto& period = a.results.at(0).indicators.at(0).periods.at(0);
  EXPECT_EQ(period.start, "2024-03-01");  // actual start
  EXPECT_EQ(period.end, "2026-12-31");    // planned end
  EXPECT_EQ(period.target, 4);
  EXPECT_EQ(period.actual, 1);
  EXPECT_EQ(xml.find("working notes"), std::string::npos);
}

// Random projects (fixed seed): budgets with and without periods, several currencies,
// transactions, deliverables over and under their plan, Unicode and XML-special text, control
// characters; every one validates.
// `valid_utf8`: only text the registry can hold (a proto3 string is UTF-8); the IATI writer is
// also given cut sequences, which it must replace.
reg::Project RandomProject(std::mt19937& rng, int i, bool valid_utf8 = true) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  auto day = [&] { return Day(2023 + pick(4), 1 + pick(12), 1 + pick(28)); };
  const char* currencies[] = {"EUR", "UAH", "USD", "GBP", "PLN"};
  const char* texts[] = {"Лікарня № 5 «Здоров'я»",
                         "a & b <c> \"d\"",
                         valid_utf8 ? "bell\x07 and \t" : "bell\x07 and \xC3",
                         "Île-de-France — ½",
                         "=SUM(A1)",
                         "👩‍⚕️ care"};
  reg::Project p;
  p.set_name(absl::StrCat("projects/p-", i));
  p.set_title(absl::StrCat("Project ", i, " ", texts[pick(6)]));
  if (pick(2)) p.set_local_title(texts[pick(6)]);
  if (pick(2)) p.set_description(texts[pick(6)]);
  p.set_status(static_cast<reg::Project::Status>(1 + pick(6)));
  if (pick(2)) *p.mutable_planned_start() = Day(2024, 1, 1);
  if (pick(2)) *p.mutable_planned_end() = Day(2027, 1, 1);
  if (pick(2)) *p.mutable_actual_start() = Day(2024, 2, 1);
  for (int k = pick(3); k > 0; --k) p.add_agreements(absl::StrCat("agreements/a-", pick(50)));
  for (int k = pick(3); k > 0; --k) {
    auto* participant = p.add_participants();
    participant->set_institution(pick(2) ? "institutions/expertise-france" : "institutions/x");
    participant->set_role(static_cast<reg::ProjectParticipant::Role>(1 + pick(4)));
  }
  const char* areas[] = {"oncology", "surgery", "nursing", "mental-health"};
  for (int k = pick(3); k > 0; --k) p.add_cooperation_areas(areas[pick(4)]);
  for (int k = pick(3); k > 0; --k) {
    auto* l = p.add_locations();
    l->set_country(pick(3) ? "UA" : "PL");
    if (l->country() == "UA" && pick(2)) l->set_region(pick(2) ? "UA-46" : "UA-32");
    if (pick(3) == 0) l->set_site("institutions/borodianka-crh");
  }
  for (int k = pick(4); k > 0; --k) {
    auto* b = p.add_budget();
    b->mutable_amount()->set_currency_code(currencies[pick(5)]);
    b->mutable_amount()->set_units(static_cast<int64_t>(rng() % 10000000000000ULL));
    b->mutable_amount()->set_nanos(pick(2) ? static_cast<int32_t>(rng() % 1000000000) : 0);
    b->set_status(static_cast<reg::BudgetLine::Status>(1 + pick(2)));
    if (pick(2)) *b->mutable_period_start() = Day(2025, 1, 1);
    if (pick(2)) *b->mutable_period_end() = Day(2025, 12, 31);
  }
  for (int k = pick(4); k > 0; --k) {
    auto* t = p.add_transactions();
    t->set_kind(static_cast<reg::FinancialTransaction::Kind>(1 + pick(3)));
    *t->mutable_date() = day();
    t->mutable_amount()->set_currency_code(currencies[pick(5)]);
    t->mutable_amount()->set_units(pick(1000000));
    t->mutable_amount()->set_nanos(pick(100) * 10000000);
    t->set_provider("institutions/expertise-france");
    t->set_receiver(pick(2) ? "institutions/borodianka-crh" : "institutions/unknown");
    if (pick(2)) t->set_description(texts[pick(6)]);
  }
  for (int k = pick(3); k > 0; --k) {
    auto* d = p.add_deliverables();
    d->set_what(texts[pick(6)]);
    d->set_unit(pick(2) ? "machine" : "шт.");
    d->set_planned_quantity(pick(1000));
    for (int j = pick(3); j > 0; --j) {
      auto* delivery = d->add_deliveries();
      *delivery->mutable_date() = day();
      delivery->set_quantity(1 + pick(500));
      if (pick(2)) delivery->set_notes(texts[pick(6)]);
    }
    d->set_over_delivery(pick(2));
  }
  if (pick(2)) p.set_notes(texts[pick(6)]);
  p.mutable_create_time()->set_seconds(1700000000 + i);
  return p;
}

TEST(IatiProject, RandomProjectsValidateAgainstTheOfficialSchema) {
  std::mt19937 rng(20261126);
  std::vector<iati::Activity> activities;
  for (int i = 0; i < 300; ++i) activities.push_back(Map(RandomProject(rng, i, false)));
  const std::string xml = Write(activities);
  EXPECT_EQ(SchemaErrors(xml), "");
}

// --- CSV ---------------------------------------------------------------------------------------

// What the CSV carries: the project as created (no name, output-only fields cleared).
reg::Project AsCreated(reg::Project p) {
  p.clear_name();
  p.clear_create_time();
  p.clear_update_time();
  p.clear_delete_time();
  p.clear_etag();
  p.clear_budget_totals();
  for (auto& d : *p.mutable_deliverables()) d.clear_delivered_quantity();
  return p;
}

// One project through a CSV file and back.
absl::StatusOr<ProjectRow> ThroughCsv(const reg::Project& p, std::string* text = nullptr) {
  const std::string csv = FormatCsvRecord(kProjectColumns) + FormatCsvRecord(ProjectToCsv(p));
  if (text != nullptr) *text = csv;
  auto table = ParseCsv(csv);
  if (!table.ok()) return table.status();
  EXPECT_EQ(table->header, kProjectColumns);
  return ProjectFromCsv(table->records.at(0).fields);
}

TEST(ProjectCsv, EveryFieldRoundTripsThroughTheFile) {
  std::mt19937 rng(7);
  std::vector<reg::Project> projects = {Parse(kFullProject), DemoProject("modular-care-centres"),
                                        DemoProject("mammography-machines")};
  for (int i = 0; i < 500; ++i) projects.push_back(RandomProject(rng, i));
  for (const auto& p : projects) {
    std::string csv;
    auto row = ThroughCsv(p, &csv);
    ASSERT_TRUE(row.ok()) << row.status() << "\n" << csv;
    EXPECT_EQ(row->id, p.name().substr(p.name().find('/') + 1));
    std::string diff;
    google::protobuf::util::MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&diff);
    EXPECT_TRUE(differencer.Compare(AsCreated(p), row->project)) << diff << "\n" << csv;
    // And the row written again is the same bytes.
    reg::Project again = row->project;
    again.set_name(p.name());
    EXPECT_EQ(FormatCsvRecord(ProjectToCsv(again)), FormatCsvRecord(ProjectToCsv(p)));
  }
}

TEST(ProjectCsv, CompactCellsReadAsDocumented) {
  std::vector<std::string> f(kProjectColumns.size());
  f[0] = "p1";
  f[1] = "Title";
  f[5] = "implementation";
  f[6] = "a1 | a2";
  f[7] = "lviv:FUNDING|lviv:ROLE_IMPLEMENTING";
  f[13] = "UA:UA-46:lviv|PL|UA::kyiv";
  f[14] =
      "COMMITTED:1000.5 EUR:2025-01-01:2025-12-31|INDICATIVE:35000000 EUR|"
      "INDICATIVE:0.000000001 UAH::2026-12-31";
  auto row = ProjectFromCsv(f);
  ASSERT_TRUE(row.ok()) << row.status();
  const reg::Project& p = row->project;
  EXPECT_EQ(p.status(), reg::Project::STATUS_IMPLEMENTATION);
  EXPECT_EQ(p.agreements(1), "agreements/a2");
  EXPECT_EQ(p.participants(1).role(), reg::ProjectParticipant::ROLE_IMPLEMENTING);
  EXPECT_EQ(p.locations(0).site(), "institutions/lviv");
  EXPECT_EQ(p.locations(1).country(), "PL");
  EXPECT_EQ(p.locations(2).region(), "");
  EXPECT_EQ(p.locations(2).site(), "institutions/kyiv");
  EXPECT_EQ(p.budget(0).amount().units(), 1000);
  EXPECT_EQ(p.budget(0).amount().nanos(), 500000000);
  EXPECT_EQ(p.budget(0).period_end().month(), 12);
  EXPECT_FALSE(p.budget(1).has_period_start());
  EXPECT_EQ(p.budget(2).amount().nanos(), 1);
  EXPECT_FALSE(p.budget(2).has_period_start());
  EXPECT_EQ(p.budget(2).period_end().year(), 2026);
}

// Each bad cell is refused with the column it is in (the import report prints "line N: column:
// reason"); nothing is dropped or guessed.
TEST(ProjectCsv, BadCellsAreRefusedNamingTheirColumn) {
  auto error = [](int column, const std::string& cell) {
    std::vector<std::string> f(kProjectColumns.size());
    f[0] = "p1";
    f[1] = "Title";
    f[5] = "IMPLEMENTATION";
    f[column] = cell;
    auto row = ProjectFromCsv(f);
    return row.ok() ? std::string("accepted") : std::string(row.status().message());
  };
  auto starts = [](const std::string& message, const std::string& column) {
    return absl::StartsWith(message, column + ": ") ? "" : message;
  };
  EXPECT_EQ(starts(error(5, "PLANNED"), "status"), "");
  EXPECT_EQ(starts(error(6, "a||b"), "agreements"), "");
  EXPECT_EQ(starts(error(7, "lviv"), "participants"), "");
  EXPECT_EQ(starts(error(7, "lviv:DONOR"), "participants"), "");
  EXPECT_EQ(starts(error(8, "2024-02-30"), "planned_start"), "");
  EXPECT_EQ(starts(error(13, "UA:UA-46:lviv:x"), "locations"), "");
  for (const char* budget :
       {"COMMITTED", "COMMITTED:1000", "COMMITTED:1e5 EUR", "COMMITTED:1,000 EUR",
        "COMMITTED:1.0000000001 EUR", "COMMITTED:99999999999999999999 EUR", "COMMITTED:.5 EUR",
        "COMMITTED:5. EUR", "COMMITTED:+5 EUR", "SPENT:5 EUR", "COMMITTED:5 EUR:2025-13-01",
        "COMMITTED:5 EUR:2025-01-01:2025-12-31:x"}) {
    EXPECT_EQ(starts(error(14, budget), "budget"), "") << budget;
  }
  for (const char* json :
       {"{}", "[", "[] x", R"([], "notes": "smuggled")", R"([{"kind": "KIND_GIFT"}])",
        R"([{"unknown_field": 1}])", R"([{"kind": "KIND_COMMITMENT"}] [])",
        R"([{"description": "\udc00 lone surrogate"}])"}) {
    EXPECT_EQ(starts(error(15, json), "transactions"), "") << json;
  }
  EXPECT_EQ(starts(error(16, R"([{"what": "x", "delivered_quantity": "5"}])"), "deliverables"), "");
  EXPECT_EQ(error(16, R"([{"what": "x", "planned_quantity": "5"}])"), "accepted");
  // A cell too few is an error, not a read past the end.
  EXPECT_FALSE(ProjectFromCsv(std::vector<std::string>(kProjectColumns.size() - 1)).ok());
}

TEST(ProjectCsv, AmountsAreWrittenExactly) {
  auto text = [](int64_t units, int32_t nanos) {
    google::type::Money m;
    m.set_units(units);
    m.set_nanos(nanos);
    return AmountText(m);
  };
  EXPECT_EQ(text(35000000, 0), "35000000");
  EXPECT_EQ(text(1, 500000000), "1.5");
  EXPECT_EQ(text(0, 1), "0.000000001");
  EXPECT_EQ(text(-3, -250000000), "-3.25");
  EXPECT_EQ(text(0, -5), "-0.000000005");
  EXPECT_EQ(text(INT64_MIN, 0), "-9223372036854775808");
  EXPECT_EQ(text(INT64_MAX, 999999999), "9223372036854775807.999999999");
}

}  // namespace
}  // namespace imp::impctl
