// A real RegistryServer on a loopback port over a database of the test's own, with the
// institutions and agreements projects refer to.
#ifndef IMP_TESTS_REGISTRY_PROJECT_FIXTURE_H_
#define IMP_TESTS_REGISTRY_PROJECT_FIXTURE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/api/errors.h"
#include "common/status.h"
#include "gtest/gtest.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "registry-service/src/registry_server.h"
#include "tests/support/test_database.h"

namespace imp::registry {

class ProjectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabase::Create();
    ServiceHostOptions host;
    host.name = "project-test";
    host.readiness_interval = absl::Milliseconds(100);
    server_ = std::make_unique<RegistryServer>(host, db_->pool_options());
    ASSERT_TRUE(server_->Start().ok());
    stub_ = v1::RegistryService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 100; ++i) {
      grpc::ClientContext ctx;
      v1::ListCooperationAreasResponse resp;
      if (stub_->ListCooperationAreas(&ctx, {}, &resp).ok()) break;
      absl::SleepFor(absl::Milliseconds(50));
    }
    Institution("moh", "Ministry of Health of Ukraine", "UA", "UA-30");
    Institution("borodianka", "Borodianka Central District Hospital", "UA", "UA-32");
    Institution("fr-moh", "Ministry of Health of France", "FR");
    Institution("treasury", "French State Treasury", "FR");
    Institution("lviv", "Lviv Regional Clinical Hospital", "UA", "UA-46");
    Institution("outsider", "Some Clinic", "DE");
    Agreement("ua-fr", {"moh", "fr-moh"});
    Agreement("ua-lviv", {"lviv", "outsider"});
  }

  void TearDown() override { server_->Shutdown(); }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& actor = "tester") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("x-imp-actor", actor);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }

  void Institution(const std::string& id, const std::string& display, const std::string& country,
                   const std::string& region = "") {
    v1::CreateInstitutionRequest req;
    req.set_institution_id(id);
    auto* in = req.mutable_institution();
    in->set_display_name(display);
    in->set_kind(v1::Institution::KIND_HOSPITAL);
    in->set_country(country);
    in->set_region(region);
    v1::Institution out;
    grpc::Status s = stub_->CreateInstitution(Ctx().get(), req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  v1::Agreement Agreement(const std::string& id, std::initializer_list<const char*> parties,
                          v1::Agreement::Kind kind = v1::Agreement::KIND_TWINNING_MEMORANDUM,
                          int declared = 0, const std::string& parent = "") {
    v1::CreateAgreementRequest req;
    req.set_agreement_id(id);
    auto* a = req.mutable_agreement();
    a->set_title(absl::StrCat("Agreement ", id));
    a->set_kind(kind);
    a->set_declared_member_count(declared);
    a->set_parent_agreement(parent);
    bool first = true;
    for (const char* p : parties) {
      auto* party = a->add_parties();
      party->set_institution(absl::StrCat("institutions/", p));
      party->set_role(first ? v1::Party::ROLE_UKRAINIAN_PARTNER : v1::Party::ROLE_FOREIGN_PARTNER);
      first = false;
    }
    v1::Agreement out;
    grpc::Status s = stub_->CreateAgreement(Ctx().get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  // The modular medical care centres of the seed documents: EUR 35 million, identification.
  static v1::Project Centres() {
    v1::Project p;
    p.set_title("Modular medical care centres");
    p.set_local_title("Модульні центри надання медичної допомоги");
    p.set_status(v1::Project::STATUS_IDENTIFICATION);
    p.add_agreements("agreements/ua-fr");
    p.add_cooperation_areas("infrastructure-recovery");
    auto* where = p.add_locations();
    where->set_country("UA");
    where->set_region("UA-32");
    where->set_site("institutions/borodianka");
    auto* line = p.add_budget();
    line->mutable_amount()->set_currency_code("EUR");
    line->mutable_amount()->set_units(35000000);
    line->set_status(v1::BudgetLine::STATUS_INDICATIVE);
    return p;
  }

  static v1::ProjectParticipant* Participant(v1::Project& p, const std::string& id,
                                             v1::ProjectParticipant::Role role) {
    auto* participant = p.add_participants();
    participant->set_institution(absl::StrCat("institutions/", id));
    participant->set_role(role);
    return participant;
  }

  grpc::Status Create(const v1::Project& p, const std::string& id, v1::Project* out,
                      const std::string& request_id = "", const std::string& actor = "tester") {
    v1::CreateProjectRequest req;
    *req.mutable_project() = p;
    req.set_project_id(id);
    req.set_request_id(request_id);
    return stub_->CreateProject(Ctx(actor).get(), req, out);
  }

  v1::Project MustCreate(const v1::Project& p, const std::string& id) {
    v1::Project out;
    grpc::Status s = Create(p, id, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  // The field a failed call names in its error details.
  static std::string FieldOf(const grpc::Status& s) { return api::FieldOf(FromGrpcStatus(s)); }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<RegistryServer> server_;
  std::unique_ptr<v1::RegistryService::Stub> stub_;
};

}  // namespace imp::registry

#endif  // IMP_TESTS_REGISTRY_PROJECT_FIXTURE_H_
