// registry-service end to end: a real RegistryServer on a loopback port, a real MariaDB
// database of the test's own, and the generated client stub.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

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

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabase::Create();
    ServiceHostOptions host;
    host.name = "registry-test";
    host.readiness_interval = absl::Milliseconds(100);
    server_ = std::make_unique<RegistryServer>(host, db_->pool_options());
    ASSERT_TRUE(server_->Start().ok());
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::RegistryService::NewStub(channel_);
    WaitUntilServing();
  }

  void TearDown() override { server_->Shutdown(); }

  void WaitUntilServing() {
    // Migrations run in the readiness loop; calls before that are UNAVAILABLE.
    for (int i = 0; i < 100; ++i) {
      grpc::ClientContext ctx;
      v1::ListCooperationAreasResponse resp;
      if (stub_->ListCooperationAreas(&ctx, {}, &resp).ok()) return;
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "registry never became ready";
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& actor = "tester") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("x-imp-actor", actor);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }

  static Institution MakeInstitution(const std::string& display, const std::string& country,
                                     const std::string& region = "") {
    Institution in;
    in.set_display_name(display);
    in.set_kind(Institution::KIND_HOSPITAL);
    in.set_country(country);
    in.set_region(region);
    return in;
  }

  grpc::Status CreateInstitution(const Institution& in, const std::string& id, Institution* out,
                                 const std::string& request_id = "") {
    v1::CreateInstitutionRequest req;
    *req.mutable_institution() = in;
    req.set_institution_id(id);
    req.set_request_id(request_id);
    return stub_->CreateInstitution(Ctx().get(), req, out);
  }

  Institution MustCreateInstitution(const std::string& id, const std::string& display,
                                    const std::string& country, const std::string& region = "") {
    Institution out;
    grpc::Status s = CreateInstitution(MakeInstitution(display, country, region), id, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  static Agreement MakeAgreement(const std::vector<std::pair<std::string, Party::Role>>& parties,
                                 Agreement::State state = Agreement::STATE_ACTIVE) {
    Agreement a;
    a.set_title("Memorandum of cooperation");
    a.set_kind(Agreement::KIND_TWINNING_MEMORANDUM);
    a.set_state(state);
    for (const auto& [institution, role] : parties) {
      auto* p = a.add_parties();
      p->set_institution(institution);
      p->set_role(role);
    }
    if (state == Agreement::STATE_ACTIVE) {
      a.mutable_signed_on()->set_year(2024);
      a.mutable_signed_on()->set_month(6);
      a.mutable_signed_on()->set_day(14);
    }
    a.add_cooperation_areas("oncology");
    a.add_cooperation_forms(v1::COOPERATION_FORM_INTERNSHIPS_AND_KNOWLEDGE_EXCHANGE);
    return a;
  }

  grpc::Status CreateAgreement(const Agreement& a, const std::string& id, Agreement* out) {
    v1::CreateAgreementRequest req;
    *req.mutable_agreement() = a;
    req.set_agreement_id(id);
    return stub_->CreateAgreement(Ctx().get(), req, out);
  }

  // Two institutions and an ACTIVE twinning agreement between them.
  Agreement MustCreateTwinning(const std::string& id, const std::string& ua,
                               const std::string& foreign,
                               Agreement::State state = Agreement::STATE_ACTIVE) {
    Agreement out;
    grpc::Status s = CreateAgreement(
        MakeAgreement({{ua, Party::ROLE_UKRAINIAN_PARTNER}, {foreign, Party::ROLE_FOREIGN_PARTNER}},
                      state),
        id, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<RegistryServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::RegistryService::Stub> stub_;
};

TEST_F(RegistryTest, CreateGetRoundTripsUkrainianNamesExactly) {
  Institution in =
      MakeInstitution("National Children's Specialized Hospital OKHMATDYT", "UA", "UA-30");
  in.set_local_name("Національна дитяча спеціалізована лікарня «ОХМАТДИТ»");
  in.add_short_names("OKHMATDYT");
  in.add_short_names("ОХМАТДИТ");
  in.set_city("Київ");
  Institution created;
  ASSERT_TRUE(CreateInstitution(in, "okhmatdyt", &created).ok());
  EXPECT_EQ(created.name(), "institutions/okhmatdyt");
  EXPECT_FALSE(created.etag().empty());
  EXPECT_TRUE(created.has_create_time());

  v1::GetInstitutionRequest get;
  get.set_name("institutions/okhmatdyt");
  Institution got;
  ASSERT_TRUE(stub_->GetInstitution(Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.local_name(), "Національна дитяча спеціалізована лікарня «ОХМАТДИТ»");
  EXPECT_EQ(got.city(), "Київ");
  ASSERT_EQ(got.short_names_size(), 2);
  EXPECT_EQ(got.short_names(1), "ОХМАТДИТ");
  EXPECT_EQ(got.SerializeAsString(), created.SerializeAsString());
}

TEST_F(RegistryTest, ServerGeneratesIdsWhenNoneIsGiven) {
  Institution out;
  ASSERT_TRUE(CreateInstitution(MakeInstitution("Gustave Roussy", "FR"), "", &out).ok());
  EXPECT_EQ(out.name().rfind("institutions/", 0), 0u);
  EXPECT_GT(out.name().size(), std::string("institutions/").size());
}

TEST_F(RegistryTest, InvalidInstitutionsAreRejectedNamingTheField) {
  struct Case {
    Institution in;
    std::string id;
    std::string expected;
  };
  std::vector<Case> cases;
  cases.push_back({MakeInstitution("", "FR"), "a", "institution.display_name"});
  cases.push_back({MakeInstitution("X", "XX"), "b", "institution.country"});
  cases.push_back({MakeInstitution("X", "ua"), "c", "institution.country"});
  cases.push_back({MakeInstitution("X", "UA", "UA-99"), "d", "institution.region"});
  Institution no_kind = MakeInstitution("X", "FR");
  no_kind.set_kind(Institution::KIND_UNSPECIFIED);
  cases.push_back({no_kind, "e", "institution.kind"});
  Institution bad_site = MakeInstitution("X", "FR");
  bad_site.set_website("ftp://x");
  cases.push_back({bad_site, "f", "institution.website"});
  cases.push_back({MakeInstitution("X", "FR"), "Bad_Id", "institution_id"});
  for (const auto& c : cases) {
    Institution out;
    grpc::Status s = CreateInstitution(c.in, c.id, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.expected;
    EXPECT_EQ(s.error_message().rfind(c.expected, 0), 0u) << s.error_message();
  }
  v1::ListInstitutionsRequest list;
  v1::ListInstitutionsResponse resp;
  ASSERT_TRUE(stub_->ListInstitutions(Ctx().get(), list, &resp).ok());
  EXPECT_EQ(resp.institutions_size(), 0) << "a rejected create must not write anything";
}

TEST_F(RegistryTest, DuplicateNameInTheSameCountryNamesTheExistingInstitution) {
  MustCreateInstitution("kauno-klinikos",
                        "Hospital of Lithuanian University of Health Sciences Kauno klinikos",
                        "LT");
  Institution out;
  grpc::Status s = CreateInstitution(
      MakeInstitution("hospital of lithuanian university of health sciences, KAUNO KLINIKOS", "LT"),
      "other-id", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(s.error_message().find("institutions/kauno-klinikos"), std::string::npos)
      << s.error_message();
  // The same name in another country is another institution.
  EXPECT_TRUE(CreateInstitution(
                  MakeInstitution(
                      "Hospital of Lithuanian University of Health Sciences Kauno klinikos", "LV"),
                  "lv-copy", &out)
                  .ok());
  // The same id is taken too.
  s = CreateInstitution(MakeInstitution("Something else", "LT"), "kauno-klinikos", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(RegistryTest, RetriedCreateWithRequestIdReturnsTheSameResource) {
  Institution first, second;
  ASSERT_TRUE(CreateInstitution(MakeInstitution("CHU Lille", "FR"), "", &first, "req-1").ok());
  ASSERT_TRUE(CreateInstitution(MakeInstitution("CHU Lille", "FR"), "", &second, "req-1").ok());
  EXPECT_EQ(first.name(), second.name());
  EXPECT_EQ(first.etag(), second.etag());
}

TEST_F(RegistryTest, ConcurrentRetriesWithOneRequestIdCreateExactlyOne) {
  constexpr int kThreads = 8;
  std::vector<std::string> names(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Institution out;
      // Generated ids differ per attempt: only the request id ties the attempts together.
      grpc::Status s = CreateInstitution(MakeInstitution("CHU Clermont-Ferrand", "FR"), "", &out,
                                         "same-request");
      if (!s.ok()) {
        ++failures;
        ADD_FAILURE() << s.error_message();
      }
      names[i] = out.name();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 1u);
  EXPECT_EQ(db_->QueryString("SELECT COUNT(*) FROM institutions"), "1");
}

TEST_F(RegistryTest, UpdateAppliesOnlyTheMaskAndChecksTheEtag) {
  Institution created =
      MustCreateInstitution("lviv-rch", "Lviv Regional Clinical Hospital", "UA", "UA-46");
  v1::UpdateInstitutionRequest req;
  req.mutable_institution()->set_name(created.name());
  req.mutable_institution()->set_city("Lviv");
  req.mutable_institution()->set_display_name("ignored: not in the mask");
  req.mutable_institution()->set_etag(created.etag());
  req.mutable_update_mask()->add_paths("city");
  Institution updated;
  ASSERT_TRUE(stub_->UpdateInstitution(Ctx().get(), req, &updated).ok());
  EXPECT_EQ(updated.city(), "Lviv");
  EXPECT_EQ(updated.display_name(), "Lviv Regional Clinical Hospital");
  EXPECT_NE(updated.etag(), created.etag());

  // The old etag is stale now.
  grpc::Status stale = stub_->UpdateInstitution(Ctx().get(), req, &updated);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);

  // Output-only and unknown paths are refused.
  req.mutable_institution()->clear_etag();
  req.mutable_update_mask()->set_paths(0, "create_time");
  EXPECT_EQ(stub_->UpdateInstitution(Ctx().get(), req, &updated).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.mutable_update_mask()->set_paths(0, "colour");
  grpc::Status unknown = stub_->UpdateInstitution(Ctx().get(), req, &updated);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(unknown.error_message().rfind("update_mask", 0), 0u);

  // The merged result is validated as a whole.
  req.mutable_update_mask()->set_paths(0, "region");
  req.mutable_institution()->set_region("UA-99");
  EXPECT_EQ(stub_->UpdateInstitution(Ctx().get(), req, &updated).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RegistryTest, TwoConcurrentUpdatesWithOneEtagExactlyOneWins) {
  Institution created = MustCreateInstitution("sussex", "University Hospitals of Sussex", "GB");
  constexpr int kThreads = 6;
  std::atomic<int> ok{0}, aborted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      v1::UpdateInstitutionRequest req;
      req.mutable_institution()->set_name(created.name());
      req.mutable_institution()->set_notes(absl::StrCat("writer ", i));
      req.mutable_institution()->set_etag(created.etag());
      req.mutable_update_mask()->add_paths("notes");
      Institution out;
      grpc::Status s = stub_->UpdateInstitution(Ctx().get(), req, &out);
      if (s.ok()) ++ok;
      if (s.error_code() == grpc::StatusCode::ABORTED) ++aborted;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(aborted.load(), kThreads - 1);
}

TEST_F(RegistryTest, SoftDeleteHidesFromListButNotFromGetAndUndeleteRestores) {
  Institution created =
      MustCreateInstitution("borodianka", "Borodianka Central District Hospital", "UA", "UA-32");
  v1::DeleteInstitutionRequest del;
  del.set_name(created.name());
  del.set_etag("r999");
  Institution out;
  EXPECT_EQ(stub_->DeleteInstitution(Ctx().get(), del, &out).error_code(),
            grpc::StatusCode::ABORTED);
  del.set_etag(created.etag());
  ASSERT_TRUE(stub_->DeleteInstitution(Ctx().get(), del, &out).ok());
  EXPECT_TRUE(out.has_delete_time());
  EXPECT_EQ(stub_->DeleteInstitution(Ctx().get(), del, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  v1::GetInstitutionRequest get;
  get.set_name(created.name());
  ASSERT_TRUE(stub_->GetInstitution(Ctx().get(), get, &out).ok());
  EXPECT_TRUE(out.has_delete_time());

  v1::ListInstitutionsRequest list;
  v1::ListInstitutionsResponse resp;
  ASSERT_TRUE(stub_->ListInstitutions(Ctx().get(), list, &resp).ok());
  EXPECT_EQ(resp.institutions_size(), 0);
  list.set_show_deleted(true);
  ASSERT_TRUE(stub_->ListInstitutions(Ctx().get(), list, &resp).ok());
  EXPECT_EQ(resp.institutions_size(), 1);

  // A deleted institution cannot be updated or become a party.
  v1::UpdateInstitutionRequest upd;
  upd.mutable_institution()->set_name(created.name());
  upd.mutable_institution()->set_notes("x");
  EXPECT_EQ(stub_->UpdateInstitution(Ctx().get(), upd, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  MustCreateInstitution("partner", "Partner", "FR");
  Agreement a;
  grpc::Status s =
      CreateAgreement(MakeAgreement({{created.name(), Party::ROLE_UKRAINIAN_PARTNER},
                                     {"institutions/partner", Party::ROLE_FOREIGN_PARTNER}}),
                      "with-deleted", &a);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("agreement.parties[0].institution"), std::string::npos);
  EXPECT_NE(s.error_message().find("is deleted"), std::string::npos);

  v1::UndeleteInstitutionRequest undel;
  undel.set_name(created.name());
  ASSERT_TRUE(stub_->UndeleteInstitution(Ctx().get(), undel, &out).ok());
  EXPECT_FALSE(out.has_delete_time());
  EXPECT_EQ(stub_->UndeleteInstitution(Ctx().get(), undel, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(RegistryTest, GetOfUnknownAndMalformedNames) {
  v1::GetInstitutionRequest get;
  Institution out;
  get.set_name("institutions/nope");
  grpc::Status s = stub_->GetInstitution(Ctx().get(), get, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("institutions/nope"), std::string::npos);
  get.set_name("agreements/x");
  EXPECT_EQ(stub_->GetInstitution(Ctx().get(), get, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RegistryTest, ListFiltersSearchesAndOrders) {
  MustCreateInstitution("okhmatdyt", "National Children's Specialized Hospital OKHMATDYT", "UA",
                        "UA-30");
  MustCreateInstitution("mechnikov", "I. I. Mechnikov Dnipropetrovsk Oblast Clinical Hospital",
                        "UA", "UA-12");
  MustCreateInstitution("gustave-roussy", "Gustave Roussy", "FR");
  Institution local = MakeInstitution("Chernihiv Regional Children's Hospital", "UA", "UA-74");
  local.set_local_name("Чернігівська обласна дитяча лікарня");
  Institution out;
  ASSERT_TRUE(CreateInstitution(local, "chernihiv-children", &out).ok());

  auto names = [&](const std::string& filter, const std::string& order = "") {
    v1::ListInstitutionsRequest req;
    req.set_filter(filter);
    req.set_order_by(order);
    v1::ListInstitutionsResponse resp;
    grpc::Status s = stub_->ListInstitutions(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << filter << ": " << s.error_message();
    std::vector<std::string> result;
    for (const auto& i : resp.institutions()) result.push_back(i.name());
    return result;
  };
  EXPECT_EQ(names(R"(country = "FR")"), std::vector<std::string>{"institutions/gustave-roussy"});
  EXPECT_EQ(names(R"(region = "UA-12")"), std::vector<std::string>{"institutions/mechnikov"});
  EXPECT_EQ(
      names(R"(country = "UA" AND region != "UA-30")", "display_name"),
      (std::vector<std::string>{"institutions/chernihiv-children", "institutions/mechnikov"}));
  EXPECT_EQ(names(R"(kind = "HOSPITAL" "okhmat")").size(), 1u);
  // Case-insensitive search over Latin and Cyrillic names.
  EXPECT_EQ(names(R"("ЧЕРНІГІВСЬКА")"),
            std::vector<std::string>{"institutions/chernihiv-children"});
  EXPECT_EQ(names(R"("gustave ROUSSY")"), std::vector<std::string>{"institutions/gustave-roussy"});
  EXPECT_EQ(names("", "display_name desc").front(), "institutions/okhmatdyt");

  v1::ListInstitutionsRequest bad;
  bad.set_filter(R"(colour = "red")");
  v1::ListInstitutionsResponse resp;
  grpc::Status s = stub_->ListInstitutions(Ctx().get(), bad, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("filter:", 0), 0u);
  bad.set_filter("");
  bad.set_order_by("colour");
  EXPECT_EQ(stub_->ListInstitutions(Ctx().get(), bad, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  bad.set_order_by("");
  bad.set_page_size(-1);
  EXPECT_EQ(stub_->ListInstitutions(Ctx().get(), bad, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RegistryTest, PaginationUnderConcurrentInsertsSeesEveryRowExactlyOnce) {
  for (int i = 0; i < 45; ++i) {
    MustCreateInstitution(absl::StrCat("h", i), absl::StrCat("Hospital ", 1000 + i), "PL");
  }
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load() && i < 200; ++i) {
      Institution out;
      (void)CreateInstitution(MakeInstitution(absl::StrCat("Hospital ", 5000 + i), "PL"),
                              absl::StrCat("n", i), &out);
    }
  });
  for (const std::string order : {"", "display_name", "display_name desc"}) {
    std::multiset<std::string> seen;
    v1::ListInstitutionsRequest req;
    req.set_page_size(7);
    req.set_order_by(order);
    do {
      v1::ListInstitutionsResponse resp;
      ASSERT_TRUE(stub_->ListInstitutions(Ctx().get(), req, &resp).ok());
      for (const auto& i : resp.institutions()) seen.insert(i.name());
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty());
    for (int i = 0; i < 45; ++i) {
      EXPECT_EQ(seen.count(absl::StrCat("institutions/h", i)), 1u) << order << " h" << i;
    }
    for (const auto& name : seen) EXPECT_EQ(seen.count(name), 1u) << name;
  }
  stop = true;
  writer.join();

  v1::ListInstitutionsRequest other;
  other.set_page_size(7);
  v1::ListInstitutionsResponse first;
  ASSERT_TRUE(stub_->ListInstitutions(Ctx().get(), other, &first).ok());
  other.set_page_token(first.next_page_token());
  other.set_filter(R"(country = "FR")");
  grpc::Status s = stub_->ListInstitutions(Ctx().get(), other, &first);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << "token reused with another filter";
}

TEST_F(RegistryTest, BatchGetKeepsOrderReturnsDeletedAndNamesTheMissing) {
  MustCreateInstitution("a1", "Alpha", "FR");
  Institution b = MustCreateInstitution("b1", "Beta", "DE");
  v1::DeleteInstitutionRequest del;
  del.set_name(b.name());
  Institution out;
  ASSERT_TRUE(stub_->DeleteInstitution(Ctx().get(), del, &out).ok());
  v1::BatchGetInstitutionsRequest req;
  req.add_names("institutions/b1");
  req.add_names("institutions/a1");
  v1::BatchGetInstitutionsResponse resp;
  ASSERT_TRUE(stub_->BatchGetInstitutions(Ctx().get(), req, &resp).ok());
  ASSERT_EQ(resp.institutions_size(), 2);
  EXPECT_EQ(resp.institutions(0).name(), "institutions/b1");
  EXPECT_TRUE(resp.institutions(0).has_delete_time());
  EXPECT_EQ(resp.institutions(1).name(), "institutions/a1");
  req.add_names("institutions/zzz");
  grpc::Status s = stub_->BatchGetInstitutions(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("names[2]: institutions/zzz"), std::string::npos);
}

// BatchGet reads every name in one IN list (padded with repeats to a power of two): answers
// still follow the request, and agreements carry their own parties in party order. (A name
// asked for twice is refused: batch_get_test.cc.)
TEST_F(RegistryTest, BatchGetAnswersInRequestOrderAndEachAgreementWithItsOwnParties) {
  MustCreateInstitution("ua1", "Lutsk Regional Hospital", "UA", "UA-07");
  MustCreateInstitution("ua2", "Lviv Clinical Hospital", "UA", "UA-46");
  MustCreateInstitution("gb1", "Sussex Hospital", "GB");
  MustCreateInstitution("fr1", "Lille Hospital", "FR");
  MustCreateTwinning("t1", "institutions/ua1", "institutions/gb1");
  MustCreateTwinning("t2", "institutions/ua2", "institutions/fr1");
  v1::BatchGetInstitutionsRequest institutions;
  for (const char* n : {"institutions/gb1", "institutions/ua1", "institutions/fr1"})
    institutions.add_names(n);
  v1::BatchGetInstitutionsResponse got_institutions;
  ASSERT_TRUE(stub_->BatchGetInstitutions(Ctx().get(), institutions, &got_institutions).ok());
  ASSERT_EQ(got_institutions.institutions_size(), 3);
  EXPECT_EQ(got_institutions.institutions(0).name(), "institutions/gb1");
  EXPECT_EQ(got_institutions.institutions(1).name(), "institutions/ua1");
  EXPECT_EQ(got_institutions.institutions(2).name(), "institutions/fr1");

  v1::BatchGetAgreementsRequest agreements;
  for (const char* n : {"agreements/t2", "agreements/t1"}) agreements.add_names(n);
  v1::BatchGetAgreementsResponse got;
  ASSERT_TRUE(stub_->BatchGetAgreements(Ctx().get(), agreements, &got).ok());
  ASSERT_EQ(got.agreements_size(), 2);
  EXPECT_EQ(got.agreements(0).name(), "agreements/t2");
  ASSERT_EQ(got.agreements(0).parties_size(), 2);
  EXPECT_EQ(got.agreements(0).parties(0).institution(), "institutions/ua2");
  EXPECT_EQ(got.agreements(0).parties(1).institution(), "institutions/fr1");
  EXPECT_EQ(got.agreements(1).name(), "agreements/t1");
  ASSERT_EQ(got.agreements(1).parties_size(), 2);
  EXPECT_EQ(got.agreements(1).parties(0).institution(), "institutions/ua1");
  EXPECT_EQ(got.agreements(1).parties(1).institution(), "institutions/gb1");
  v1::GetAgreementRequest one;
  one.set_name("agreements/t1");
  v1::Agreement single;
  ASSERT_TRUE(stub_->GetAgreement(Ctx().get(), one, &single).ok());
  EXPECT_EQ(single.SerializeAsString(), got.agreements(1).SerializeAsString());
}

TEST_F(RegistryTest, AgreementsNeedTwoExistingPartiesAndAUkrainianOne) {
  MustCreateInstitution("ua1", "Ukrainian One", "UA", "UA-46");
  MustCreateInstitution("fr1", "French One", "FR");
  Agreement out;
  grpc::Status s = CreateAgreement(
      MakeAgreement({{"institutions/ua1", Party::ROLE_UKRAINIAN_PARTNER}}), "x", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("agreement.parties", 0), 0u);
  s = CreateAgreement(MakeAgreement({{"institutions/fr1", Party::ROLE_FOREIGN_PARTNER},
                                     {"institutions/ua1", Party::ROLE_FUNDER}}),
                      "x", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  s = CreateAgreement(MakeAgreement({{"institutions/ua1", Party::ROLE_UKRAINIAN_PARTNER},
                                     {"institutions/ghost", Party::ROLE_FOREIGN_PARTNER}}),
                      "x", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("agreement.parties[1].institution: institutions/ghost"),
            std::string::npos);
  Agreement unsigned_active = MakeAgreement({{"institutions/ua1", Party::ROLE_UKRAINIAN_PARTNER},
                                             {"institutions/fr1", Party::ROLE_FOREIGN_PARTNER}});
  unsigned_active.clear_signed_on();
  s = CreateAgreement(unsigned_active, "x", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("agreement.signed_on", 0), 0u);
  Agreement bad_area = MakeAgreement({{"institutions/ua1", Party::ROLE_UKRAINIAN_PARTNER},
                                      {"institutions/fr1", Party::ROLE_FOREIGN_PARTNER}});
  bad_area.add_cooperation_areas("astrology");
  s = CreateAgreement(bad_area, "x", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("agreement.cooperation_areas[1]"), std::string::npos);
  Agreement expired = MakeAgreement({{"institutions/ua1", Party::ROLE_UKRAINIAN_PARTNER},
                                     {"institutions/fr1", Party::ROLE_FOREIGN_PARTNER}},
                                    Agreement::STATE_EXPIRED);
  EXPECT_EQ(CreateAgreement(expired, "x", &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(db_->QueryString("SELECT COUNT(*) FROM agreements"), "0");

  // A three-party agreement: a Ukrainian hospital, a US NGO and a Lithuanian clinic.
  MustCreateInstitution("razom", "Razom for Ukraine", "US");
  Agreement three = MakeAgreement({{"institutions/ua1", Party::ROLE_UKRAINIAN_PARTNER},
                                   {"institutions/razom", Party::ROLE_FUNDER},
                                   {"institutions/fr1", Party::ROLE_FOREIGN_PARTNER}});
  ASSERT_TRUE(CreateAgreement(three, "three", &out).ok());
  ASSERT_EQ(out.parties_size(), 3);
  EXPECT_EQ(out.parties(1).institution(), "institutions/razom");
  EXPECT_EQ(out.parties(1).role(), Party::ROLE_FUNDER);
}

TEST_F(RegistryTest, LifecycleAllowsExactlyTheDocumentedTransitions) {
  MustCreateInstitution("ua", "Ukrainian", "UA", "UA-46");
  MustCreateInstitution("fr", "French", "FR");
  using S = Agreement::State;
  const std::vector<S> states = {Agreement::STATE_PROPOSED, Agreement::STATE_ACTIVE,
                                 Agreement::STATE_SUSPENDED, Agreement::STATE_EXPIRED,
                                 Agreement::STATE_TERMINATED};
  const std::set<std::pair<S, S>> allowed = {
      {Agreement::STATE_PROPOSED, Agreement::STATE_ACTIVE},
      {Agreement::STATE_PROPOSED, Agreement::STATE_TERMINATED},
      {Agreement::STATE_ACTIVE, Agreement::STATE_SUSPENDED},
      {Agreement::STATE_ACTIVE, Agreement::STATE_EXPIRED},
      {Agreement::STATE_ACTIVE, Agreement::STATE_TERMINATED},
      {Agreement::STATE_SUSPENDED, Agreement::STATE_ACTIVE},
      {Agreement::STATE_SUSPENDED, Agreement::STATE_EXPIRED},
      {Agreement::STATE_SUSPENDED, Agreement::STATE_TERMINATED}};
  // Brings a fresh agreement into `from` through allowed transitions only.
  auto transition = [&](const std::string& name, S to) {
    Agreement out;
    grpc::Status s;
    switch (to) {
      case Agreement::STATE_ACTIVE: {
        v1::ActivateAgreementRequest r;
        r.set_name(name);
        r.mutable_signed_on()->set_year(2025);
        r.mutable_signed_on()->set_month(10);
        r.mutable_signed_on()->set_day(10);
        s = stub_->ActivateAgreement(Ctx().get(), r, &out);
        break;
      }
      case Agreement::STATE_SUSPENDED: {
        v1::SuspendAgreementRequest r;
        r.set_name(name);
        s = stub_->SuspendAgreement(Ctx().get(), r, &out);
        break;
      }
      case Agreement::STATE_EXPIRED: {
        v1::ExpireAgreementRequest r;
        r.set_name(name);
        s = stub_->ExpireAgreement(Ctx().get(), r, &out);
        break;
      }
      case Agreement::STATE_TERMINATED: {
        v1::TerminateAgreementRequest r;
        r.set_name(name);
        s = stub_->TerminateAgreement(Ctx().get(), r, &out);
        break;
      }
      default: break;
    }
    if (s.ok()) {
      EXPECT_EQ(out.state(), to);
    }
    return s;
  };
  auto reach = [&](const std::string& id, S from) {
    Agreement a =
        MustCreateTwinning(id, "institutions/ua", "institutions/fr", Agreement::STATE_PROPOSED);
    if (from == Agreement::STATE_PROPOSED) return a.name();
    if (from == Agreement::STATE_TERMINATED) {
      EXPECT_TRUE(transition(a.name(), from).ok());
      return a.name();
    }
    EXPECT_TRUE(transition(a.name(), Agreement::STATE_ACTIVE).ok());
    if (from != Agreement::STATE_ACTIVE) {
      EXPECT_TRUE(transition(a.name(), from).ok());
    }
    return a.name();
  };
  int n = 0;
  for (S from : states) {
    for (S to : states) {
      if (to == Agreement::STATE_PROPOSED) continue;  // no method leads back to PROPOSED
      const std::string name = reach(absl::StrCat("t", n++), from);
      grpc::Status s = transition(name, to);
      const bool expected = allowed.count({from, to}) > 0;
      EXPECT_EQ(s.ok(), expected) << Agreement::State_Name(from) << " -> "
                                  << Agreement::State_Name(to) << ": " << s.error_message();
      if (!expected) {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
      }
    }
  }
  // Activating requires a signing date when the agreement has none.
  Agreement proposed = MustCreateTwinning("needs-date", "institutions/ua", "institutions/fr",
                                          Agreement::STATE_PROPOSED);
  v1::ActivateAgreementRequest r;
  r.set_name(proposed.name());
  Agreement out;
  grpc::Status s = stub_->ActivateAgreement(Ctx().get(), r, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("signed_on", 0), 0u);
}

TEST_F(RegistryTest, InstitutionBoundByAnActiveAgreementCannotBeDeleted) {
  MustCreateInstitution("ua", "Ukrainian", "UA", "UA-46");
  MustCreateInstitution("fr", "French", "FR");
  Agreement a = MustCreateTwinning("twin", "institutions/ua", "institutions/fr");
  v1::DeleteInstitutionRequest del;
  del.set_name("institutions/fr");
  Institution out;
  grpc::Status s = stub_->DeleteInstitution(Ctx().get(), del, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("agreements/twin"), std::string::npos);
  v1::TerminateAgreementRequest term;
  term.set_name(a.name());
  Agreement ended;
  ASSERT_TRUE(stub_->TerminateAgreement(Ctx().get(), term, &ended).ok());
  EXPECT_TRUE(stub_->DeleteInstitution(Ctx().get(), del, &out).ok());
}

TEST_F(RegistryTest, AgreementFiltersInForcePartnersAndHistory) {
  MustCreateInstitution("nci", "National Cancer Institute", "UA", "UA-30");
  MustCreateInstitution("roussy", "Gustave Roussy", "FR");
  MustCreateInstitution("lille", "CHU Lille", "FR");
  MustCreateInstitution("chernihiv", "Chernihiv Regional Children's Hospital", "UA", "UA-74");
  Agreement a = MustCreateTwinning("nci-roussy", "institutions/nci", "institutions/roussy");
  Agreement b = MakeAgreement({{"institutions/chernihiv", Party::ROLE_UKRAINIAN_PARTNER},
                               {"institutions/lille", Party::ROLE_FOREIGN_PARTNER}});
  b.set_cooperation_areas(0, "pediatrics");
  b.mutable_signed_on()->set_year(2025);
  b.mutable_signed_on()->set_month(10);
  b.mutable_signed_on()->set_day(10);
  b.mutable_valid_until()->set_year(2027);
  b.mutable_valid_until()->set_month(10);
  b.mutable_valid_until()->set_day(9);
  Agreement created_b;
  ASSERT_TRUE(CreateAgreement(b, "chernihiv-lille", &created_b).ok());
  MustCreateTwinning("nci-lille-proposed", "institutions/nci", "institutions/lille",
                     Agreement::STATE_PROPOSED);

  auto names = [&](const std::string& filter) {
    v1::ListAgreementsRequest req;
    req.set_filter(filter);
    v1::ListAgreementsResponse resp;
    grpc::Status s = stub_->ListAgreements(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << filter << ": " << s.error_message();
    std::set<std::string> result;
    for (const auto& x : resp.agreements()) result.insert(x.name());
    return result;
  };
  using Names = std::set<std::string>;
  EXPECT_EQ(names(R"(state = "ACTIVE")"),
            (Names{"agreements/nci-roussy", "agreements/chernihiv-lille"}));
  EXPECT_EQ(names(R"(cooperation_areas:"pediatrics")"), Names{"agreements/chernihiv-lille"});
  EXPECT_EQ(names(R"(parties:"institutions/nci")"),
            (Names{"agreements/nci-roussy", "agreements/nci-lille-proposed"}));
  EXPECT_EQ(names(R"(party_region:"UA-74")"), Names{"agreements/chernihiv-lille"});
  EXPECT_EQ(names(R"(signed_on >= "2025-01-01" AND signed_on < "2026-01-01")"),
            Names{"agreements/chernihiv-lille"});
  EXPECT_EQ(names(R"(in_force_on = "2024-12-31")"), Names{"agreements/nci-roussy"});
  EXPECT_EQ(names(R"(in_force_on = "2026-01-01")"),
            (Names{"agreements/nci-roussy", "agreements/chernihiv-lille"}));
  EXPECT_EQ(names(R"(in_force_on = "2027-10-10")"), Names{"agreements/nci-roussy"});
  EXPECT_EQ(names(R"(cooperation_forms:"INTERNSHIPS_AND_KNOWLEDGE_EXCHANGE" state = "PROPOSED")"),
            Names{"agreements/nci-lille-proposed"});

  v1::ListPartnersRequest partners;
  partners.set_institution("institutions/nci");
  v1::ListPartnersResponse presp;
  ASSERT_TRUE(stub_->ListPartners(Ctx().get(), partners, &presp).ok());
  ASSERT_EQ(presp.partners_size(), 1) << "the PROPOSED agreement does not count by default";
  EXPECT_EQ(presp.partners(0).institution().name(), "institutions/roussy");
  partners.set_include_inactive(true);
  ASSERT_TRUE(stub_->ListPartners(Ctx().get(), partners, &presp).ok());
  EXPECT_EQ(presp.partners_size(), 2);

  // History: who changed what, newest first.
  v1::UpdateAgreementRequest upd;
  upd.mutable_agreement()->set_name(a.name());
  upd.mutable_agreement()->set_notes("Signed at the Forum");
  upd.mutable_update_mask()->add_paths("notes");
  Agreement updated;
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-imp-actor", "editor@moz.gov.ua");
  ASSERT_TRUE(stub_->UpdateAgreement(&ctx, upd, &updated).ok());
  v1::ListChangesRequest hist;
  hist.set_name(a.name());
  v1::ListChangesResponse changes;
  ASSERT_TRUE(stub_->ListChanges(Ctx().get(), hist, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 2);
  EXPECT_EQ(changes.changes(0).action(), v1::Change::ACTION_UPDATE);
  EXPECT_EQ(changes.changes(0).actor(), "editor@moz.gov.ua");
  EXPECT_EQ(changes.changes(0).changed_fields().paths(0), "notes");
  EXPECT_EQ(changes.changes(0).agreement().notes(), "Signed at the Forum");
  EXPECT_EQ(changes.changes(1).action(), v1::Change::ACTION_CREATE);
  EXPECT_EQ(changes.changes(1).actor(), "tester");
  EXPECT_GT(changes.changes(0).revision(), changes.changes(1).revision());
}

TEST_F(RegistryTest, CooperationAreaCodelistIsServed) {
  v1::ListCooperationAreasResponse resp;
  ASSERT_TRUE(stub_->ListCooperationAreas(Ctx().get(), {}, &resp).ok());
  std::set<std::string> codes;
  for (const auto& a : resp.cooperation_areas()) codes.insert(a.code());
  for (const char* code : {"oncology", "perinatal-care", "rehabilitation", "emergency-care",
                           "reconstructive-plastic-surgery", "telemedicine", "mental-health"}) {
    EXPECT_TRUE(codes.count(code)) << code;
  }
}

}  // namespace
}  // namespace imp::registry
