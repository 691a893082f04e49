// Projects end to end: a real RegistryServer over a database of the test's own (fixture in
// project_fixture.h). Validation names the field, money keeps its currency, references and the
// transaction rule are checked against what is stored, and the standard methods behave as for
// institutions and agreements (request ids, etags, soft delete, history, filters).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/registry/project_fixture.h"

namespace imp::registry {
namespace {

using v1::Project;

google::type::Money Eur(int64_t units) {
  google::type::Money m;
  m.set_currency_code("EUR");
  m.set_units(units);
  return m;
}

void SetDate(google::type::Date* d, int y, int m, int day) {
  d->set_year(y);
  d->set_month(m);
  d->set_day(day);
}

class ProjectApiTest : public ProjectTest {
 protected:
  std::vector<std::string> Names(const std::string& filter, bool show_deleted = false) {
    v1::ListProjectsRequest req;
    req.set_filter(filter);
    req.set_show_deleted(show_deleted);
    v1::ListProjectsResponse resp;
    grpc::Status s = stub_->ListProjects(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << filter << ": " << s.error_message();
    std::vector<std::string> out;
    for (const auto& p : resp.projects()) out.push_back(p.name());
    return out;
  }

  grpc::Status Update(const Project& patch, const std::vector<std::string>& paths, Project* out) {
    v1::UpdateProjectRequest req;
    *req.mutable_project() = patch;
    for (const auto& p : paths) req.mutable_update_mask()->add_paths(p);
    return stub_->UpdateProject(Ctx().get(), req, out);
  }
};

TEST_F(ProjectApiTest, CreatesTheBorodiankaCentresAndReturnsWhatItStored) {
  Project created = MustCreate(Centres(), "centres");
  EXPECT_EQ(created.name(), "projects/centres");
  EXPECT_FALSE(created.etag().empty());
  ASSERT_EQ(created.budget_totals_size(), 1);
  EXPECT_EQ(created.budget_totals(0).currency_code(), "EUR");
  EXPECT_EQ(created.budget_totals(0).units(), 35000000);
  v1::GetProjectRequest get;
  get.set_name("projects/centres");
  Project got;
  ASSERT_TRUE(stub_->GetProject(Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.SerializeAsString(), created.SerializeAsString());
  EXPECT_EQ(got.local_title(), "Модульні центри надання медичної допомоги");
  EXPECT_EQ(got.locations(0).site(), "institutions/borodianka");
  EXPECT_EQ(got.status(), Project::STATUS_IDENTIFICATION);
}

TEST_F(ProjectApiTest, TotalsAreSummedPerCurrencyAndNeverConverted) {
  Project p = Centres();
  auto* uah = p.add_budget();
  uah->mutable_amount()->set_currency_code("UAH");
  uah->mutable_amount()->set_units(1000);
  uah->mutable_amount()->set_nanos(500000000);
  uah->set_status(v1::BudgetLine::STATUS_COMMITTED);
  auto* more = p.add_budget();
  *more->mutable_amount() = Eur(5);
  more->mutable_amount()->set_nanos(750000000);
  more->set_status(v1::BudgetLine::STATUS_COMMITTED);
  auto* more_uah = p.add_budget();
  *more_uah->mutable_amount() = *uah->mutable_amount();
  more_uah->set_status(v1::BudgetLine::STATUS_INDICATIVE);
  Project created = MustCreate(p, "mixed");
  ASSERT_EQ(created.budget_totals_size(), 2);
  EXPECT_EQ(created.budget_totals(0).currency_code(), "EUR");
  EXPECT_EQ(created.budget_totals(0).units(), 35000005);
  EXPECT_EQ(created.budget_totals(0).nanos(), 750000000);
  EXPECT_EQ(created.budget_totals(1).currency_code(), "UAH");
  EXPECT_EQ(created.budget_totals(1).units(), 2001);
  EXPECT_EQ(created.budget_totals(1).nanos(), 0);
}

TEST_F(ProjectApiTest, ACurrencyThatIsNotIso4217IsRefusedNamingTheField) {
  Project p = Centres();
  p.mutable_budget(0)->mutable_amount()->set_currency_code("EURO");
  Project out;
  grpc::Status s = Create(p, "bad-currency", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "project.budget[0].amount.currency_code");
  p.mutable_budget(0)->mutable_amount()->set_currency_code("eur");
  EXPECT_EQ(Create(p, "bad-currency", &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ProjectApiTest, ANegativeAmountIsRefusedNamingTheField) {
  Project p = Centres();
  p.mutable_budget(0)->mutable_amount()->set_units(-1);
  Project out;
  grpc::Status s = Create(p, "negative", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "project.budget[0].amount");
}

TEST_F(ProjectApiTest, DeliveriesAbovePlannedAreRefusedUnlessMarkedAsOverDelivery) {
  Project p = Centres();
  auto* d = p.add_deliverables();
  d->set_what("Latest-generation mammography machine");
  d->set_unit("machine");
  d->set_planned_quantity(30);
  for (int q : {20, 11}) {
    auto* delivery = d->add_deliveries();
    SetDate(delivery->mutable_date(), 2024, 5, 1);
    delivery->set_quantity(q);
  }
  Project out;
  grpc::Status s = Create(p, "machines", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "project.deliverables[0].deliveries");
  p.mutable_deliverables(0)->set_over_delivery(true);
  ASSERT_TRUE(Create(p, "machines", &out).ok());
  EXPECT_EQ(out.deliverables(0).delivered_quantity(), 31);
}

TEST_F(ProjectApiTest, ActualDatesAndDeliveriesInTheFutureAreRefused) {
  Project p = Centres();
  SetDate(p.mutable_actual_start(), 2090, 1, 1);
  Project out;
  grpc::Status s = Create(p, "future", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "project.actual_start");
  p.clear_actual_start();
  SetDate(p.mutable_planned_start(), 2090, 1, 1);  // planned dates may lie ahead
  s = Create(p, "future", &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(ProjectApiTest, ATransactionPartyMustBeAnAgreementPartyOrAParticipant) {
  Project p = Centres();
  auto* t = p.add_transactions();
  t->set_kind(v1::FinancialTransaction::KIND_DISBURSEMENT);
  SetDate(t->mutable_date(), 2024, 3, 1);
  *t->mutable_amount() = Eur(1000);
  t->set_provider("institutions/outsider");  // exists, but takes no part
  t->set_receiver("institutions/moh");
  Project out;
  grpc::Status s = Create(p, "paid", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(FieldOf(s), "project.transactions[0].provider");

  p.mutable_transactions(0)->set_provider("institutions/treasury");  // not a party of ua-fr
  s = Create(p, "paid", &out);
  EXPECT_EQ(FieldOf(s), "project.transactions[0].provider");
  Participant(p, "treasury", v1::ProjectParticipant::ROLE_FUNDING);
  ASSERT_TRUE(Create(p, "paid", &out).ok());  // a listed participant may provide
  EXPECT_EQ(Names("institution:\"institutions/treasury\""),
            std::vector<std::string>{"projects/paid"});
}

TEST_F(ProjectApiTest, AReferenceToADeletedOrUnknownInstitutionIsAFailedPrecondition) {
  Project p = Centres();
  Participant(p, "nowhere", v1::ProjectParticipant::ROLE_IMPLEMENTING);
  Project out;
  grpc::Status s = Create(p, "unknown", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(FieldOf(s), "project.participants[0].institution");
  p = Centres();
  p.add_agreements("agreements/none");
  s = Create(p, "unknown", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(FieldOf(s), "project.agreements[1]");
}

TEST_F(ProjectApiTest, ARetriedCreateReturnsTheFirstAnswerAndAReusedIdForOtherContentIsRefused) {
  Project first;
  ASSERT_TRUE(Create(Centres(), "", &first, "req-1").ok());
  Project again;
  ASSERT_TRUE(Create(Centres(), "", &again, "req-1").ok());
  EXPECT_EQ(again.name(), first.name());
  Project other = Centres();
  other.set_title("Another title");
  grpc::Status s = Create(other, "", &again, "req-1");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(api::ReasonOf(FromGrpcStatus(s)), "REQUEST_ID_REUSED");
  EXPECT_EQ(Names("").size(), 1u);
}

TEST_F(ProjectApiTest, AnUpdateChangesTheMaskedFieldsAndAStaleEtagIsAborted) {
  Project created = MustCreate(Centres(), "centres");
  Project patch;
  patch.set_name("projects/centres");
  patch.set_status(Project::STATUS_IMPLEMENTATION);
  patch.set_etag(created.etag());
  Project updated;
  ASSERT_TRUE(Update(patch, {"status"}, &updated).ok());
  EXPECT_EQ(updated.status(), Project::STATUS_IMPLEMENTATION);
  EXPECT_EQ(updated.title(), created.title());
  EXPECT_NE(updated.etag(), created.etag());
  grpc::Status s = Update(patch, {"status"}, &updated);  // the first etag again
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);

  patch.clear_etag();
  patch.mutable_budget()->Add()->mutable_amount()->set_currency_code("XYZ");
  s = Update(patch, {"budget"}, &updated);
  EXPECT_EQ(FieldOf(s), "project.budget[0].amount.currency_code");

  v1::ListChangesRequest changes;
  changes.set_name("projects/centres");
  v1::ListChangesResponse history;
  ASSERT_TRUE(stub_->ListChanges(Ctx().get(), changes, &history).ok());
  ASSERT_EQ(history.changes_size(), 2);  // the refused update recorded nothing
  for (const auto& change : history.changes()) {
    EXPECT_EQ(change.project().status(), change.action() == v1::Change::ACTION_UPDATE
                                             ? Project::STATUS_IMPLEMENTATION
                                             : Project::STATUS_IDENTIFICATION);
  }
}

TEST_F(ProjectApiTest, ADeletedProjectLeavesListsAndCannotBeUpdatedUntilRestored) {
  MustCreate(Centres(), "centres");
  v1::DeleteProjectRequest del;
  del.set_name("projects/centres");
  Project out;
  ASSERT_TRUE(stub_->DeleteProject(Ctx().get(), del, &out).ok());
  EXPECT_TRUE(out.has_delete_time());
  EXPECT_TRUE(Names("").empty());
  EXPECT_EQ(Names("", true).size(), 1u);
  Project patch;
  patch.set_name("projects/centres");
  patch.set_notes("x");
  EXPECT_EQ(Update(patch, {"notes"}, &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  v1::UndeleteProjectRequest undel;
  undel.set_name("projects/centres");
  ASSERT_TRUE(stub_->UndeleteProject(Ctx().get(), undel, &out).ok());
  EXPECT_EQ(Names("").size(), 1u);
}

TEST_F(ProjectApiTest, FiltersSelectByStatusInstitutionFunderAgreementCountryOblastAndArea) {
  MustCreate(Centres(), "centres");
  Project lviv;
  lviv.set_title("Rehabilitation ward");
  lviv.set_status(Project::STATUS_IMPLEMENTATION);
  lviv.add_agreements("agreements/ua-lviv");
  lviv.add_cooperation_areas("rehabilitation");
  Participant(lviv, "outsider", v1::ProjectParticipant::ROLE_FUNDING);
  Participant(lviv, "lviv", v1::ProjectParticipant::ROLE_IMPLEMENTING);
  auto* where = lviv.add_locations();
  where->set_country("UA");
  where->set_region("UA-46");
  MustCreate(lviv, "ward");
  const std::vector<std::string> centres = {"projects/centres"};
  const std::vector<std::string> ward = {"projects/ward"};
  EXPECT_EQ(Names("status = IDENTIFICATION"), centres);
  EXPECT_EQ(Names("status != IDENTIFICATION"), ward);
  EXPECT_EQ(Names("institution:\"institutions/borodianka\""), centres);  // a site
  EXPECT_EQ(Names("funder:\"institutions/outsider\""), ward);
  EXPECT_TRUE(Names("funder:\"institutions/lviv\"").empty());  // implementing, not funding
  EXPECT_EQ(Names("agreement:\"agreements/ua-fr\""), centres);
  EXPECT_EQ(Names("oblast:\"UA-46\""), ward);
  EXPECT_EQ(Names("country:\"UA\"").size(), 2u);
  EXPECT_EQ(Names("area:\"infrastructure-recovery\""), centres);
  EXPECT_EQ(Names("\"модульні\""), centres);  // the Ukrainian title, case-insensitively
  v1::ListProjectsRequest bad;
  bad.set_filter("oblast:\"UA-99\"");
  v1::ListProjectsResponse resp;
  grpc::Status s = stub_->ListProjects(Ctx().get(), bad, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ProjectApiTest, BatchGetAnswersInRequestOrder) {
  MustCreate(Centres(), "a");
  MustCreate(Centres(), "b");
  v1::BatchGetProjectsRequest req;
  req.add_names("projects/b");
  req.add_names("projects/a");
  v1::BatchGetProjectsResponse resp;
  ASSERT_TRUE(stub_->BatchGetProjects(Ctx().get(), req, &resp).ok());
  ASSERT_EQ(resp.projects_size(), 2);
  EXPECT_EQ(resp.projects(0).name(), "projects/b");
  EXPECT_EQ(resp.projects(1).name(), "projects/a");
}

}  // namespace
}  // namespace imp::registry
