// registry-service with oversized and hostile input: every field capped with INVALID_ARGUMENT
// naming it, short error messages whatever the client sent, http(s)-only links, List pages
// bounded in bytes, unparsable requests answered INVALID_ARGUMENT. A real RegistryServer on a
// loopback port over a MariaDB database of the test's own.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/api/bounds.h"
#include "common/api/page_budget.h"
#include "gtest/gtest.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "registry-service/src/registry_server.h"
#include "registry-service/src/validation.h"
#include "tests/support/test_database.h"

namespace imp::registry {
namespace {

using v1::Agreement;
using v1::Institution;
using v1::Party;

class RegistryBoundsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabase::Create();
    ServiceHostOptions host;
    host.name = "registry-bounds-test";
    host.readiness_interval = absl::Milliseconds(100);
    server_ = std::make_unique<RegistryServer>(host, db_->pool_options());
    ASSERT_TRUE(server_->Start().ok());
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::RegistryService::NewStub(channel_);
    for (int i = 0; i < 100; ++i) {
      grpc::ClientContext ctx;
      v1::ListCooperationAreasResponse resp;
      if (stub_->ListCooperationAreas(&ctx, {}, &resp).ok()) return;
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "registry never became ready";
  }

  void TearDown() override { server_->Shutdown(); }

  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& actor = "tester") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("x-imp-actor", actor);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return ctx;
  }

  static Institution MakeInstitution(const std::string& display, const std::string& country) {
    Institution in;
    in.set_display_name(display);
    in.set_kind(Institution::KIND_HOSPITAL);
    in.set_country(country);
    return in;
  }

  grpc::Status Create(const Institution& in, const std::string& id, Institution* out = nullptr) {
    v1::CreateInstitutionRequest req;
    *req.mutable_institution() = in;
    req.set_institution_id(id);
    Institution ignored;
    return stub_->CreateInstitution(Ctx().get(), req, out ? out : &ignored);
  }

  static Agreement MakeAgreement() {
    Agreement a;
    a.set_title("Memorandum of cooperation");
    a.set_kind(Agreement::KIND_TWINNING_MEMORANDUM);
    auto* ua = a.add_parties();
    ua->set_institution("institutions/volyn");
    ua->set_role(Party::ROLE_UKRAINIAN_PARTNER);
    auto* foreign = a.add_parties();
    foreign->set_institution("institutions/sussex");
    foreign->set_role(Party::ROLE_FOREIGN_PARTNER);
    return a;
  }

  grpc::Status Create(const Agreement& a, const std::string& id, Agreement* out = nullptr) {
    v1::CreateAgreementRequest req;
    *req.mutable_agreement() = a;
    req.set_agreement_id(id);
    Agreement ignored;
    return stub_->CreateAgreement(Ctx().get(), req, out ? out : &ignored);
  }

  void SeedParties() {
    ASSERT_TRUE(Create(MakeInstitution("Volyn Regional Clinical Hospital", "UA"), "volyn").ok());
    ASSERT_TRUE(Create(MakeInstitution("University Hospitals Sussex", "GB"), "sussex").ok());
  }

  int CountInstitutions() {
    v1::ListInstitutionsRequest req;
    req.set_page_size(1000);
    v1::ListInstitutionsResponse resp;
    EXPECT_TRUE(stub_->ListInstitutions(Ctx().get(), req, &resp).ok());
    return resp.institutions_size();
  }

  int CountAgreements() {
    v1::ListAgreementsRequest req;
    req.set_page_size(1000);
    v1::ListAgreementsResponse resp;
    EXPECT_TRUE(stub_->ListAgreements(Ctx().get(), req, &resp).ok());
    return resp.agreements_size();
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<RegistryServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::RegistryService::Stub> stub_;
};

// An INVALID_ARGUMENT whose message starts with `field` and gives the limit.
void ExpectCapped(const grpc::Status& s, const std::string& field, size_t limit) {
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << field << ": " << s.error_message();
  EXPECT_TRUE(absl::StartsWith(s.error_message(), absl::StrCat(field, ": at most ", limit, " ")))
      << field << ": " << s.error_message();
  EXPECT_LT(s.error_message().size(), 200u);
}

