// The fixture of the read-model tests (read_model_test.cc, read_model_freshness_test.cc): the
// gateway fixture plus a stub straight at the registry, another gateway with its own copy, and
// the registry's own view of everything (to compare the gateway's copy and figures with).
#ifndef IMP_TESTS_GATEWAY_READ_MODEL_FIXTURE_H_
#define IMP_TESTS_GATEWAY_READ_MODEL_FIXTURE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "common/api/proto_util.h"
#include "gateway/src/aggregations.h"
#include "gateway/src/filter_text.h"
#include "gateway/src/project_figures.h"
#include "tests/gateway/gateway_fixture.h"
#include "tests/support/test_database.h"

namespace imp::gateway {

inline absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

class ReadModelTest : public GatewayTest {
 protected:
  void SetUp() override {
    GatewayTest::SetUp();
    direct_ = reg::RegistryService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", registry_->port()), grpc::InsecureChannelCredentials()));
  }

  static std::unique_ptr<grpc::ClientContext> Direct() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("x-imp-actor", "straight-at-the-registry");
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return ctx;
  }

  // Another gateway over the same backends, with its own copy (as another replica would be).
  std::unique_ptr<GatewayServer> StartGateway(absl::Duration poll_interval,
                                              const std::string& registry_target = "") {
    GatewayOptions options = Options();
    if (!registry_target.empty()) options.registry_target = registry_target;
    options.registry_copy.poll_interval = poll_interval;
    ServiceHostOptions host;
    host.name = "gateway-2";
    auto gateway = std::make_unique<GatewayServer>(host, options);
    EXPECT_TRUE(gateway->Start().ok());
    return gateway;
  }
  static std::unique_ptr<v1::GatewayService::Stub> GatewayStub(const GatewayServer& gateway) {
    return v1::GatewayService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", gateway.port()), grpc::InsecureChannelCredentials()));
  }
  static void WaitUntilLoaded(const GatewayServer& gateway) {
    for (int i = 0; i < 200 && !gateway.registry_copy().loaded(); ++i) {
      absl::SleepFor(absl::Milliseconds(25));
    }
    ASSERT_TRUE(gateway.registry_copy().loaded());
  }

