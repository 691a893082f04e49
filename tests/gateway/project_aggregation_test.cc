// Projects in the gateway's aggregations, end to end (real registry, activity and gateway servers
// on loopback over real MariaDB): the overviews list an institution's and an agreement's
// projects with their figures exactly as stored, the programme summary counts projects by status,
// money per currency and deliverables (deleted projects left out, the narrowings as the
// registry's ListProjects filters), framework agreements' declared members are counted and
// explained, a project written through the gateway counts in the caller's next aggregation, and
// a scoped editor reads what everyone reads.
#include <google/protobuf/util/message_differencer.h>

#include "tests/gateway/read_model_fixture.h"

namespace imp::gateway {
namespace {

using google::protobuf::util::MessageDifferencer;

google::type::Money Money(const std::string& currency, int64_t units, int32_t nanos = 0) {
  google::type::Money m;
  m.set_currency_code(currency);
  m.set_units(units);
  m.set_nanos(nanos);
  return m;
}

std::string Text(const google::protobuf::RepeatedPtrField<google::type::Money>& totals) {
  std::string out;
  for (const auto& m : totals) {
    absl::StrAppend(&out, m.currency_code(), " ", m.units(), ".", m.nanos(), "; ");
  }
  return out;
}

class ProjectAggregationTest : public ReadModelTest {
 protected:
  static void Participant(reg::Project& p, const std::string& id,
                          reg::ProjectParticipant::Role role) {
    auto* participant = p.add_participants();
    participant->set_institution("institutions/" + id);
    participant->set_role(role);
  }
  static void Transaction(reg::Project& p, reg::FinancialTransaction::Kind kind,
                          const google::type::Date& date, const google::type::Money& amount,
                          const std::string& provider, const std::string& receiver) {
    auto* t = p.add_transactions();
    t->set_kind(kind);
    *t->mutable_date() = date;
    *t->mutable_amount() = amount;
    t->set_provider("institutions/" + provider);
    t->set_receiver("institutions/" + receiver);
  }
  static reg::Deliverable* Deliverable(reg::Project& p, const std::string& what,
                                       const std::string& unit, int64_t planned) {
    auto* d = p.add_deliverables();
    d->set_what(what);
    d->set_unit(unit);
    d->set_planned_quantity(planned);
    return d;
  }
  static void Deliver(reg::Deliverable* d, const google::type::Date& date, int64_t quantity) {
    auto* delivery = d->add_deliveries();
    *delivery->mutable_date() = date;
    delivery->set_quantity(quantity);
  }
  static void Budget(reg::Project& p, const google::type::Money& amount,
                     reg::BudgetLine::Status status) {
    auto* line = p.add_budget();
    *line->mutable_amount() = amount;
    line->set_status(status);
  }

  grpc::Status CreateProject(const char* token, const std::string& id, const reg::Project& p,
                             reg::Project* out = nullptr) {
    reg::CreateProjectRequest req;
    req.set_project_id(id);
    *req.mutable_project() = p;
    reg::Project ignored;
    return reg_->CreateProject(Ctx(token).get(), req, out != nullptr ? out : &ignored);
  }