TEST(RegistryLimits, EveryStringAndRepeatedFieldOfEveryRequestHasAChosenLimit) {
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      "imp.registry.v1.RegistryService");
  ASSERT_NE(service, nullptr);
  ASSERT_GT(service->method_count(), 20) << "the loop below must check the methods";
  for (int i = 0; i < service->method_count(); ++i) {
    const auto* input = service->method(i)->input_type();
    EXPECT_EQ(api::UnlistedFields(input, RegistryLimits()), std::vector<std::string>{})
        << input->full_name();
  }
}

TEST_F(RegistryBoundsTest, OversizedInstitutionFieldsAreRefusedNamingTheFieldAndNothingIsStored) {
  struct Case {
    std::string field;
    size_t limit;
    std::function<void(Institution&)> oversize;
  };
  const std::vector<Case> cases = {
      {"institution.display_name", 300,
       [](Institution& in) { in.set_display_name(std::string(301, 'x')); }},
      {"institution.local_name", 300,
       [](Institution& in) { in.set_local_name(std::string(301, 'x')); }},
      {"institution.short_names", 20,
       [](Institution& in) {
         for (int i = 0; i < 21; ++i) in.add_short_names(absl::StrCat("S", i));
       }},
      {"institution.short_names[0]", 100,
       [](Institution& in) { in.add_short_names(std::string(101, 'x')); }},
      {"institution.region", 100, [](Institution& in) { in.set_region(std::string(101, 'x')); }},
      {"institution.city", 200, [](Institution& in) { in.set_city(std::string(201, 'x')); }},
      {"institution.website", 500,
       [](Institution& in) { in.set_website("https://example.org/" + std::string(481, 'x')); }},
      {"institution.notes", 10000, [](Institution& in) { in.set_notes(std::string(10001, 'x')); }},
      {"institution.etag", 64, [](Institution& in) { in.set_etag(std::string(65, 'x')); }},
      {"institution.name", 200, [](Institution& in) { in.set_name(std::string(201, 'x')); }},
  };
  for (const auto& c : cases) {
    Institution in = MakeInstitution("Gustave Roussy", "FR");
    c.oversize(in);
    ExpectCapped(Create(in, ""), c.field, c.limit);
  }
  EXPECT_EQ(CountInstitutions(), 0) << "a refused create must not write anything";

  // An update is held to the same limits, and the stored institution stays as it was.
  Institution stored;
  ASSERT_TRUE(Create(MakeInstitution("Gustave Roussy", "FR"), "roussy", &stored).ok());
  v1::UpdateInstitutionRequest update;
  update.mutable_institution()->set_name("institutions/roussy");
  update.mutable_institution()->set_notes(std::string(1 << 20, 'x'));
  update.mutable_update_mask()->add_paths("notes");
  Institution updated;
  ExpectCapped(stub_->UpdateInstitution(Ctx().get(), update, &updated), "institution.notes", 10000);
  v1::GetInstitutionRequest get;
  get.set_name("institutions/roussy");
  Institution got;
  ASSERT_TRUE(stub_->GetInstitution(Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.etag(), stored.etag());
}

TEST_F(RegistryBoundsTest, OversizedAgreementFieldsAreRefusedNamingTheFieldAndNothingIsStored) {
  SeedParties();
  struct Case {
    std::string field;
    size_t limit;
    std::function<void(Agreement&)> oversize;
  };
  const std::vector<Case> cases = {
      {"agreement.title", 500, [](Agreement& a) { a.set_title(std::string(501, 'x')); }},
      {"agreement.parties", 200,
       [](Agreement& a) {
         for (int i = 0; i < 199; ++i) {
           auto* p = a.add_parties();
           p->set_institution(absl::StrCat("institutions/p", i));
           p->set_role(Party::ROLE_FUNDER);
         }
       }},
      {"agreement.parties[2].institution", 200,
       [](Agreement& a) {
         auto* p = a.add_parties();
         p->set_institution(std::string(201, 'x'));
         p->set_role(Party::ROLE_FUNDER);
       }},
      {"agreement.signing_event", 300,
       [](Agreement& a) { a.set_signing_event(std::string(301, 'x')); }},
      {"agreement.cooperation_areas", 50,
       [](Agreement& a) {
         for (int i = 0; i < 51; ++i) a.add_cooperation_areas("oncology");
       }},
      {"agreement.cooperation_areas[0]", 64,
       [](Agreement& a) { a.add_cooperation_areas(std::string(65, 'x')); }},
      {"agreement.cooperation_forms", 20,
       [](Agreement& a) {
         for (int i = 0; i < 21; ++i)
           a.add_cooperation_forms(v1::COOPERATION_FORM_JOINT_PUBLICATIONS);
       }},
      {"agreement.funders", 50,
       [](Agreement& a) {
         for (int i = 0; i < 51; ++i) a.add_funders("GIZ");
       }},
      {"agreement.funders[0]", 300, [](Agreement& a) { a.add_funders(std::string(301, 'x')); }},
      {"agreement.document_uri", 1000,
       [](Agreement& a) { a.set_document_uri("https://example.org/" + std::string(981, 'x')); }},
      {"agreement.notes", 10000, [](Agreement& a) { a.set_notes(std::string(10001, 'x')); }},
  };
  for (const auto& c : cases) {
    Agreement a = MakeAgreement();
    c.oversize(a);
    ExpectCapped(Create(a, ""), c.field, c.limit);
  }
  EXPECT_EQ(CountAgreements(), 0) << "a refused create must not write anything";
}

TEST_F(RegistryBoundsTest, OversizedRequestFieldsAreRefusedNamingTheFieldAndTheLimit) {
  {
    v1::ListInstitutionsRequest req;
    req.set_filter(std::string(api::kMaxFilterBytes + 1, 'x'));
    v1::ListInstitutionsResponse resp;
    ExpectCapped(stub_->ListInstitutions(Ctx().get(), req, &resp), "filter", api::kMaxFilterBytes);
    req.clear_filter();
    req.set_order_by(std::string(101, 'x'));
    ExpectCapped(stub_->ListInstitutions(Ctx().get(), req, &resp), "order_by", 100);
    req.clear_order_by();
    req.set_page_token(std::string(8193, 'x'));
    ExpectCapped(stub_->ListInstitutions(Ctx().get(), req, &resp), "page_token", 8192);
  }
  {
    v1::BatchGetAgreementsRequest req;
    for (int i = 0; i < 1001; ++i) req.add_names("agreements/a");
    v1::BatchGetAgreementsResponse resp;
    ExpectCapped(stub_->BatchGetAgreements(Ctx().get(), req, &resp), "names", 1000);
    req.clear_names();
    req.add_names(std::string(201, 'x'));
    ExpectCapped(stub_->BatchGetAgreements(Ctx().get(), req, &resp), "names[0]", 200);
  }
  {
    v1::UpdateAgreementRequest req;
    req.mutable_agreement()->set_name("agreements/a");
    for (int i = 0; i < 51; ++i) req.mutable_update_mask()->add_paths("title");
    Agreement resp;
    ExpectCapped(stub_->UpdateAgreement(Ctx().get(), req, &resp), "update_mask.paths", 50);
  }
  {
    v1::TerminateAgreementRequest req;
    req.set_name("agreements/a");
    req.set_reason(std::string(1001, 'x'));
    Agreement resp;
    ExpectCapped(stub_->TerminateAgreement(Ctx().get(), req, &resp), "reason", 1000);
  }
  {
    v1::CreateInstitutionRequest req;
    *req.mutable_institution() = MakeInstitution("Gustave Roussy", "FR");
    req.set_request_id(std::string(65, 'x'));
    Institution resp;
    ExpectCapped(stub_->CreateInstitution(Ctx().get(), req, &resp), "request_id", 64);
    req.clear_request_id();
    // The audit trail records the caller's x-imp-actor; an actor it cannot keep is refused.
    grpc::Status s = stub_->CreateInstitution(Ctx(std::string(201, 'a')).get(), req, &resp);
    ExpectCapped(s, "x-imp-actor metadata", 200);
  }
  EXPECT_EQ(CountInstitutions(), 0);
}

TEST_F(RegistryBoundsTest, HugeValuesGetAShortInvalidArgumentThatQuotesThemCut) {
  for (const std::string& huge :
       {std::string(15 << 10, 'x'), std::string(1 << 20, 'x'), std::string(7000, '\n') + "ж"}) {
    std::vector<std::pair<std::string, grpc::Status>> answers;
    {
      v1::GetInstitutionRequest req;
      req.set_name(huge);
      Institution resp;
      answers.push_back({"GetInstitution.name", stub_->GetInstitution(Ctx().get(), req, &resp)});
    }
    {
      v1::CreateInstitutionRequest req;
      *req.mutable_institution() = MakeInstitution(huge, "FR");
      Institution resp;
      answers.push_back(
          {"CreateInstitution.display_name", stub_->CreateInstitution(Ctx().get(), req, &resp)});
      *req.mutable_institution() = MakeInstitution("Gustave Roussy", huge);
      answers.push_back(
          {"CreateInstitution.country", stub_->CreateInstitution(Ctx().get(), req, &resp)});
      *req.mutable_institution() = MakeInstitution("Gustave Roussy", "FR");
      req.set_institution_id(huge);
      answers.push_back(
          {"CreateInstitution.institution_id", stub_->CreateInstitution(Ctx().get(), req, &resp)});
    }
    {
      v1::ListAgreementsRequest req;
      req.set_order_by(huge);
      v1::ListAgreementsResponse resp;
      answers.push_back(
          {"ListAgreements.order_by", stub_->ListAgreements(Ctx().get(), req, &resp)});
    }
    {
      v1::DeleteAgreementRequest req;
      req.set_name("agreements/a");
      req.set_etag(huge);
      Agreement resp;
      answers.push_back({"DeleteAgreement.etag", stub_->DeleteAgreement(Ctx().get(), req, &resp)});
    }
    for (const auto& [what, s] : answers) {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << what << ": " << s.error_message().substr(0, 300);
      EXPECT_LT(s.error_message().size(), 200u) << what;
    }
  }
  // Values under the limits are quoted in full, with quotes escaped; control characters are
  // refused before any rule quotes the value, naming where they are.
  v1::CreateInstitutionRequest req;
  *req.mutable_institution() = MakeInstitution("Gustave Roussy", "F'R");
  Institution resp;
  grpc::Status s = stub_->CreateInstitution(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_message(),
            "institution.country: 'F\\'R' is not an ISO 3166-1 alpha-2 code (e.g. UA, FR)");
  *req.mutable_institution() = MakeInstitution("Gustave Roussy", "F\r\nR");
  s = stub_->CreateInstitution(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_message(),
            "institution.country: control character U+000D at byte 1 is not allowed (a "
            "single-line field)");
  EXPECT_EQ(CountInstitutions(), 0);
}

TEST_F(RegistryBoundsTest, LinksMustBeAbsoluteHttpOrHttpsUrlsWithoutControlCharacters) {
  SeedParties();
  Institution in = MakeInstitution("Gustave Roussy", "FR");
  in.set_website("https://www.gustaveroussy.fr/\r\nSet-Cookie: session=1");
  grpc::Status s = Create(in, "roussy");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "institution.website: ")) << s.error_message();
  in.set_website("https://www.gustaveroussy.fr/en");
  ASSERT_TRUE(Create(in, "roussy").ok());

  v1::UpdateInstitutionRequest update;
  update.mutable_institution()->set_name("institutions/roussy");
  update.mutable_institution()->set_website("javascript:alert(document.cookie)");
  update.mutable_update_mask()->add_paths("website");
  Institution updated;
  s = stub_->UpdateInstitution(Ctx().get(), update, &updated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "institution.website: ")) << s.error_message();

  for (const std::string uri : {"javascript:alert(1)", "data:text/html;base64,PHNjcmlwdD4=",
                                "https://example.org/a\nb", "https://example.org/a b"}) {
    Agreement a = MakeAgreement();
    a.set_document_uri(uri);
    s = Create(a, "");
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << uri;
    EXPECT_TRUE(absl::StartsWith(s.error_message(), "agreement.document_uri: "))
        << s.error_message();
  }
  EXPECT_EQ(CountAgreements(), 0);
  Agreement a = MakeAgreement();
  a.set_document_uri("https://moz.gov.ua/storage/memorandum-2024.pdf");
  Agreement created;
  ASSERT_TRUE(Create(a, "memo", &created).ok());
  EXPECT_EQ(created.document_uri(), "https://moz.gov.ua/storage/memorandum-2024.pdf");
}

