// ListInstitutions / ListAgreements filters and the registry's page tokens against a real
// RegistryServer on loopback with its own MariaDB database: filters are bounded, every value is
// checked before it reaches SQL, repeated terms cost one condition, tokens are bound to their
// method and query.
#include "registry-service/src/registry_filter.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "registry-service/src/registry_server.h"
#include "tests/support/test_database.h"

namespace imp::registry {
namespace {

using v1::Agreement;
using v1::Institution;
using v1::Party;

constexpr int kParties = 32;  // the filter term cap

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("x-imp-actor", "tester");
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return ctx;
}

std::string Inst(int i) { return absl::StrCat("institutions/p", i); }

std::string PartyTerms(int from, int to) {
  std::string filter;
  for (int i = from; i < to; ++i) {
    absl::StrAppend(&filter, filter.empty() ? "" : " AND ", "parties:\"", Inst(i), "\"");
  }
  return filter;
}

int CountOf(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

class RegistryFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabase::Create();
    ServiceHostOptions host;
    host.name = "registry-test";
    host.readiness_interval = absl::Milliseconds(100);
    server_ = std::make_unique<RegistryServer>(host, db_->pool_options());
    ASSERT_TRUE(server_->Start().ok());
    stub_ = v1::RegistryService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 100; ++i) {
      v1::ListCooperationAreasResponse resp;
      if (stub_->ListCooperationAreas(Ctx().get(), {}, &resp).ok()) return;
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "registry never became ready";
  }

  void TearDown() override { server_->Shutdown(); }

