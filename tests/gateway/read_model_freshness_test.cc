// The gateway's copy of the registry, how current it is: a caller's own write counts in its next
// aggregation (even when the registry goes down right after), a change made elsewhere counts in
// the next aggregation and reaches the copy within a second by itself, and a registry that is
// down leaves the aggregations answering from the copy, saying how old it is.
#include <google/protobuf/util/message_differencer.h>

#include "absl/strings/match.h"
#include "tests/gateway/read_model_fixture.h"

namespace imp::gateway {
namespace {

using google::protobuf::util::MessageDifferencer;

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
  // From here on nothing can confirm the copy: whatever age the answers below give must be from
  // before this instant.
  const absl::Time down = absl::Now();
  v1::GetProgramSummaryResponse stale;
  ASSERT_TRUE(gw_->GetProgramSummary(Ctx(kViewer).get(), req, &stale).ok());
  EXPECT_LT(absl::Now() - down, absl::Seconds(1)) << "answered without waiting for the registry";
  EXPECT_TRUE(stale.freshness().registry_stale());
  EXPECT_EQ(stale.freshness().registry_sequence(), fresh.freshness().registry_sequence());
  EXPECT_LT(FromTimestamp(stale.freshness().registry_as_of()), down)
      << "the copy's age: last confirmed before the registry went down";
  EXPECT_GE(FromTimestamp(stale.freshness().registry_as_of()),
            FromTimestamp(fresh.freshness().registry_as_of()));
  EXPECT_TRUE(MessageDifferencer::Equals(RegistryPart(stale), RegistryPart(fresh)));
  EXPECT_EQ(stale.operations(), fresh.operations()) << "the activity part is still live";
  // Complete as of registry_as_of: not a missing source, answered without allow_partial.
  EXPECT_EQ(stale.missing_sources_size(), 0);
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
  EXPECT_EQ(overview.missing_sources_size(), 0);
  // Unknown to the copy while the registry cannot say: a missing registry, not NOT_FOUND; an
  // error unless the caller allows a partial answer.
  o.set_name("institutions/nowhere");
  grpc::Status unknown = gw_->GetInstitutionOverview(Ctx(kViewer).get(), o, &overview);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAVAILABLE) << unknown.error_message();
  EXPECT_TRUE(absl::StartsWith(unknown.error_message(), "SOURCE_REGISTRY: "))
      << unknown.error_message();
  o.set_allow_partial(true);
  overview.Clear();
  ASSERT_TRUE(gw_->GetInstitutionOverview(Ctx(kViewer).get(), o, &overview).ok());
  EXPECT_FALSE(overview.has_institution());
  ASSERT_EQ(overview.missing_sources_size(), 1);
  EXPECT_EQ(overview.missing_sources(0), v1::SOURCE_REGISTRY);
}

// Before the copy is loaded the registry figures are missing: an error by default
// (aggregation_errors_test.cc), a partial answer when allowed.
TEST_F(ReadModelTest, UntilTheCopyIsLoadedTheRegistryPartIsMissing) {
  auto gateway =
      StartGateway(absl::Milliseconds(200), absl::StrCat("127.0.0.1:", testing::PickFreePort()));
  auto gw = GatewayStub(*gateway);
  v1::GetPartnershipMapRequest partial_map;
  partial_map.set_allow_partial(true);
  v1::GetPartnershipMapResponse map;
  ASSERT_TRUE(gw->GetPartnershipMap(Ctx(kViewer).get(), partial_map, &map).ok());
  ASSERT_EQ(map.missing_sources_size(), 1);
  EXPECT_EQ(map.missing_sources(0), v1::SOURCE_REGISTRY);
  EXPECT_TRUE(absl::StrContains(map.warnings(0), "not loaded")) << map.warnings(0);
  EXPECT_EQ(map.freshness().registry_sequence(), 0);
  EXPECT_FALSE(map.freshness().registry_stale());
  v1::GetProgramSummaryRequest partial_summary;
  partial_summary.set_allow_partial(true);
  v1::GetProgramSummaryResponse s;
  ASSERT_TRUE(gw->GetProgramSummary(Ctx(kViewer).get(), partial_summary, &s).ok());
  EXPECT_EQ(s.missing_sources(0), v1::SOURCE_REGISTRY);
  grpc::Status refused = gw->GetPartnershipMap(Ctx(kViewer).get(), {}, &map);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
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