  // Every resource of the registry (deleted ones too) and its revision.
  std::map<std::string, int64_t> RegistryRevisions() {
    std::map<std::string, int64_t> out;
    for (const auto& in : AllInstitutions(true)) out[in.name()] = *RevisionOfEtag(in.etag());
    for (const auto& a : AllAgreements("", true)) out[a.name()] = *RevisionOfEtag(a.etag());
    for (const auto& p : AllProjects("", true)) out[p.name()] = *RevisionOfEtag(p.etag());
    return out;
  }
  std::vector<reg::Project> AllProjects(const std::string& filter, bool show_deleted) {
    std::vector<reg::Project> all;
    reg::ListProjectsRequest req;
    req.set_page_size(1000);
    req.set_filter(filter);
    req.set_show_deleted(show_deleted);
    do {
      reg::ListProjectsResponse resp;
      grpc::Status s = direct_->ListProjects(Direct().get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      all.insert(all.end(), resp.projects().begin(), resp.projects().end());
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty());
    return all;
  }
  std::vector<reg::Institution> AllInstitutions(bool show_deleted) {
    std::vector<reg::Institution> all;
    reg::ListInstitutionsRequest req;
    req.set_page_size(1000);
    req.set_show_deleted(show_deleted);
    do {
      reg::ListInstitutionsResponse resp;
      EXPECT_TRUE(direct_->ListInstitutions(Direct().get(), req, &resp).ok());
      all.insert(all.end(), resp.institutions().begin(), resp.institutions().end());
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty());
    return all;
  }
  std::vector<reg::Agreement> AllAgreements(const std::string& filter, bool show_deleted) {
    std::vector<reg::Agreement> all;
    reg::ListAgreementsRequest req;
    req.set_page_size(1000);
    req.set_filter(filter);
    req.set_show_deleted(show_deleted);
    do {
      reg::ListAgreementsResponse resp;
      grpc::Status s = direct_->ListAgreements(Direct().get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      all.insert(all.end(), resp.agreements().begin(), resp.agreements().end());
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty());
    return all;
  }
  int64_t RegistryHead() {
    reg::ListRegistryChangesRequest req;
    req.set_page_size(1);
    reg::ListRegistryChangesResponse resp;
    EXPECT_TRUE(direct_->ListRegistryChanges(Direct().get(), req, &resp).ok());
    return resp.head_sequence();
  }

  // The registry half of a programme summary as the gateway computed it before it had a copy:
  // ListAgreements with the narrowing as filter terms, the institutions from ListInstitutions;
  // the projects from ListProjects with the narrowing as its filter terms.
  v1::GetProgramSummaryResponse SummaryFromTheRegistry(const v1::GetProgramSummaryRequest& req) {
    std::vector<std::string> terms;
    if (!req.country().empty()) terms.push_back(FilterTerm("party_country", ":", req.country()));
    if (!req.oblast().empty()) terms.push_back(FilterTerm("party_region", ":", req.oblast()));
    if (!req.cooperation_area().empty()) {
      terms.push_back(FilterTerm("cooperation_areas", ":", req.cooperation_area()));
    }
    if (!req.institution().empty()) {
      terms.push_back(FilterTerm("parties", ":", req.institution()));
    }
    InstitutionsByName by_name;
    for (const auto& in : AllInstitutions(false)) by_name[in.name()] = in;
    v1::GetProgramSummaryResponse out;
    const google::type::Date end = api::IsSet(req.end_date()) ? req.end_date() : Today();
    const std::vector<reg::Agreement> agreements =
        AllAgreements(absl::StrJoin(terms, " AND "), false);
    SummarizeAgreements(agreements, by_name, req.start_date(), end, &out);
    AgreementRefs refs;
    for (const auto& a : agreements) refs.push_back(&a);
    DescribeNetwork(
        refs,
        [&](const std::string& name) -> const reg::Institution* {
          auto it = by_name.find(name);
          return it == by_name.end() ? nullptr : &it->second;
        },
        end, out.mutable_network());

    std::vector<std::string> project_terms;
    if (!req.country().empty()) project_terms.push_back(FilterTerm("country", ":", req.country()));
    if (!req.oblast().empty()) project_terms.push_back(FilterTerm("oblast", ":", req.oblast()));
    if (!req.cooperation_area().empty()) {
      project_terms.push_back(FilterTerm("area", ":", req.cooperation_area()));
    }
    if (!req.institution().empty()) {
      project_terms.push_back(FilterTerm("institution", ":", req.institution()));
    }
    const std::vector<reg::Project> projects =
        AllProjects(absl::StrJoin(project_terms, " AND "), false);
    ProjectRefs project_refs;
    for (const auto& p : projects) project_refs.push_back(&p);
    SummarizeProjects(project_refs, req.start_date(), end, out.mutable_projects());
    return out;
  }
  static v1::GetProgramSummaryResponse RegistryPart(v1::GetProgramSummaryResponse s) {
    v1::GetProgramSummaryResponse out;
    out.set_agreements_signed_in_period(s.agreements_signed_in_period());
    out.set_agreements_in_force_at_end(s.agreements_in_force_at_end());
    *out.mutable_cumulative_partnerships() = s.cumulative_partnerships();
    *out.mutable_institutions_by_country() = s.institutions_by_country();
    *out.mutable_institutions_by_oblast() = s.institutions_by_oblast();
    *out.mutable_projects() = s.projects();
    *out.mutable_network() = s.network();
    return out;
  }

  grpc::Status DirectInstitution(const std::string& id, const std::string& country,
                                 const std::string& region = "") {
    reg::CreateInstitutionRequest req;
    req.set_institution_id(id);
    req.mutable_institution()->set_display_name(absl::StrCat("Institution ", id));
    req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
    req.mutable_institution()->set_country(country);
    req.mutable_institution()->set_region(region);
    reg::Institution out;
    return direct_->CreateInstitution(Direct().get(), req, &out);
  }
  grpc::Status DirectAgreement(const std::string& id, const reg::Agreement& a) {
    reg::CreateAgreementRequest req;
    req.set_agreement_id(id);
    *req.mutable_agreement() = a;
    reg::Agreement out;
    return direct_->CreateAgreement(Direct().get(), req, &out);
  }

  int64_t InForce(v1::GatewayService::Stub& gw, v1::GetProgramSummaryResponse* s = nullptr) {
    v1::GetProgramSummaryResponse local;
    if (s == nullptr) s = &local;
    grpc::Status status = gw.GetProgramSummary(Ctx(kViewer).get(), {}, s);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return s->agreements_in_force_at_end();
  }

  std::unique_ptr<reg::RegistryService::Stub> direct_;
};

}  // namespace imp::gateway

#endif  // IMP_TESTS_GATEWAY_READ_MODEL_FIXTURE_H_