  // p0 in Ukraine (UA-46), p1.. in Germany, p<odd> in Bavaria.
  void CreateInstitutions(int n) {
    for (int i = 0; i < n; ++i) {
      v1::CreateInstitutionRequest req;
      req.set_institution_id(absl::StrCat("p", i));
      Institution* in = req.mutable_institution();
      in->set_display_name(absl::StrCat("Hospital ", i));
      in->set_kind(Institution::KIND_HOSPITAL);
      in->set_country(i == 0 ? "UA" : "DE");
      in->set_region(i == 0 ? "UA-46" : i % 2 ? "Bavaria" : "Saxony");
      in->set_city(i == 0 ? "Lviv" : "Munich");
      Institution out;
      grpc::Status s = stub_->CreateInstitution(Ctx().get(), req, &out);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
  }

  // An agreement of p0 (the Ukrainian partner) with `others`.
  void CreateAgreement(const std::string& id, const std::vector<int>& others) {
    v1::CreateAgreementRequest req;
    req.set_agreement_id(id);
    Agreement* a = req.mutable_agreement();
    a->set_title(absl::StrCat("Memorandum ", id));
    a->set_kind(Agreement::KIND_TWINNING_MEMORANDUM);
    a->set_state(Agreement::STATE_PROPOSED);
    auto* ua = a->add_parties();
    ua->set_institution(Inst(0));
    ua->set_role(Party::ROLE_UKRAINIAN_PARTNER);
    for (int o : others) {
      auto* p = a->add_parties();
      p->set_institution(Inst(o));
      p->set_role(Party::ROLE_FOREIGN_PARTNER);
    }
    a->add_cooperation_areas("oncology");
    a->add_cooperation_areas("surgery");
    Agreement out;
    grpc::Status s = stub_->CreateAgreement(Ctx().get(), req, &out);
    ASSERT_TRUE(s.ok()) << id << ": " << s.error_message();
  }

  std::set<std::string> Agreements(const std::string& filter) {
    std::set<std::string> names;
    v1::ListAgreementsRequest req;
    req.set_filter(filter);
    req.set_page_size(1);
    do {
      v1::ListAgreementsResponse resp;
      grpc::Status s = stub_->ListAgreements(Ctx().get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const auto& a : resp.agreements()) names.insert(a.name());
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty());
    return names;
  }

  grpc::Status AgreementsStatus(const std::string& filter, const std::string& token = "") {
    v1::ListAgreementsRequest req;
    req.set_filter(filter);
    req.set_page_token(token);
    v1::ListAgreementsResponse resp;
    return stub_->ListAgreements(Ctx().get(), req, &resp);
  }

  grpc::Status InstitutionsStatus(const std::string& filter, const std::string& token = "",
                                  const std::string& order_by = "") {
    v1::ListInstitutionsRequest req;
    req.set_filter(filter);
    req.set_page_token(token);
    req.set_order_by(order_by);
    v1::ListInstitutionsResponse resp;
    return stub_->ListInstitutions(Ctx().get(), req, &resp);
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<RegistryServer> server_;
  std::unique_ptr<v1::RegistryService::Stub> stub_;
};

TEST_F(RegistryFilterTest, AFilterOverTheTermCapIsInvalidArgumentNamingFilter) {
  for (int terms : {kParties + 1, 70000}) {
    grpc::Status s = AgreementsStatus(PartyTerms(0, terms));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << terms << " terms";
    EXPECT_EQ(s.error_message().rfind("filter: at most ", 0), 0u) << s.error_message();
    std::string countries;
    for (int i = 0; i < terms; ++i) absl::StrAppend(&countries, "country != \"FR\" ");
    s = InstitutionsStatus(countries);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << terms << " terms";
    EXPECT_EQ(s.error_message().rfind("filter: at most ", 0), 0u) << s.error_message();
  }
}

TEST_F(RegistryFilterTest, PartyTermsAtTheCapMatchAgreementsWithEveryPartyInOneSubquery) {
  CreateInstitutions(kParties);
  std::vector<int> all, all_but_last;
  for (int i = 1; i < kParties; ++i) all.push_back(i);
  for (int i = 1; i < kParties - 1; ++i) all_but_last.push_back(i);
  CreateAgreement("every", all);
  CreateAgreement("all-but-one", all_but_last);
  CreateAgreement("pair", {1});
  CreateAgreement("saxony", {2});

  const std::string every = PartyTerms(0, kParties);
  EXPECT_EQ(Agreements(every), std::set<std::string>{"agreements/every"});
  EXPECT_EQ(
      Agreements(PartyTerms(0, 2)),
      (std::set<std::string>{"agreements/every", "agreements/all-but-one", "agreements/pair"}));
  // A party in each listed country / region; regions compare as the database does (Bavaria is
  // BAVARIA), and the codelist terms all hold.
  EXPECT_EQ(Agreements(R"(party_country:"ua" party_country:"DE" party_region:"Saxony")").size(),
            3u);
  EXPECT_EQ(
      Agreements(R"(party_region:"bavaria" party_region:"BAVARIA" party_region:"ua-46")"),
      (std::set<std::string>{"agreements/every", "agreements/all-but-one", "agreements/pair"}));
  EXPECT_EQ(Agreements(R"(party_region:"Bavaria" party_region:"Saxony")"),
            (std::set<std::string>{"agreements/every", "agreements/all-but-one"}));
  EXPECT_EQ(Agreements(R"(cooperation_areas:"oncology" cooperation_areas:"surgery")").size(), 4u);
  EXPECT_TRUE(Agreements(R"(cooperation_areas:"oncology" cooperation_areas:"neurology")").empty());
  EXPECT_TRUE(Agreements(R"(state = "ACTIVE" state = "PROPOSED")").empty());

  // However many terms, one subquery per field.
  db::Query query("SELECT a.pk FROM agreements a WHERE 1 = 1");
  ASSERT_TRUE(AppendAgreementFilter(every, query).ok());
  EXPECT_EQ(CountOf(query.sql(), "SELECT"), 2) << query.sql();
  std::string mixed;
  for (int i = 0; i < 8; ++i) {
    absl::StrAppend(&mixed, "party_country:\"DE\" party_region:\"Bavaria\" ",
                    "cooperation_areas:\"oncology\" in_force_on = \"2024-0", 1 + i, "-01\" ");
  }
  db::Query folded("SELECT a.pk FROM agreements a WHERE 1 = 1");
  ASSERT_TRUE(AppendAgreementFilter(mixed, folded).ok());
  EXPECT_EQ(CountOf(folded.sql(), "SELECT"), 3) << folded.sql();
  EXPECT_EQ(CountOf(folded.sql(), "JSON_CONTAINS"), 1) << folded.sql();
  EXPECT_EQ(CountOf(folded.sql(), "a.valid_until >="), 1) << folded.sql();
}

TEST_F(RegistryFilterTest, BadValuesAreInvalidArgumentNamingTheFieldNotDatabaseErrors) {
  CreateInstitutions(2);
  CreateAgreement("pair", {1});
  for (const auto& [filter, prefix] : std::vector<std::pair<std::string, std::string>>{
           {R"(country = "é")", "filter: country: "},
           {R"(country != "ÉÉ")", "filter: country: "},
           {R"(region = "UA-99")", "filter: region: "},
           {R"(kind = "CASTLE")", "filter: kind: "},
           {absl::StrCat("city = \"", std::string(5000, 'c'), "\""), "filter: at most 4096"},
       }) {
    grpc::Status s = InstitutionsStatus(filter);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << filter.substr(0, 40) << ": " << s.error_message();
    EXPECT_EQ(s.error_message().rfind(prefix, 0), 0u) << s.error_message();
  }
  for (const auto& [filter, prefix] : std::vector<std::pair<std::string, std::string>>{
           {R"(party_country:"é")", "filter: party_country: "},
           {R"(cooperation_areas:"ü")", "filter: cooperation_areas: "},
           {R"(party_region:"UA-00")", "filter: party_region: "},
           {R"(parties:"institutions/ü")", "filter: parties: "},
           {R"(cooperation_forms:"PICNICS")", "filter: cooperation_forms: "},
           {R"(state = "ÄCTIVE")", "filter: state: "},
           {R"(in_force_on = "2024-02-30")", "filter: in_force_on: "},
           {R"(signed_on < "yesterday")", "filter: signed_on: "},
       }) {
    grpc::Status s = AgreementsStatus(filter);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << filter << ": " << s.error_message();
    EXPECT_EQ(s.error_message().rfind(prefix, 0), 0u) << s.error_message();
  }
  // Text and regions abroad stay free text, compared as the database does.
  EXPECT_TRUE(InstitutionsStatus(R"(city = "Львів" region = "Île-de-France")").ok());
}

TEST_F(RegistryFilterTest, APageTokenFromListInstitutionsIsInvalidArgumentOnListAgreements) {
  CreateInstitutions(3);
  CreateAgreement("a1", {1});
  CreateAgreement("a2", {2});
  v1::ListInstitutionsRequest req;
  req.set_page_size(1);
  v1::ListInstitutionsResponse first;
  ASSERT_TRUE(stub_->ListInstitutions(Ctx().get(), req, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());
  grpc::Status s = AgreementsStatus("", first.next_page_token());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(s.error_message().rfind("page_token: ", 0), 0u) << s.error_message();

  v1::ListPartnersRequest partners;
  partners.set_institution(Inst(0));
  partners.set_include_inactive(true);
  partners.set_page_token(first.next_page_token());
  v1::ListPartnersResponse presp;
  s = stub_->ListPartners(Ctx().get(), partners, &presp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();

  v1::ListChangesRequest changes;
  changes.set_name(Inst(0));
  changes.set_page_token(first.next_page_token());
  v1::ListChangesResponse cresp;
  s = stub_->ListChanges(Ctx().get(), changes, &cresp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();

  EXPECT_TRUE(InstitutionsStatus("", first.next_page_token()).ok()) << "its own method";
}

TEST_F(RegistryFilterTest, AForgedPageTokenIsInvalidArgumentNotAnInternalError) {
  CreateInstitutions(3);
  // Tokens in the format before they were signed, which anyone could write: "v1\n" + the first
  // 16 hex digits of SHA-256("<filter>|<order_by>|<show_deleted>") + "\n<pk>\n<sort value>".
  // For order_by "create_time": SHA-256("|create_time|0") starts with adb0b5a0d70f25b4.
  const std::vector<std::pair<std::string, std::string>> forged = {
      {"create_time", absl::WebSafeBase64Escape("v1\nadb0b5a0d70f25b4\n1\nnot a time \xff")},
      {"", absl::WebSafeBase64Escape("v1\n5506577971d4b47a\n-5\n")},
      {"", "!!!"},
  };
  for (const auto& [order, token] : forged) {
    grpc::Status s = InstitutionsStatus("", token, order);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << token << ": " << s.error_message();
    EXPECT_EQ(s.error_message().rfind("page_token: ", 0), 0u) << s.error_message();
  }
}

}  // namespace
}  // namespace imp::registry