  // Seed() and three projects, plus a deleted fourth:
  // - ventilators (IMPLEMENTATION, under lviv-lille, in UA-46 on lviv's site, oncology): budget
  //   EUR 1,000,000.50 + 250,000 and UAH 3,000,000; committed EUR 800,000 (2024-07-01);
  //   disbursed EUR 300,000.25 (2024-09-01) + 100,000 (2025-02-01) and UAH 500,000
  //   (2025-03-01); spent EUR 50,000 (not summed); ventilators 7 of 10 (4 in 2024), courses 2
  //   of 2 (2024).
  // - rehab (IDENTIFICATION, under volyn-sussex, in UA-07): committed GBP 20,000 (2025-01-10).
  // - telemed (CLOSED, under lviv-kaunas, in LT): lviv receives EUR 5,000 (2025-11-01); kits 5
  //   of 5 (2025-11-02).
  // - gone (deleted): lviv funds EUR 999.
  void SeedProjects() {
    Seed();
    reg::Project v;
    v.set_title("Ventilators for Lviv");
    v.set_local_title("Апарати ШВЛ для Львова");
    v.set_status(reg::Project::STATUS_IMPLEMENTATION);
    v.add_agreements("agreements/lviv-lille");
    v.add_cooperation_areas("oncology");
    Participant(v, "lille", reg::ProjectParticipant::ROLE_FUNDING);
    Participant(v, "lviv", reg::ProjectParticipant::ROLE_IMPLEMENTING);
    auto* where = v.add_locations();
    where->set_country("UA");
    where->set_region("UA-46");
    where->set_site("institutions/lviv");
    Budget(v, Money("EUR", 1000000, 500000000), reg::BudgetLine::STATUS_COMMITTED);
    Budget(v, Money("UAH", 3000000), reg::BudgetLine::STATUS_INDICATIVE);
    Budget(v, Money("EUR", 250000), reg::BudgetLine::STATUS_INDICATIVE);
    using T = reg::FinancialTransaction;
    Transaction(v, T::KIND_COMMITMENT, D(2024, 7, 1), Money("EUR", 800000), "lille", "lviv");
    Transaction(v, T::KIND_DISBURSEMENT, D(2024, 9, 1), Money("EUR", 300000, 250000000), "lille",
                "lviv");
    Transaction(v, T::KIND_DISBURSEMENT, D(2025, 2, 1), Money("EUR", 100000), "lille", "lviv");
    Transaction(v, T::KIND_DISBURSEMENT, D(2025, 3, 1), Money("UAH", 500000), "lille", "lviv");
    Transaction(v, T::KIND_EXPENDITURE, D(2025, 3, 2), Money("EUR", 50000), "lviv", "lille");
    reg::Deliverable* machines = Deliverable(v, "Ventilator", "machine", 10);
    Deliver(machines, D(2024, 10, 1), 4);
    Deliver(machines, D(2025, 1, 15), 3);
    Deliver(Deliverable(v, "ICU nursing course", "course", 2), D(2024, 11, 1), 2);
    ASSERT_TRUE(CreateProject(kAdmin, "ventilators", v).ok());

    reg::Project r;
    r.set_title("Rehabilitation centre");
    r.set_status(reg::Project::STATUS_IDENTIFICATION);
    r.add_agreements("agreements/volyn-sussex");
    Participant(r, "volyn", reg::ProjectParticipant::ROLE_ACCOUNTABLE);
    where = r.add_locations();
    where->set_country("UA");
    where->set_region("UA-07");
    Transaction(r, T::KIND_COMMITMENT, D(2025, 1, 10), Money("GBP", 20000), "sussex", "volyn");
    ASSERT_TRUE(CreateProject(kAdmin, "rehab", r).ok());

    reg::Project t;
    t.set_title("Telemedicine kits");
    t.set_status(reg::Project::STATUS_CLOSED);
    t.add_agreements("agreements/lviv-kaunas");
    Participant(t, "kaunas", reg::ProjectParticipant::ROLE_FUNDING);
    t.add_locations()->set_country("LT");
    Transaction(t, T::KIND_DISBURSEMENT, D(2025, 11, 1), Money("EUR", 5000), "kaunas", "lviv");
    Deliver(Deliverable(t, "Telemedicine kit", "machine", 5), D(2025, 11, 2), 5);
    ASSERT_TRUE(CreateProject(kAdmin, "telemed", t).ok());

    reg::Project g;
    g.set_title("Withdrawn");
    g.set_status(reg::Project::STATUS_IMPLEMENTATION);
    g.add_agreements("agreements/lviv-lille");
    Participant(g, "lviv", reg::ProjectParticipant::ROLE_FUNDING);
    Budget(g, Money("EUR", 999), reg::BudgetLine::STATUS_COMMITTED);
    Deliver(Deliverable(g, "Ventilator", "machine", 3), D(2024, 5, 5), 3);
    ASSERT_TRUE(CreateProject(kAdmin, "gone", g).ok());
    reg::DeleteProjectRequest del;
    del.set_name("projects/gone");
    reg::Project deleted;
    ASSERT_TRUE(reg_->DeleteProject(Ctx(kAdmin).get(), del, &deleted).ok());
  }

