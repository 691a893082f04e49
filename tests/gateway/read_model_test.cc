// The gateway's copy of the registry end to end (real registry, activity and gateway servers on
// loopback over real MariaDB): the copy converges to exactly the registry's state (institutions,
// agreements, projects) under concurrent writers, some holding their transactions open, and the
// figures are those the registry's own filters give. Freshness and read-your-writes:
// read_model_freshness_test.cc.
#include <google/protobuf/util/message_differencer.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/str_format.h"
#include "common/api/page_budget.h"
#include "common/db/database.h"
#include "registry-service/src/store.h"
#include "tests/gateway/read_model_fixture.h"
#include "tests/registry/largest_project.h"

namespace imp::gateway {
namespace {

using google::protobuf::util::MessageDifferencer;

// A registry write done the registry's way (the row's revision moves, then the change takes its
// feed number as the last step), for a writer whose commit the test delays.
constexpr db::Statement kBumpInstitution{
    "test_bump_institution",
    "UPDATE institutions SET city = ?, revision = revision + 1 WHERE id = ?"};
constexpr db::Statement kInstitutionRevision{"test_institution_revision",
                                             "SELECT revision FROM institutions WHERE id = ?"};

// A project of `funder` carried out by `implementer`, under `agreement` when set, with random
// money, status and deliveries.
reg::Project RandomProject(const std::string& funder, const std::string& implementer,
                           const std::string& agreement, std::mt19937& rng) {
  reg::Project p;
  p.set_title("Equipment");
  p.set_status(static_cast<reg::Project::Status>(1 + rng() % 6));
  if (!agreement.empty()) p.add_agreements(agreement);
  if (rng() % 2) p.add_cooperation_areas("oncology");
  auto* participant = p.add_participants();
  participant->set_institution(funder);
  participant->set_role(reg::ProjectParticipant::ROLE_FUNDING);
  if (implementer != funder) {
    participant = p.add_participants();
    participant->set_institution(implementer);
    participant->set_role(reg::ProjectParticipant::ROLE_IMPLEMENTING);
  }
  auto* where = p.add_locations();
  where->set_country("UA");
  where->set_region(rng() % 2 ? "UA-46" : "UA-30");
  auto* line = p.add_budget();
  line->mutable_amount()->set_currency_code(rng() % 2 ? "EUR" : "UAH");
  line->mutable_amount()->set_units(1000 + rng() % 100000);
  line->set_status(reg::BudgetLine::STATUS_COMMITTED);
  auto* t = p.add_transactions();
  t->set_kind(rng() % 2 ? reg::FinancialTransaction::KIND_COMMITMENT
                        : reg::FinancialTransaction::KIND_DISBURSEMENT);
  *t->mutable_date() = D(2024, 1 + rng() % 12, 1 + rng() % 28);
  t->mutable_amount()->set_currency_code("EUR");
  t->mutable_amount()->set_units(rng() % 1000);
  t->mutable_amount()->set_nanos(static_cast<int32_t>(rng() % 100) * 10'000'000);
  t->set_provider(funder);
  t->set_receiver(implementer);
  auto* d = p.add_deliverables();
  d->set_what("Ventilator");
  d->set_unit("machine");
  d->set_planned_quantity(10);
  auto* delivery = d->add_deliveries();
  *delivery->mutable_date() = D(2025, 1 + rng() % 12, 1 + rng() % 28);
  delivery->set_quantity(1 + rng() % 10);
  return p;
}

TEST_F(ReadModelTest, ConcurrentWritersAtTheRegistryLeaveTheCopyEqualToTheRegistry) {
  constexpr int kInstitutions = 12;
  for (int i = 0; i < kInstitutions; ++i) {
    ASSERT_TRUE(DirectInstitution(absl::StrCat("h", i), i % 2 ? "UA" : "FR",
                                  i % 2 ? (i % 4 == 1 ? "UA-46" : "UA-30") : "")
                    .ok());
  }
  std::atomic<bool> writing{true};
  std::atomic<int> writes{0}, project_writes{0}, reads{0}, stale_reads{0}, failed_reads{0};
  auto writer = [&](int seed) {
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % n); };
    for (int op = 0; op < 45; ++op) {
      const std::string inst = absl::StrCat("institutions/h", pick(kInstitutions));
      const std::string agreement = absl::StrCat("agreements/w", seed, "-", pick(6));
      const std::string project = absl::StrCat("projects/w", seed, "-", pick(4));
      grpc::Status s;
      const int kind = pick(12);
      switch (kind) {
        case 0: {
          reg::Agreement a = Twinning(absl::StrCat("h", pick(kInstitutions)),
                                      absl::StrCat("h", pick(kInstitutions)),
                                      D(2023 + pick(3), 1 + pick(12), 1 + pick(28)));
          if (pick(2)) a.add_cooperation_areas("oncology");
          s = DirectAgreement(agreement.substr(11), a);
          break;
        }
        case 1: {
          reg::UpdateInstitutionRequest u;
          u.mutable_institution()->set_name(inst);
          u.mutable_institution()->set_city(absl::StrCat("City ", op));
          u.mutable_update_mask()->add_paths("city");
          reg::Institution out;
          s = direct_->UpdateInstitution(Direct().get(), u, &out);
          break;
        }
        case 2: {
          reg::UpdateAgreementRequest u;
          u.mutable_agreement()->set_name(agreement);
          u.mutable_agreement()->set_notes(absl::StrCat("note ", op));
          u.mutable_update_mask()->add_paths("notes");
          reg::Agreement out;
          s = direct_->UpdateAgreement(Direct().get(), u, &out);
          break;
        }
        case 3: {
          reg::SuspendAgreementRequest r;
          r.set_name(agreement);
          reg::Agreement out;
          s = direct_->SuspendAgreement(Direct().get(), r, &out);
          break;
        }
        case 4: {
          reg::ActivateAgreementRequest r;
          r.set_name(agreement);
          reg::Agreement out;
          s = direct_->ActivateAgreement(Direct().get(), r, &out);
          break;
        }
        case 5: {
          reg::TerminateAgreementRequest r;
          r.set_name(agreement);
          reg::Agreement out;
          s = direct_->TerminateAgreement(Direct().get(), r, &out);
          break;
        }
        case 6: {
          reg::DeleteAgreementRequest r;
          r.set_name(agreement);
          reg::Agreement out;
          s = direct_->DeleteAgreement(Direct().get(), r, &out);
          break;
        }
        case 7: {
          reg::UndeleteAgreementRequest r;
          r.set_name(agreement);
          reg::Agreement out;
          s = direct_->UndeleteAgreement(Direct().get(), r, &out);
          break;
        }
        case 8: {  // a project (refused when an institution or the agreement is gone)
          reg::CreateProjectRequest create;
          create.set_project_id(project.substr(9));
          *create.mutable_project() =
              RandomProject(inst, absl::StrCat("institutions/h", pick(kInstitutions)),
                            pick(2) ? agreement : "", rng);
          reg::Project out;
          s = direct_->CreateProject(Direct().get(), create, &out);
          break;
        }
        case 9: {
          reg::UpdateProjectRequest u;
          u.mutable_project()->set_name(project);
          u.mutable_project()->set_status(static_cast<reg::Project::Status>(1 + pick(6)));
          u.mutable_project()->set_notes(absl::StrCat("note ", op));
          u.mutable_update_mask()->add_paths("status");
          u.mutable_update_mask()->add_paths("notes");
          reg::Project out;
          s = direct_->UpdateProject(Direct().get(), u, &out);
          break;
        }
        case 10: {
          reg::Project out;
          if (pick(2)) {
            reg::DeleteProjectRequest r;
            r.set_name(project);
            s = direct_->DeleteProject(Direct().get(), r, &out);
          } else {
            reg::UndeleteProjectRequest r;
            r.set_name(project);
            s = direct_->UndeleteProject(Direct().get(), r, &out);
          }
          break;
        }
        default: {
          reg::Institution out;
          if (pick(2)) {
            reg::DeleteInstitutionRequest r;
            r.set_name(inst);
            s = direct_->DeleteInstitution(Direct().get(), r, &out);
          } else {
            reg::UndeleteInstitutionRequest r;
            r.set_name(inst);
            s = direct_->UndeleteInstitution(Direct().get(), r, &out);
          }
        }
      }
      if (s.ok()) ++writes;
      if (s.ok() && kind >= 8 && kind <= 10) ++project_writes;
      // Refusals (a wrong state, a missing resource, a party deleted) are part of the mix; the
      // database failing is not.
      EXPECT_NE(s.error_code(), grpc::StatusCode::INTERNAL) << s.error_message();
      EXPECT_NE(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    }
  };
  auto reader = [&] {
    while (writing) {
      v1::GetProgramSummaryResponse s;
      v1::GetPartnershipMapResponse m;
      v1::GetInstitutionOverviewRequest o;
      o.set_name("institutions/h1");
      v1::GetInstitutionOverviewResponse overview;
      for (grpc::Status status : {gw_->GetProgramSummary(Ctx(kViewer).get(), {}, &s),
                                  gw_->GetPartnershipMap(Ctx(kViewer).get(), {}, &m),
                                  gw_->GetInstitutionOverview(Ctx(kViewer).get(), o, &overview)}) {
        ++reads;
        if (!status.ok()) ++failed_reads;
      }
      stale_reads += s.freshness().registry_stale() + m.freshness().registry_stale() +
                     overview.freshness().registry_stale();
    }
  };
  // A writer whose transactions stay open for 150 ms after taking their feed number (a slow
  // commit: a stalled disk, Galera certification), while the others write and the readers
  // follow the feed. With numbers taken before commit, a reader would move past such a change.
  db::Database slow_db(registry_db_->pool_options(), registry::Migrations());
  ASSERT_TRUE(slow_db.CheckReady(absl::Now() + absl::Seconds(20)).ok());  // migrated by now
  std::atomic<int> slow_writes{0};
  auto slow_writer = [&] {
    for (int op = 0; op < 8; ++op) {
      const std::string id = absl::StrCat("h", (op * 5) % kInstitutions);
      absl::Status s = slow_db.InTransaction(
          absl::Now() + absl::Seconds(20), [&](db::Connection& c) -> absl::Status {
            auto& bump = c.Prepare(kBumpInstitution);
            bump.setString(1, absl::StrCat("Slow ", op));
            bump.setString(2, id);
            bump.executeUpdate();
            auto& read = c.Prepare(kInstitutionRevision);
            read.setString(1, id);
            std::unique_ptr<sql::ResultSet> rs(read.executeQuery());
            if (!rs->next()) return absl::NotFoundError(id);
            registry::store::AppendToFeed(c, absl::StrCat("institutions/", id),
                                          rs->getInt64("revision"), absl::Now());
            absl::SleepFor(absl::Milliseconds(150));  // held open with its number taken
            return absl::OkStatus();
          });
      EXPECT_TRUE(s.ok()) << s;
      if (s.ok()) ++slow_writes;
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) threads.emplace_back(writer, w + 1);
  threads.emplace_back(slow_writer);
  std::thread r1(reader), r2(reader);
  for (auto& t : threads) t.join();
  writing = false;
  r1.join();
  r2.join();
  EXPECT_EQ(failed_reads, 0);
  EXPECT_EQ(slow_writes, 8);
  EXPECT_GE(project_writes, 5) << "the mix must write projects";
  std::printf(
      "FIGURES convergence: writes=%d project_writes=%d slow_writes=%d reads=%d stale_reads=%d\n",
      writes.load(), project_writes.load(), slow_writes.load(), reads.load(), stale_reads.load());

  // The follower alone brings the copy to the registry's head.
  const int64_t head = RegistryHead();
  for (int i = 0; i < 200 && gateway_->registry_copy().sequence() < head; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(gateway_->registry_copy().sequence(), head);
  EXPECT_EQ(gateway_->registry_copy().Read().snapshot->Revisions(), RegistryRevisions());

  // The feed from 0: every number once, and every revision of every resource once, in order.
  std::map<std::string, int64_t> last_revision;
  int64_t expected = 1;
  reg::ListRegistryChangesRequest req;
  req.set_page_size(37);
  while (true) {
    reg::ListRegistryChangesResponse page;
    ASSERT_TRUE(direct_->ListRegistryChanges(Direct().get(), req, &page).ok());
    for (const auto& c : page.changes()) {
      ASSERT_EQ(c.sequence(), expected++);
      EXPECT_EQ(c.revision(), ++last_revision[c.resource_name()]) << c.resource_name();
    }
    if (page.changes().empty()) break;
    req.set_after_sequence(page.changes().rbegin()->sequence());
  }
  EXPECT_EQ(expected - 1, head);
  EXPECT_EQ(last_revision, RegistryRevisions());

  // And the figures are those the registry's own lists give.
  v1::GetProgramSummaryResponse s;
  ASSERT_TRUE(gw_->GetProgramSummary(Ctx(kViewer).get(), {}, &s).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(RegistryPart(s), SummaryFromTheRegistry({})))
      << RegistryPart(s).DebugString() << "\nvs\n"
      << SummaryFromTheRegistry({}).DebugString();
  EXPECT_GT(s.projects().projects(), 0);
}

// RELIABILITY.md: a 1 MiB project updated many times between two reads of the feed reaches a
// gateway's copy in one page that carries the project once (well under the 3 MiB page budget),
// and the copy converges to exactly the registry's state: the project as last updated, the
// overview and summary figures from it.
TEST_F(ReadModelTest, AOneMebibyteProjectUpdatedManyTimesBetweenTwoFeedReadsConvergesInOnePage) {
  ASSERT_TRUE(DirectInstitution("kyiv", "UA", "UA-30").ok());
  ASSERT_TRUE(DirectInstitution("lyon", "FR").ok());
  // Another gateway whose follower loads once and then sleeps for an hour: only an aggregation
  // makes it read the feed, so every change below lands between two of its feed reads. Its
  // refresh may take 10 s (the default is 500 ms), so that one 1 MiB page read on a busy test
  // machine is read whole rather than left to the sleeping follower.
  GatewayOptions options = Options();
  options.registry_copy.poll_interval = absl::Hours(1);
  options.registry_copy.refresh_timeout = absl::Seconds(10);
  ServiceHostOptions host;
  host.name = "gateway-2";
  auto other = std::make_unique<GatewayServer>(host, options);
  ASSERT_TRUE(other->Start().ok());
  WaitUntilLoaded(*other);
  const int64_t loaded_at = other->registry_copy().sequence();
  ASSERT_EQ(loaded_at, RegistryHead());

  // The largest project the registry takes (within kLargestProjectSlack bytes of its 1 MiB
  // limit), created and then updated kUpdates times: title, status, budget and notes each time.
  constexpr int kUpdates = 30;
  reg::CreateProjectRequest create;
  create.set_project_id("burns");
  *create.mutable_project() = registry::LargestProject("institutions/lyon", "institutions/kyiv");
  reg::Project project;
  grpc::Status s = direct_->CreateProject(Direct().get(), create, &project);
  ASSERT_TRUE(s.ok()) << s.error_message();
  for (int i = 1; i <= kUpdates; ++i) {
    reg::UpdateProjectRequest update;
    update.mutable_project()->set_name(project.name());
    update.mutable_project()->set_title(absl::StrFormat("Equipment, revision %02d", i));
    update.mutable_project()->set_status(i % 2 ? reg::Project::STATUS_FINALISATION
                                               : reg::Project::STATUS_IMPLEMENTATION);
    *update.mutable_project()->mutable_budget() = project.budget();
    update.mutable_project()->mutable_budget(0)->mutable_amount()->set_units(100000 + i);
    update.mutable_project()->set_notes(absl::StrFormat("revision %02d", i));
    for (const char* path : {"title", "status", "budget", "notes"}) {
      update.mutable_update_mask()->add_paths(path);
    }
    s = direct_->UpdateProject(Direct().get(), update, &project);
    ASSERT_TRUE(s.ok()) << i << ": " << s.error_message();
  }
  const size_t room = registry::kMaxProjectBytes - project.ByteSizeLong();
  EXPECT_LT(room, registry::kLargestProjectSlack) << "the project is not as large as allowed";
  // The registry's limit is where this test takes it: `room` + 1 bytes more are refused.
  reg::UpdateProjectRequest larger;
  larger.mutable_project()->set_name(project.name());
  larger.mutable_project()->set_notes(project.notes() + std::string(room + 1, 'x'));
  larger.mutable_update_mask()->add_paths("notes");
  reg::Project refused;
  s = direct_->UpdateProject(Direct().get(), larger, &refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find(absl::StrCat("at most ", registry::kMaxProjectBytes)),
            std::string::npos)
      << s.error_message();

  const int64_t head = RegistryHead();
  ASSERT_EQ(head, loaded_at + 1 + kUpdates);
  ASSERT_EQ(other->registry_copy().sequence(), loaded_at)
      << "the other gateway read the feed while the project was being written";

  // One aggregation: its refresh is the copy's next feed read.
  auto other_gw = GatewayStub(*other);
  v1::GetInstitutionOverviewRequest o;
  o.set_name("institutions/lyon");
  v1::GetInstitutionOverviewResponse overview;
  const absl::Time asked = absl::Now();
  s = other_gw->GetInstitutionOverview(Ctx(kViewer).get(), o, &overview);
  const absl::Duration answered_in = absl::Now() - asked;
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(overview.freshness().registry_stale()) << absl::StrJoin(overview.warnings(), "; ");
  EXPECT_EQ(overview.freshness().registry_sequence(), head);
  ASSERT_EQ(overview.projects_size(), 1);
  EXPECT_EQ(overview.project_count(), 1);
  const v1::ProjectSummary& shown = overview.projects(0).project();
  EXPECT_EQ(shown.name(), "projects/burns");
  EXPECT_EQ(shown.title(), absl::StrFormat("Equipment, revision %02d", kUpdates));
  EXPECT_EQ(shown.status(), project.status());
  ASSERT_EQ(shown.budget_size(), 1);
  EXPECT_EQ(shown.budget(0).currency_code(), "EUR");
  EXPECT_EQ(shown.budget(0).units(), 100000 + kUpdates);
  ASSERT_EQ(shown.disbursed_size(), 1);
  EXPECT_GT(shown.disbursed(0).units(), 0);

  // The copy is exactly the registry: the project as last updated, every resource's revision.
  ASSERT_EQ(other->registry_copy().sequence(), head);
  RegistryView view = other->registry_copy().Read();
  const reg::Project* copied = view.snapshot->FindProject("projects/burns");
  ASSERT_NE(copied, nullptr);
  EXPECT_TRUE(MessageDifferencer::Equals(*copied, project))
      << "the copy holds etag " << copied->etag() << ", the registry " << project.etag();
  EXPECT_EQ(view.snapshot->Revisions(), RegistryRevisions());
  v1::GetProgramSummaryResponse summary;
  ASSERT_TRUE(other_gw->GetProgramSummary(Ctx(kViewer).get(), {}, &summary).ok());
  EXPECT_EQ(summary.projects().projects(), 1);
  EXPECT_TRUE(MessageDifferencer::Equals(RegistryPart(summary), SummaryFromTheRegistry({})))
      << RegistryPart(summary).DebugString() << "\nvs\n"
      << SummaryFromTheRegistry({}).DebugString();

  // The page that refresh read (the same request: after the copy's sequence, the largest page):
  // every change up to the head, the project carried once (by the first), under 3 MiB.
  reg::ListRegistryChangesRequest req;
  req.set_after_sequence(loaded_at);
  req.set_page_size(1000);
  reg::ListRegistryChangesResponse page;
  ASSERT_TRUE(direct_->ListRegistryChanges(Direct().get(), req, &page).ok());
  ASSERT_EQ(page.changes_size(), 1 + kUpdates) << "the page was cut";
  EXPECT_EQ(page.changes(page.changes_size() - 1).sequence(), head);
  int carried = 0;
  for (const auto& change : page.changes()) {
    EXPECT_EQ(change.resource_name(), "projects/burns");
    carried += change.has_project();
  }
  EXPECT_EQ(carried, 1) << "the page carries the project more than once";
  ASSERT_TRUE(page.changes(0).has_project());
  EXPECT_TRUE(MessageDifferencer::Equals(page.changes(0).project(), project));
  EXPECT_GT(page.ByteSizeLong(), registry::kMaxProjectBytes - registry::kLargestProjectSlack);
  EXPECT_LT(page.ByteSizeLong(), api::kMaxPageBytes);
  std::printf(
      "FIGURES large_project: project_bytes=%zu room_under_limit=%zu changes=%d page_bytes=%zu "
      "overview_after_ms=%.0f\n",
      project.ByteSizeLong(), room, page.changes_size(), page.ByteSizeLong(),
      absl::ToDoubleMilliseconds(answered_in));
  other->Shutdown();
}

TEST_F(ReadModelTest, SummaryNarrowingsGiveTheFiguresOfTheRegistrysFilters) {
  Seed();
  // Add what the filters must treat alike: a deleted party of an inactive agreement, a deleted
  // agreement, a foreign institution whose free-text region reads like an oblast code.
  ASSERT_TRUE(DirectInstitution("odd", "PL", "ua-46 ").ok());
  ASSERT_TRUE(DirectInstitution("gone", "DE").ok());
  reg::Agreement odd = Twinning("volyn", "odd", D(2024, 3, 3));
  odd.add_cooperation_areas("oncology");
  ASSERT_TRUE(DirectAgreement("volyn-odd", odd).ok());
  reg::Agreement with_gone = Twinning("okhmatdyt", "gone", D(2024, 4, 4));
  ASSERT_TRUE(DirectAgreement("okhmatdyt-gone", with_gone).ok());
  reg::TerminateAgreementRequest terminate;
  terminate.set_name("agreements/okhmatdyt-gone");
  reg::Agreement out;
  ASSERT_TRUE(direct_->TerminateAgreement(Direct().get(), terminate, &out).ok());
  reg::DeleteInstitutionRequest del;
  del.set_name("institutions/gone");
  reg::Institution gone;
  ASSERT_TRUE(direct_->DeleteInstitution(Direct().get(), del, &gone).ok());
  reg::DeleteAgreementRequest del_agreement;
  del_agreement.set_name("agreements/lviv-kaunas");
  ASSERT_TRUE(direct_->DeleteAgreement(Direct().get(), del_agreement, &out).ok());

  std::vector<v1::GetProgramSummaryRequest> requests(9);
  requests[1].set_country("DE");
  requests[2].set_oblast("UA-46");
  requests[3].set_cooperation_area("oncology");
  requests[4].set_institution("institutions/lviv");
  requests[5].set_country("FR");
  requests[5].set_oblast("UA-46");
  *requests[6].mutable_start_date() = D(2024, 1, 1);
  *requests[6].mutable_end_date() = D(2024, 12, 31);
  requests[7].set_institution("institutions/gone");
  requests[8].set_country("LT");
  for (const auto& req : requests) {
    v1::GetProgramSummaryResponse s;
    ASSERT_TRUE(gw_->GetProgramSummary(Ctx(kViewer).get(), req, &s).ok());
    EXPECT_EQ(s.missing_sources_size(), 0);
    EXPECT_TRUE(MessageDifferencer::Equals(RegistryPart(s), SummaryFromTheRegistry(req)))
        << req.ShortDebugString() << "\n"
        << RegistryPart(s).DebugString() << "vs\n"
        << SummaryFromTheRegistry(req).DebugString();
  }
  // The overview lists the agreements the registry lists for the institution, in its order.
  v1::GetInstitutionOverviewRequest o;
  o.set_name("institutions/volyn");
  v1::GetInstitutionOverviewResponse overview;
  ASSERT_TRUE(gw_->GetInstitutionOverview(Ctx(kViewer).get(), o, &overview).ok());
  std::vector<std::string> listed, shown;
  for (const auto& a : AllAgreements(FilterTerm("parties", ":", o.name()), false)) {
    listed.push_back(a.name());
  }
  for (const auto& a : overview.agreements()) shown.push_back(a.agreement().name());
  EXPECT_EQ(shown, listed);
}

}  // namespace
}  // namespace imp::gateway