// The largest institution the limits allow (about 13 KB serialized), number i.
Institution MaximalInstitution(int i) {
  Institution in;
  in.set_display_name(absl::StrCat("Hospital ", i, " ", std::string(280, 'd')).substr(0, 300));
  in.set_kind(Institution::KIND_HOSPITAL);
  in.set_country("FR");
  std::string local;
  while (local.size() + 2 <= 300) local += "ж";
  in.set_local_name(local);
  for (int k = 0; k < 20; ++k) {
    std::string s = absl::StrCat(k, " ");
    while (s.size() + 2 <= 100) s += "ж";
    in.add_short_names(s);
  }
  in.set_region(std::string(100, 'r'));
  in.set_city(std::string(200, 'c'));
  in.set_website("https://example.org/" + std::string(480, 'w'));
  in.set_notes(std::string(10000, 'n'));
  return in;
}

TEST_F(RegistryBoundsTest, AListPageOfMaximalInstitutionsStaysUnderTheByteBudget) {
  constexpr int kCount = 270;  // about 3.6 MB in all
  for (int i = 0; i < kCount; ++i) {
    grpc::Status s = Create(MaximalInstitution(i), "");
    ASSERT_TRUE(s.ok()) << i << ": " << s.error_message();
  }
  std::set<std::string> seen;
  v1::ListInstitutionsRequest req;
  req.set_page_size(1000);
  int pages = 0;
  do {
    v1::ListInstitutionsResponse resp;
    grpc::Status s = stub_->ListInstitutions(Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_LE(resp.ByteSizeLong(), api::kMaxPageBytes);
    EXPECT_GT(resp.institutions_size(), 0);
    for (const auto& in : resp.institutions()) EXPECT_TRUE(seen.insert(in.name()).second);
    req.set_page_token(resp.next_page_token());
    ++pages;
  } while (!req.page_token().empty() && pages < 10);
  EXPECT_EQ(pages, 2) << "fewer than page_size results, and the rest on the next page";
  EXPECT_EQ(seen.size(), static_cast<size_t>(kCount)) << "every institution exactly once";
}

TEST_F(RegistryBoundsTest, AnUnparsableRequestIsInvalidArgumentSayingSo) {
  grpc::GenericStub generic(channel_);
  // GetInstitutionRequest{name: "\xff\xfe"}: field 1, length 2, bytes that are not UTF-8.
  const std::string invalid_utf8("\x0a\x02\xff\xfe", 4);
  // A length that runs past the end of the message.
  const std::string truncated("\x0a\x10institutions/", 15);
  for (const std::string& payload : {invalid_utf8, truncated}) {
    grpc::Slice slice(payload);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    absl::Notification done;
    grpc::Status status;
    generic.UnaryCall(&ctx, "/imp.registry.v1.RegistryService/GetInstitution", grpc::StubOptions(),
                      &request, &response, [&](grpc::Status s) {
                        status = std::move(s);
                        done.Notify();
                      });
    done.WaitForNotification();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_TRUE(absl::StrContains(status.error_message(), "UTF-8")) << status.error_message();
  }
  // The server goes on serving.
  v1::ListCooperationAreasResponse areas;
  EXPECT_TRUE(stub_->ListCooperationAreas(Ctx().get(), {}, &areas).ok());
}

}  // namespace
}  // namespace imp::registry