  v1::GetProgramSummaryResponse Summary(const char* token, v1::GetProgramSummaryRequest req = {}) {
    v1::GetProgramSummaryResponse s;
    grpc::Status status = gw_->GetProgramSummary(Ctx(token).get(), req, &s);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(s.missing_sources_size(), 0);
    return s;
  }
};

TEST_F(ProjectAggregationTest, AnInstitutionsOverviewListsItsProjectsWithTheirFiguresAsStored) {
  SeedProjects();
  v1::GetInstitutionOverviewRequest req;
  req.set_name("institutions/lviv");
  v1::GetInstitutionOverviewResponse o;
  ASSERT_TRUE(gw_->GetInstitutionOverview(Ctx(kViewer).get(), req, &o).ok());
  // A participant (ventilators: implementer and site) and a transaction's receiver only
  // (telemed); the deleted project it funded is not listed.
  ASSERT_EQ(o.projects_size(), 2);
  EXPECT_EQ(o.project_count(), 2);
  std::vector<std::string> shown, listed;
  for (const auto& p : o.projects()) shown.push_back(p.project().name());
  for (const auto& p : AllProjects(FilterTerm("institution", ":", req.name()), false)) {
    listed.push_back(p.name());
  }
  EXPECT_EQ(shown, listed) << "what the registry's ListProjects filter institution: lists";
  EXPECT_EQ(shown, (std::vector<std::string>{"projects/ventilators", "projects/telemed"}));

  const v1::InstitutionProject& v = o.projects(0);
  EXPECT_EQ(v.roles_size(), 1);
  EXPECT_EQ(v.roles(0), reg::ProjectParticipant::ROLE_IMPLEMENTING);
  EXPECT_TRUE(v.site());
  EXPECT_TRUE(v.transaction_party());
  EXPECT_EQ(v.project().title(), "Ventilators for Lviv");
  EXPECT_EQ(v.project().local_title(), "Апарати ШВЛ для Львова");
  EXPECT_EQ(v.project().status(), reg::Project::STATUS_IMPLEMENTATION);
  EXPECT_EQ(Text(v.project().budget()), "EUR 1250000.500000000; UAH 3000000.0; ");
  EXPECT_EQ(Text(v.project().committed()), "EUR 800000.0; ");
  EXPECT_EQ(Text(v.project().disbursed()), "EUR 400000.250000000; UAH 500000.0; ");
  ASSERT_EQ(v.project().deliverables_size(), 2);
  EXPECT_EQ(v.project().deliverables(0).what(), "Ventilator");
  EXPECT_EQ(v.project().deliverables(0).unit(), "machine");
  EXPECT_EQ(v.project().deliverables(0).planned_quantity(), 10);
  EXPECT_EQ(v.project().deliverables(0).delivered_quantity(), 7);
  EXPECT_EQ(v.project().deliverables(1).delivered_quantity(), 2);

  const v1::InstitutionProject& t = o.projects(1);
  EXPECT_EQ(t.roles_size(), 0);
  EXPECT_FALSE(t.site());
  EXPECT_TRUE(t.transaction_party());
  EXPECT_EQ(Text(t.project().disbursed()), "EUR 5000.0; ");
  EXPECT_EQ(t.project().committed_size(), 0);
  EXPECT_EQ(t.project().budget_size(), 0);
}

TEST_F(ProjectAggregationTest, AnAgreementsOverviewListsTheProjectsCarriedOutUnderIt) {
  SeedProjects();
  v1::GetAgreementOverviewRequest req;
  req.set_name("agreements/lviv-lille");
  v1::GetAgreementOverviewResponse o;
  ASSERT_TRUE(gw_->GetAgreementOverview(Ctx(kViewer).get(), req, &o).ok());
  ASSERT_EQ(o.projects_size(), 1) << "the deleted project under it is not listed";
  EXPECT_EQ(o.project_count(), 1);
  EXPECT_EQ(o.projects(0).name(), "projects/ventilators");
  EXPECT_EQ(Text(o.projects(0).committed()), "EUR 800000.0; ");
  req.set_name("agreements/okhmatdyt-lille");
  ASSERT_TRUE(gw_->GetAgreementOverview(Ctx(kViewer).get(), req, &o).ok());
  EXPECT_EQ(o.projects_size(), 0);
  EXPECT_EQ(o.project_count(), 0);
}

TEST_F(ProjectAggregationTest, TheSummaryCountsProjectsByStatusMoneyPerCurrencyAndDeliverables) {
  SeedProjects();
  const v1::ProjectFigures p = Summary(kViewer).projects();
  EXPECT_EQ(p.projects(), 3) << "the deleted project is not counted";
  ASSERT_EQ(p.projects_by_status_size(), 3);
  EXPECT_EQ(p.projects_by_status(0).key(), "STATUS_IDENTIFICATION");
  EXPECT_EQ(p.projects_by_status(0).count(), 1);
  EXPECT_EQ(p.projects_by_status(1).key(), "STATUS_IMPLEMENTATION");
  EXPECT_EQ(p.projects_by_status(1).count(), 1);
  EXPECT_EQ(p.projects_by_status(2).key(), "STATUS_CLOSED");
  EXPECT_EQ(p.projects_by_status(2).count(), 1);
  EXPECT_EQ(Text(p.budget()), "EUR 1250000.500000000; UAH 3000000.0; ");
  EXPECT_EQ(Text(p.committed()), "EUR 800000.0; GBP 20000.0; ");
  EXPECT_EQ(Text(p.disbursed()), "EUR 405000.250000000; UAH 500000.0; ");
  EXPECT_EQ(p.deliverables(), 3);
  EXPECT_EQ(p.deliverables_completed(), 2);  // the courses and the kits
  ASSERT_EQ(p.deliverables_by_unit_size(), 2);
  EXPECT_EQ(p.deliverables_by_unit(0).unit(), "course");
  EXPECT_EQ(p.deliverables_by_unit(0).planned_quantity(), 2);
  EXPECT_EQ(p.deliverables_by_unit(0).delivered_quantity(), 2);
  EXPECT_EQ(p.deliverables_by_unit(1).unit(), "machine");
  EXPECT_EQ(p.deliverables_by_unit(1).deliverables(), 2);
  EXPECT_EQ(p.deliverables_by_unit(1).planned_quantity(), 15);
  EXPECT_EQ(p.deliverables_by_unit(1).delivered_quantity(), 12);

  // 2024: the money and the deliveries dated in it; every project still counted.
  v1::GetProgramSummaryRequest year;
  *year.mutable_start_date() = D(2024, 1, 1);
  *year.mutable_end_date() = D(2024, 12, 31);
  const v1::ProjectFigures y = Summary(kViewer, year).projects();
  EXPECT_EQ(y.projects(), 3);
  EXPECT_EQ(Text(y.committed()), "EUR 800000.0; ");
  EXPECT_EQ(Text(y.disbursed()), "EUR 300000.250000000; ");
  EXPECT_EQ(Text(y.budget()), "EUR 1250000.500000000; UAH 3000000.0; ");
  EXPECT_EQ(y.deliverables_completed(), 1);  // the courses only, by 2024-12-31
  ASSERT_EQ(y.deliverables_by_unit_size(), 2);
  EXPECT_EQ(y.deliverables_by_unit(1).delivered_quantity(), 4);
  // From 2025: the ventilators delivered before it are not delivered in the period.
  v1::GetProgramSummaryRequest since;
  *since.mutable_start_date() = D(2025, 1, 1);
  const v1::ProjectFigures s = Summary(kViewer, since).projects();
  EXPECT_EQ(s.deliverables_by_unit(1).delivered_quantity(), 8);
  EXPECT_EQ(s.deliverables_completed(), 2);
}

TEST_F(ProjectAggregationTest, SummaryNarrowingsCountTheProjectsOfTheRegistrysFilters) {
  SeedProjects();
  std::vector<v1::GetProgramSummaryRequest> requests(7);
  requests[0].set_country("LT");
  requests[1].set_oblast("UA-46");
  requests[2].set_cooperation_area("oncology");
  requests[3].set_institution("institutions/lviv");
  requests[4].set_institution("institutions/sussex");  // a transaction's provider only
  requests[5].set_country("UA");
  requests[5].set_oblast("UA-07");
  requests[6].set_country("FR");
  const std::vector<int64_t> counted = {1, 1, 1, 2, 1, 1, 0};
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto s = Summary(kViewer, requests[i]);
    EXPECT_EQ(s.projects().projects(), counted[i]) << requests[i].ShortDebugString();
    EXPECT_TRUE(MessageDifferencer::Equals(RegistryPart(s), SummaryFromTheRegistry(requests[i])))
        << requests[i].ShortDebugString() << "\n"
        << RegistryPart(s).DebugString() << "vs\n"
        << SummaryFromTheRegistry(requests[i]).DebugString();
  }
}

TEST_F(ProjectAggregationTest, AFrameworkDeclaringSeventeenMembersIsCountedAndExplained) {
  Seed();
  ASSERT_TRUE(CreateInstitution(kAdmin, "moh", "UA", "UA-30").ok());
  ASSERT_TRUE(CreateInstitution(kAdmin, "giz", "DE").ok());
  reg::Agreement framework = Twinning("moh", "giz", D(2025, 10, 10));
  framework.set_title("Memorandum MoH of Ukraine – GIZ");
  framework.set_kind(reg::Agreement::KIND_FRAMEWORK_AGREEMENT);
  framework.set_declared_member_count(17);
  ASSERT_TRUE(CreateAgreement(kAdmin, "moh-giz", framework).ok());

  v1::PartnershipNetwork n = Summary(kViewer).network();
  // Signed: volyn-sussex, lviv-lille, lviv-kaunas and the framework (okhmatdyt-lille is only
  // proposed); named: their seven parties.
  EXPECT_EQ(n.partnerships(), 4);
  EXPECT_EQ(n.frameworks_with_unnamed_members(), 1);
  EXPECT_EQ(n.institutions_named(), 7);
  EXPECT_EQ(n.institutions_declared_unnamed(), 17);
  EXPECT_EQ(n.institutions_including_declared(), 24);
  ASSERT_EQ(n.frameworks_size(), 1);
  EXPECT_EQ(n.frameworks(0).agreement(), "agreements/moh-giz");
  EXPECT_EQ(n.frameworks(0).declared(), 17);
  EXPECT_EQ(n.frameworks(0).named(), 0);
  EXPECT_EQ(n.frameworks(0).unnamed(), 17);
  EXPECT_EQ(n.explanation(),
            "4 partnerships, 7 institutions named (+17 declared by Memorandum MoH of Ukraine – GIZ "
            "(agreements/moh-giz), not yet named; 24 including them)");

  // One member named: counted among the named, one fewer declared; the total stays.
  ASSERT_TRUE(CreateInstitution(kAdmin, "charite", "DE").ok());
  reg::UpdateAgreementRequest name_one;
  name_one.mutable_agreement()->set_name("agreements/moh-giz");
  name_one.mutable_agreement()->add_member_institutions("institutions/charite");
  name_one.mutable_update_mask()->add_paths("member_institutions");
  reg::Agreement updated;
  grpc::Status s = reg_->UpdateAgreement(Ctx(kEditor).get(), name_one, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  n = Summary(kViewer).network();
  EXPECT_EQ(n.institutions_named(), 8);
  EXPECT_EQ(n.institutions_declared_unnamed(), 16);
  EXPECT_EQ(n.institutions_including_declared(), 24);
  EXPECT_EQ(n.frameworks(0).named(), 1);
  // The member does not count as a party (institutions_by_country counts parties).
  int64_t by_country = 0;
  const v1::GetProgramSummaryResponse all = Summary(kViewer);
  for (const auto& c : all.institutions_by_country()) by_country += c.count();
  EXPECT_EQ(by_country, 7);

  // Narrowed to Germany: the framework (GIZ is a party) and its members only.
  v1::GetProgramSummaryRequest de;
  de.set_country("DE");
  n = Summary(kViewer, de).network();
  EXPECT_EQ(n.partnerships(), 1);
  EXPECT_EQ(n.institutions_named(), 3);
  EXPECT_EQ(n.institutions_declared_unnamed(), 16);
  // Without frameworks declaring members the sentence says so plainly.
  v1::GetProgramSummaryRequest lt;
  lt.set_country("LT");
  n = Summary(kViewer, lt).network();
  EXPECT_EQ(n.explanation(), "1 partnership, 2 institutions");
  EXPECT_EQ(n.frameworks_size(), 0);
  // And the figures are those computed from the registry's own lists.
  for (const auto& req : {v1::GetProgramSummaryRequest(), de}) {
    EXPECT_TRUE(MessageDifferencer::Equals(RegistryPart(Summary(kViewer, req)),
                                           SummaryFromTheRegistry(req)));
  }
}

// The write's answer enters the copy before the caller gets it: its next aggregation counts the
// project even when the registry cannot be asked any more (through a gateway whose follower
// sleeps, so only the write itself can have brought it).
TEST_F(ProjectAggregationTest, AProjectWrittenThroughTheGatewayCountsNextEvenWhenTheRegistryStops) {
  Seed();
  auto gateway = StartGateway(absl::Hours(1));
  WaitUntilLoaded(*gateway);
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", gateway->port()),
                                     grpc::InsecureChannelCredentials());
  auto registry = reg::RegistryService::NewStub(channel);
  auto gw = GatewayStub(*gateway);
  reg::CreateProjectRequest create;
  create.set_project_id("mri");
  create.mutable_project()->set_title("MRI scanner");
  create.mutable_project()->set_status(reg::Project::STATUS_IDENTIFICATION);
  Participant(*create.mutable_project(), "volyn", reg::ProjectParticipant::ROLE_IMPLEMENTING);
  Budget(*create.mutable_project(), Money("EUR", 2000000), reg::BudgetLine::STATUS_INDICATIVE);
  reg::Project created;
  ASSERT_TRUE(registry->CreateProject(Ctx(kEditor).get(), create, &created).ok());
  reg::UpdateProjectRequest update;
  update.mutable_project()->set_name(created.name());
  update.mutable_project()->set_status(reg::Project::STATUS_IMPLEMENTATION);
  update.mutable_update_mask()->add_paths("status");
  reg::Project updated;
  ASSERT_TRUE(registry->UpdateProject(Ctx(kEditor).get(), update, &updated).ok());
  registry_->Shutdown();

  v1::GetProgramSummaryResponse s;
  ASSERT_TRUE(gw->GetProgramSummary(Ctx(kViewer).get(), {}, &s).ok());
  EXPECT_TRUE(s.freshness().registry_stale());
  EXPECT_EQ(s.projects().projects(), 1);
  ASSERT_EQ(s.projects().projects_by_status_size(), 1);
  EXPECT_EQ(s.projects().projects_by_status(0).key(), "STATUS_IMPLEMENTATION");
  EXPECT_EQ(Text(s.projects().budget()), "EUR 2000000.0; ");
  v1::GetInstitutionOverviewRequest o;
  o.set_name("institutions/volyn");
  v1::GetInstitutionOverviewResponse overview;
  ASSERT_TRUE(gw->GetInstitutionOverview(Ctx(kViewer).get(), o, &overview).ok());
  ASSERT_EQ(overview.projects_size(), 1);
  EXPECT_EQ(overview.projects(0).project().status(), reg::Project::STATUS_IMPLEMENTATION);
  gateway->Shutdown();
}

// An institution in many large projects: the overview lists them in creation order up to 1 MiB
// and counts them all, so the answer stays within what a default client accepts.
TEST_F(ProjectAggregationTest, AnOverviewListsProjectsUpToOneMebibyteAndCountsThemAll) {
  Seed();
  constexpr int kProjects = 16;  // each summary ~83 KiB: 200 deliverables of 400 bytes
  for (int i = 0; i < kProjects; ++i) {
    reg::Project p;
    p.set_title(absl::StrCat("Equipment lot ", i));
    p.set_status(reg::Project::STATUS_IMPLEMENTATION);
    Participant(p, "lviv", reg::ProjectParticipant::ROLE_IMPLEMENTING);
    for (int d = 0; d < 200; ++d) {
      Deliverable(p, absl::StrCat(d, std::string(296, 'w')), std::string(100, 'u'), 1);
    }
    ASSERT_TRUE(CreateProject(kAdmin, absl::StrCat("lot-", 10 + i), p).ok());
  }
  v1::GetInstitutionOverviewRequest req;
  req.set_name("institutions/lviv");
  v1::GetInstitutionOverviewResponse o;
  ASSERT_TRUE(gw_->GetInstitutionOverview(Ctx(kViewer).get(), req, &o).ok());
  EXPECT_EQ(o.project_count(), kProjects);
  EXPECT_GT(o.projects_size(), 10);
  EXPECT_LT(o.projects_size(), kProjects);
  size_t bytes = 0;
  for (int i = 0; i < o.projects_size(); ++i) {
    EXPECT_EQ(o.projects(i).project().name(), absl::StrCat("projects/lot-", 10 + i));
    bytes += o.projects(i).ByteSizeLong();
  }
  EXPECT_LE(bytes, size_t{1} << 20);
}

// Reads are not scoped (auth.h): an editor scoped to volyn reads every project in the
// aggregations, as it does through ListProjects.
TEST_F(ProjectAggregationTest, AScopedEditorReadsTheProjectsEveryoneReads) {
  SeedProjects();
  EXPECT_TRUE(MessageDifferencer::Equals(Summary(kScoped).projects(), Summary(kViewer).projects()));
  EXPECT_EQ(Summary(kScoped).projects().projects(), 3);
  v1::GetInstitutionOverviewRequest req;
  req.set_name("institutions/lviv");
  v1::GetInstitutionOverviewResponse scoped, viewer;
  ASSERT_TRUE(gw_->GetInstitutionOverview(Ctx(kScoped).get(), req, &scoped).ok());
  ASSERT_TRUE(gw_->GetInstitutionOverview(Ctx(kViewer).get(), req, &viewer).ok());
  ASSERT_EQ(scoped.projects_size(), 2);
  ASSERT_EQ(viewer.projects_size(), 2);
  EXPECT_TRUE(MessageDifferencer::Equals(scoped.projects(0), viewer.projects(0)));
}

}  // namespace
}  // namespace imp::gateway
