// The gateway's copy of the registry end to end: real registry, activity and gateway servers on
// loopback over real MariaDB. The copy converges under concurrent writers, a caller's own write
// counts at once, a change made elsewhere counts in the next aggregation (and reaches the copy
// within a second by itself), a registry that is down leaves the aggregations answering from
// the copy, and the figures are those the registry's own filters give.
#include <google/protobuf/util/message_differencer.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "common/api/proto_util.h"
#include "common/db/database.h"
#include "gateway/src/aggregations.h"
#include "gateway/src/filter_text.h"
#include "registry-service/src/store.h"
#include "tests/gateway/gateway_fixture.h"
#include "tests/support/test_database.h"

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

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
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
    return out;
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
  // ListAgreements with the narrowing as filter terms, the institutions from ListInstitutions.
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
    SummarizeAgreements(AllAgreements(absl::StrJoin(terms, " AND "), false), by_name,
                        req.start_date(), api::IsSet(req.end_date()) ? req.end_date() : Today(),
                        &out);
    return out;
  }
  static v1::GetProgramSummaryResponse RegistryPart(v1::GetProgramSummaryResponse s) {
    v1::GetProgramSummaryResponse out;
    out.set_agreements_signed_in_period(s.agreements_signed_in_period());
    out.set_agreements_in_force_at_end(s.agreements_in_force_at_end());
    *out.mutable_cumulative_partnerships() = s.cumulative_partnerships();
    *out.mutable_institutions_by_country() = s.institutions_by_country();
    *out.mutable_institutions_by_oblast() = s.institutions_by_oblast();
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

TEST_F(ReadModelTest, ConcurrentWritersAtTheRegistryLeaveTheCopyEqualToTheRegistry) {
  constexpr int kInstitutions = 12;
  for (int i = 0; i < kInstitutions; ++i) {
    ASSERT_TRUE(DirectInstitution(absl::StrCat("h", i), i % 2 ? "UA" : "FR",
                                  i % 2 ? (i % 4 == 1 ? "UA-46" : "UA-30") : "")
                    .ok());
  }
  std::atomic<bool> writing{true};
  std::atomic<int> writes{0}, reads{0}, stale_reads{0}, failed_reads{0};
  auto writer = [&](int seed) {
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % n); };
    for (int op = 0; op < 45; ++op) {
      const std::string inst = absl::StrCat("institutions/h", pick(kInstitutions));
      const std::string agreement = absl::StrCat("agreements/w", seed, "-", pick(6));
      grpc::Status s;
      switch (pick(9)) {
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
  std::printf("FIGURES convergence: writes=%d slow_writes=%d reads=%d stale_reads=%d\n",
              writes.load(), slow_writes.load(), reads.load(), stale_reads.load());

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

TEST_F(ReadModelTest, AnAgreementCreatedThroughTheGatewayCountsInTheCallersVeryNextSummary) {
  Seed();
  const int64_t before = InForce(*gw_);
  ASSERT_TRUE(
      CreateAgreement(kEditor, "volyn-kaunas", Twinning("volyn", "kaunas", D(2024, 2, 2))).ok());
  v1::GetProgramSummaryResponse s;
  EXPECT_EQ(InForce(*gw_, &s), before + 1);
  EXPECT_FALSE(s.freshness().registry_stale());
  reg::TerminateAgreementRequest terminate;
  terminate.set_name("agreements/volyn-kaunas");
  reg::Agreement out;
  ASSERT_TRUE(reg_->TerminateAgreement(Ctx(kEditor).get(), terminate, &out).ok());
  EXPECT_EQ(InForce(*gw_), before);
}

// The write's answer enters the copy before the caller gets it: the caller's next summary counts
// it even when the registry cannot be asked any more.
TEST_F(ReadModelTest, AWriteThroughTheGatewayCountsNextEvenWhenTheRegistryThenGoesDown) {
  auto gateway = StartGateway(absl::Hours(1));  // its follower loads once, then sleeps
  WaitUntilLoaded(*gateway);
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", gateway->port()),
                                     grpc::InsecureChannelCredentials());
  auto registry = reg::RegistryService::NewStub(channel);
  auto gw = GatewayStub(*gateway);
  for (const char* id : {"volyn", "sussex"}) {
    reg::CreateInstitutionRequest req;
    req.set_institution_id(id);
    req.mutable_institution()->set_display_name(id);
    req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
    req.mutable_institution()->set_country(std::string(id) == "volyn" ? "UA" : "GB");
    reg::Institution out;
    ASSERT_TRUE(registry->CreateInstitution(Ctx(kAdmin).get(), req, &out).ok());
  }
  reg::CreateAgreementRequest create;
  create.set_agreement_id("volyn-sussex");
  *create.mutable_agreement() = Twinning("volyn", "sussex", D(2023, 11, 20));
  reg::Agreement created;
  ASSERT_TRUE(registry->CreateAgreement(Ctx(kAdmin).get(), create, &created).ok());
  registry_->Shutdown();
  v1::GetProgramSummaryResponse s;
  EXPECT_EQ(InForce(*gw, &s), 1);
  EXPECT_TRUE(s.freshness().registry_stale());
  gateway->Shutdown();
}

// Another gateway (another replica) has its own copy: its next aggregation still counts a write
// made through the first one, because each aggregation first asks the registry what changed.
TEST_F(ReadModelTest, AChangeMadeThroughAnotherGatewayCountsInTheNextSummary) {
  Seed();
  auto other = StartGateway(absl::Hours(1));
  WaitUntilLoaded(*other);
  auto other_gw = GatewayStub(*other);
  const int64_t before = InForce(*other_gw);
  ASSERT_TRUE(
      CreateAgreement(kEditor, "volyn-kaunas", Twinning("volyn", "kaunas", D(2024, 2, 2))).ok());
  EXPECT_EQ(InForce(*other_gw), before + 1);
  other->Shutdown();
}

TEST_F(ReadModelTest, AChangeMadeStraightAtTheRegistryReachesTheCopyWithinOneSecond) {
  Seed();
  const absl::Time start = absl::Now();
  ASSERT_TRUE(DirectAgreement("volyn-lille", Twinning("volyn", "lille", D(2024, 8, 8))).ok());
  const absl::Time written = absl::Now();
  // No aggregation asks: the follower alone brings it.
  absl::Time seen = absl::InfiniteFuture();
  while (absl::Now() - written < absl::Seconds(3)) {
    auto copy = gateway_->registry_copy().Read().snapshot;
    if (copy->FindAgreement("agreements/volyn-lille") != nullptr) {
      seen = absl::Now();
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_LT(seen - written, absl::Seconds(1));
  std::printf("FIGURES direct_write_visible_after_ms=%.0f\n",
              absl::ToDoubleMilliseconds(seen - start));
}

TEST_F(ReadModelTest, WithTheRegistryDownAggregationsAnswerFromTheCopyAndSayHowOld) {
  Seed();
  v1::GetProgramSummaryRequest req;
  *req.mutable_end_date() = D(2024, 12, 31);
  v1::GetProgramSummaryResponse fresh;
  const absl::Time asked = absl::Now();
  ASSERT_TRUE(gw_->GetProgramSummary(Ctx(kViewer).get(), req, &fresh).ok());
  EXPECT_FALSE(fresh.freshness().registry_stale());
  EXPECT_GT(fresh.freshness().registry_sequence(), 0);
  EXPECT_GE(FromTimestamp(fresh.freshness().registry_as_of()), asked);
  EXPECT_GE(FromTimestamp(fresh.freshness().activity_as_of()), asked);

  registry_->Shutdown();
  absl::SleepFor(absl::Milliseconds(600));
  const absl::Time down = absl::Now();
  v1::GetProgramSummaryResponse stale;
  ASSERT_TRUE(gw_->GetProgramSummary(Ctx(kViewer).get(), req, &stale).ok());
  EXPECT_LT(absl::Now() - down, absl::Seconds(1)) << "answered without waiting for the registry";
  EXPECT_TRUE(stale.freshness().registry_stale());
  EXPECT_EQ(stale.freshness().registry_sequence(), fresh.freshness().registry_sequence());
  EXPECT_LE(FromTimestamp(stale.freshness().registry_as_of()), down - absl::Milliseconds(500))
      << "the copy's age: last confirmed before the registry went down";
  EXPECT_TRUE(MessageDifferencer::Equals(RegistryPart(stale), RegistryPart(fresh)));
  EXPECT_EQ(stale.operations(), fresh.operations()) << "the activity part is still live";
  ASSERT_EQ(stale.missing_sources_size(), 1);
  EXPECT_EQ(stale.missing_sources(0), v1::SOURCE_REGISTRY);
  ASSERT_EQ(stale.warnings_size(), 1);
  EXPECT_TRUE(absl::StrContains(stale.warnings(0), "the gateway's copy as of"))
      << stale.warnings(0);

  v1::GetInstitutionOverviewRequest o;
  o.set_name("institutions/lviv");
  v1::GetInstitutionOverviewResponse overview;
  ASSERT_TRUE(gw_->GetInstitutionOverview(Ctx(kViewer).get(), o, &overview).ok());
  EXPECT_EQ(overview.institution().name(), "institutions/lviv");
  EXPECT_EQ(overview.agreements_size(), 2);
  EXPECT_TRUE(overview.freshness().registry_stale());
  // Unknown to the copy while the registry cannot say: a missing registry, not NOT_FOUND.
  o.set_name("institutions/nowhere");
  ASSERT_TRUE(gw_->GetInstitutionOverview(Ctx(kViewer).get(), o, &overview).ok());
  EXPECT_FALSE(overview.has_institution());
  EXPECT_EQ(overview.missing_sources(0), v1::SOURCE_REGISTRY);
}

TEST_F(ReadModelTest, UntilTheCopyIsLoadedTheRegistryPartIsMissing) {
  auto gateway =
      StartGateway(absl::Milliseconds(200), absl::StrCat("127.0.0.1:", testing::PickFreePort()));
  auto gw = GatewayStub(*gateway);
  v1::GetPartnershipMapResponse map;
  ASSERT_TRUE(gw->GetPartnershipMap(Ctx(kViewer).get(), {}, &map).ok());
  ASSERT_EQ(map.missing_sources_size(), 1);
  EXPECT_EQ(map.missing_sources(0), v1::SOURCE_REGISTRY);
  EXPECT_TRUE(absl::StrContains(map.warnings(0), "not loaded")) << map.warnings(0);
  EXPECT_EQ(map.freshness().registry_sequence(), 0);
  EXPECT_FALSE(map.freshness().registry_stale());
  v1::GetProgramSummaryResponse s;
  ASSERT_TRUE(gw->GetProgramSummary(Ctx(kViewer).get(), {}, &s).ok());
  EXPECT_EQ(s.missing_sources(0), v1::SOURCE_REGISTRY);
  gateway->Shutdown();
}

TEST_F(ReadModelTest, ViewersReadTheRegistryFeedThroughTheGateway) {
  ASSERT_TRUE(CreateInstitution(kEditor, "lille", "FR").ok());
  reg::ListRegistryChangesResponse feed;
  EXPECT_EQ(reg_->ListRegistryChanges(Ctx(nullptr).get(), {}, &feed).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(reg_->ListRegistryChanges(Ctx(kViewer).get(), {}, &feed).ok());
  ASSERT_EQ(feed.changes_size(), 1);
  EXPECT_EQ(feed.changes(0).institution().name(), "institutions/lille");
  EXPECT_EQ(feed.head_sequence(), 1);
}

}  // namespace
}  // namespace imp::gateway
