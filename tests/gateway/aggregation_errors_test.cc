// Aggregations never answer a silently incomplete figure: a backend that fails fails the call
// with its own status (code, RetryInfo, reason) and the source named in the message and the
// ErrorInfo; only a caller that sets allow_partial gets the partial answer, marked as such.
// Real registry, activity and gateway servers on loopback.
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "common/api/errors.h"
#include "common/status.h"
#include "tests/gateway/read_model_fixture.h"

namespace imp::gateway {
namespace {

// What a client reads of an aggregation's error.
struct Refusal {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
  std::string reason;
  std::string source;          // ErrorInfo metadata "source"
  absl::Duration retry_delay;  // google.rpc.RetryInfo; zero when absent
  bool has_retry_info = false;
};

Refusal Read(const grpc::Status& status) {
  Refusal r;
  r.code = status.error_code();
  r.message = status.error_message();
  const absl::Status details = FromGrpcStatus(status);
  r.reason = api::ReasonOf(details);
  if (auto info = api::GetDetail<google::rpc::ErrorInfo>(details)) {
    auto it = info->metadata().find("source");
    if (it != info->metadata().end()) r.source = it->second;
  }
  if (auto retry = api::GetDetail<google::rpc::RetryInfo>(details)) {
    r.has_retry_info = true;
    r.retry_delay = absl::Seconds(retry->retry_delay().seconds()) +
                    absl::Nanoseconds(retry->retry_delay().nanos());
  }
  return r;
}

// An unreachable backend: UNAVAILABLE, BACKEND_UNAVAILABLE, the source named, a retry delay.
void ExpectUnreachable(const grpc::Status& status, const char* source) {
  ASSERT_FALSE(status.ok()) << "answered OK without " << source;
  const Refusal r = Read(status);
  EXPECT_EQ(r.code, grpc::StatusCode::UNAVAILABLE) << r.message;
  EXPECT_TRUE(absl::StartsWith(r.message, absl::StrCat(source, ": "))) << r.message;
  EXPECT_EQ(r.reason, api::kReasonBackendUnavailable);
  EXPECT_EQ(r.source, source);
  EXPECT_TRUE(r.has_retry_info);
  EXPECT_GT(r.retry_delay, absl::ZeroDuration());
}

class AggregationErrorsTest : public ReadModelTest {
 protected:
  v1::GetProgramSummaryRequest Summary(bool allow_partial = false) {
    v1::GetProgramSummaryRequest req;
    *req.mutable_end_date() = D(2024, 12, 31);
    req.set_allow_partial(allow_partial);
    return req;
  }
  static v1::GetInstitutionOverviewRequest Institution(const std::string& name,
                                                       bool allow_partial = false) {
    v1::GetInstitutionOverviewRequest req;
    req.set_name(name);
    req.set_allow_partial(allow_partial);
    return req;
  }
  static v1::GetAgreementOverviewRequest Agreement(const std::string& name,
                                                   bool allow_partial = false) {
    v1::GetAgreementOverviewRequest req;
    req.set_name(name);
    req.set_allow_partial(allow_partial);
    return req;
  }
};

TEST_F(AggregationErrorsTest, AggregationWithTheActivityServiceDownIsUnavailableNamingTheSource) {
  Seed();
  activity_->Shutdown();
  v1::GetProgramSummaryResponse summary;
  ExpectUnreachable(gw_->GetProgramSummary(Ctx(kViewer).get(), Summary(), &summary),
                    "SOURCE_ACTIVITY");
  v1::GetInstitutionOverviewResponse institution;
  ExpectUnreachable(gw_->GetInstitutionOverview(Ctx(kViewer).get(),
                                                Institution("institutions/lviv"), &institution),
                    "SOURCE_ACTIVITY");
  v1::GetAgreementOverviewResponse agreement;
  ExpectUnreachable(
      gw_->GetAgreementOverview(Ctx(kViewer).get(), Agreement("agreements/lviv-lille"), &agreement),
      "SOURCE_ACTIVITY");
  // The map draws from the registry alone: still answered, complete.
  v1::GetPartnershipMapResponse map;
  ASSERT_TRUE(gw_->GetPartnershipMap(Ctx(kViewer).get(), {}, &map).ok());
  EXPECT_EQ(map.missing_sources_size(), 0);
}

TEST_F(AggregationErrorsTest,
       AggregationBeforeTheRegistryCopyIsLoadedIsUnavailableNamingTheSource) {
  Seed();
  // A gateway whose registry cannot be reached: its copy is never loaded.
  auto gateway =
      StartGateway(absl::Milliseconds(200), absl::StrCat("127.0.0.1:", testing::PickFreePort()));
  auto gw = GatewayStub(*gateway);
  v1::GetProgramSummaryResponse summary;
  ExpectUnreachable(gw->GetProgramSummary(Ctx(kViewer).get(), Summary(), &summary),
                    "SOURCE_REGISTRY");
  v1::GetPartnershipMapResponse map;
  ExpectUnreachable(gw->GetPartnershipMap(Ctx(kViewer).get(), {}, &map), "SOURCE_REGISTRY");
  v1::GetInstitutionOverviewResponse institution;
  ExpectUnreachable(gw->GetInstitutionOverview(Ctx(kViewer).get(), Institution("institutions/lviv"),
                                               &institution),
                    "SOURCE_REGISTRY");
  v1::GetAgreementOverviewResponse agreement;
  ExpectUnreachable(
      gw->GetAgreementOverview(Ctx(kViewer).get(), Agreement("agreements/lviv-lille"), &agreement),
      "SOURCE_REGISTRY");
  gateway->Shutdown();
}

// An activity service that refuses every call as overloaded (no queue at all): its
// RESOURCE_EXHAUSTED reaches the caller as it is, with its reason and retry delay.
TEST_F(AggregationErrorsTest, AnOverloadedBackendsRefusalPassesThroughWithItsRetryInfo) {
  Seed();
  ServiceHostOptions host;
  host.name = "activity-overloaded";
  host.max_queued_requests = 0;
  host.readiness_interval = absl::Milliseconds(100);
  activity::ActivityServer overloaded(host, activity_db_->pool_options(),
                                      absl::StrCat("127.0.0.1:", registry_->port()));
  ASSERT_TRUE(overloaded.Start().ok());
  GatewayOptions options = Options();
  options.activity_target = absl::StrCat("127.0.0.1:", overloaded.port());
  ServiceHostOptions gateway_host;
  gateway_host.name = "gateway-overloaded";
  GatewayServer gateway(gateway_host, options);
  ASSERT_TRUE(gateway.Start().ok());
  WaitUntilLoaded(gateway);
  auto gw = GatewayStub(gateway);
  // The gateway calls only a backend whose health is SERVING: until the new service has passed
  // its first readiness check and the gateway has seen it, the summary is UNAVAILABLE.
  v1::GetProgramSummaryResponse summary;
  grpc::Status first;
  for (const absl::Time until = absl::Now() + absl::Seconds(10); absl::Now() < until;) {
    first = gw->GetProgramSummary(Ctx(kViewer).get(), Summary(), &summary);
    if (first.error_code() != grpc::StatusCode::UNAVAILABLE) break;
    absl::SleepFor(absl::Milliseconds(20));
  }

  auto expect_overloaded = [](const grpc::Status& status) {
    ASSERT_FALSE(status.ok()) << "answered OK without the activity figures";
    const Refusal r = Read(status);
    EXPECT_EQ(r.code, grpc::StatusCode::RESOURCE_EXHAUSTED) << r.message;
    EXPECT_EQ(r.reason, api::kReasonOverloaded) << r.message;
    EXPECT_EQ(r.source, "SOURCE_ACTIVITY");
    EXPECT_TRUE(absl::StartsWith(r.message, "SOURCE_ACTIVITY: server overloaded")) << r.message;
    EXPECT_TRUE(r.has_retry_info) << "the backend's RetryInfo is passed on";
    EXPECT_GT(r.retry_delay, absl::ZeroDuration());
  };
  expect_overloaded(first);
  expect_overloaded(gw->GetProgramSummary(Ctx(kViewer).get(), Summary(), &summary));
  v1::GetInstitutionOverviewResponse institution;
  expect_overloaded(gw->GetInstitutionOverview(Ctx(kViewer).get(), Institution("institutions/lviv"),
                                               &institution));
  v1::GetAgreementOverviewResponse agreement;
  expect_overloaded(
      gw->GetAgreementOverview(Ctx(kViewer).get(), Agreement("agreements/lviv-lille"), &agreement));

  // Asked for, the partial answer: the registry's figures, the activity service named missing.
  ASSERT_TRUE(gw->GetProgramSummary(Ctx(kViewer).get(), Summary(true), &summary).ok());
  ASSERT_EQ(summary.missing_sources_size(), 1);
  EXPECT_EQ(summary.missing_sources(0), v1::SOURCE_ACTIVITY);
  ASSERT_EQ(summary.warnings_size(), 1);
  EXPECT_TRUE(absl::StrContains(summary.warnings(0), "overloaded")) << summary.warnings(0);
  EXPECT_EQ(summary.agreements_in_force_at_end(), 2);
  gateway.Shutdown();
  overloaded.Shutdown();
}

// Many callers at once against an activity service with one worker and a queue of one: the
// callers it refuses get its RESOURCE_EXHAUSTED with a retry delay, never an OK answer with the
// activity figures missing (before #19 such answers were OK and partial).
TEST_F(AggregationErrorsTest, UnderOverloadNoAnswerIsPartialAndEveryRefusalSaysWhenToRetry) {
  Seed();
  ServiceHostOptions host;
  host.name = "activity-small";
  host.worker_threads = 1;
  host.max_queued_requests = 1;
  host.readiness_interval = absl::Milliseconds(100);
  activity::ActivityServer small(host, activity_db_->pool_options(),
                                 absl::StrCat("127.0.0.1:", registry_->port()));
  ASSERT_TRUE(small.Start().ok());
  GatewayOptions options = Options();
  options.activity_target = absl::StrCat("127.0.0.1:", small.port());
  ServiceHostOptions gateway_host;
  gateway_host.name = "gateway-small";
  GatewayServer gateway(gateway_host, options);
  ASSERT_TRUE(gateway.Start().ok());
  WaitUntilLoaded(gateway);
  auto gw = GatewayStub(gateway);
  v1::GetProgramSummaryResponse warm;
  grpc::Status ready;
  for (const absl::Time until = absl::Now() + absl::Seconds(10); absl::Now() < until;) {
    ready = gw->GetProgramSummary(Ctx(kViewer).get(), Summary(), &warm);
    if (ready.ok()) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(ready.ok()) << ready.error_message();

  constexpr int kCallers = 32, kCallsEach = 5;
  absl::Mutex mu;
  int complete = 0, partial = 0, refused_with_retry = 0, other = 0;
  std::string example;
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&] {
      for (int i = 0; i < kCallsEach; ++i) {
        v1::GetProgramSummaryResponse r;
        grpc::Status s = gw->GetProgramSummary(Ctx(kViewer).get(), Summary(), &r);
        const Refusal refusal = Read(s);
        absl::MutexLock lock(&mu);
        if (s.ok()) {
          ++(r.missing_sources().empty() ? complete : partial);
        } else if (refusal.code == grpc::StatusCode::RESOURCE_EXHAUSTED &&
                   refusal.source == "SOURCE_ACTIVITY" && refusal.has_retry_info &&
                   refusal.retry_delay > absl::ZeroDuration()) {
          ++refused_with_retry;
        } else {
          ++other;
          example = absl::StrCat(StatusCodeName(s.error_code()), ": ", s.error_message());
        }
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(partial, 0) << "OK answers with the activity figures missing";
  EXPECT_EQ(other, 0) << example;
  EXPECT_EQ(complete + partial + refused_with_retry + other, kCallers * kCallsEach);
  std::printf(
      "FIGURES overload callers=%d calls=%d complete=%d partial=%d refused_with_retry=%d "
      "other=%d\n",
      kCallers, kCallers * kCallsEach, complete, partial, refused_with_retry, other);
  gateway.Shutdown();
  small.Shutdown();
}

TEST_F(AggregationErrorsTest, WithAllowPartialEachAggregationGivesTheMarkedPartialAnswer) {
  Seed();
  activity_->Shutdown();
  v1::GetProgramSummaryResponse summary;
  ASSERT_TRUE(gw_->GetProgramSummary(Ctx(kViewer).get(), Summary(true), &summary).ok());
  ASSERT_EQ(summary.missing_sources_size(), 1);
  EXPECT_EQ(summary.missing_sources(0), v1::SOURCE_ACTIVITY);
  ASSERT_EQ(summary.warnings_size(), 1);
  EXPECT_TRUE(absl::StartsWith(summary.warnings(0), "SOURCE_ACTIVITY: ")) << summary.warnings(0);
  EXPECT_EQ(summary.agreements_in_force_at_end(), 2) << "the registry's part is there";
  EXPECT_FALSE(summary.freshness().has_activity_as_of());

  v1::GetInstitutionOverviewResponse institution;
  ASSERT_TRUE(gw_->GetInstitutionOverview(Ctx(kViewer).get(),
                                          Institution("institutions/lviv", true), &institution)
                  .ok());
  EXPECT_EQ(institution.institution().name(), "institutions/lviv");
  ASSERT_EQ(institution.missing_sources_size(), 1);
  EXPECT_EQ(institution.missing_sources(0), v1::SOURCE_ACTIVITY);
  EXPECT_FALSE(institution.warnings().empty());

  v1::GetAgreementOverviewResponse agreement;
  ASSERT_TRUE(gw_->GetAgreementOverview(Ctx(kViewer).get(),
                                        Agreement("agreements/lviv-lille", true), &agreement)
                  .ok());
  EXPECT_EQ(agreement.agreement().name(), "agreements/lviv-lille");
  ASSERT_EQ(agreement.missing_sources_size(), 1);
  EXPECT_EQ(agreement.missing_sources(0), v1::SOURCE_ACTIVITY);
  EXPECT_EQ(agreement.warnings_size(), 2) << "totals and the page of activities both failed";

  // A primary resource the registry does not hold is NOT_FOUND, partial allowed or not.
  EXPECT_EQ(gw_->GetInstitutionOverview(Ctx(kViewer).get(),
                                        Institution("institutions/nowhere", true), &institution)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace imp::gateway
