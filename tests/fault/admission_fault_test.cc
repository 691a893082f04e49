// Admission control as an operator meets it: moderate load is served, not refused, and a
// database stall does not leave the pool refusing calls once the database is back.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/fault/rows.h"
#include "tests/fault/suite.h"

namespace imp::testing::fault {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;

// Eight writers, one call in flight each, through the gateway: half create institutions, half
// create activities (each activity's references are checked against the registry, so the
// registry serves the institution writes and the activity service's lookups at once). Nothing
// is wrong with the suite, so nothing may be refused: a refusal here is admission control
// mistaking eight callers for overload.
TEST(FaultAdmission, EightWritersWithNoFaultAreServedNotRefused) {
  Suite suite;
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  constexpr int kWriters = 8;
  const absl::Duration kLoad = absl::Seconds(8);
  absl::Mutex mu;
  std::map<grpc::StatusCode, int> codes;
  std::string first_refusal;
  {
    std::vector<std::unique_ptr<JoiningThread>> writers;
    const absl::Time start = absl::Now();
    for (int w = 0; w < kWriters; ++w) {
      writers.push_back(std::make_unique<JoiningThread>([&, w] {
        for (int i = 0; absl::Now() - start < kLoad; ++i) {
          const std::string request_id = absl::StrCat("steady-w", w, "-", i);
          auto ctx = Context(absl::Seconds(10), suite.admin_token());
          grpc::Status s;
          if (w % 2 == 0) {
            reg::CreateInstitutionRequest req;
            req.set_request_id(request_id);
            req.mutable_institution()->set_display_name(
                absl::StrCat("Steady writer ", w, " hospital ", i));
            req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
            req.mutable_institution()->set_country("PL");
            reg::Institution out;
            s = suite.gateway_registry_stub().CreateInstitution(ctx.get(), req, &out);
          } else {
            act::CreateActivityRequest req;
            req.set_request_id(request_id);
            *req.mutable_activity() = ImportableActivity(i, 2024);
            act::Activity out;
            s = suite.gateway_activity_stub().CreateActivity(ctx.get(), req, &out);
          }
          absl::MutexLock lock(&mu);
          ++codes[s.error_code()];
          if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED && first_refusal.empty()) {
            first_refusal = s.error_message();
          }
        }
      }));
    }
  }
  int total = 0, not_ok = 0;
  std::string summary;
  for (const auto& [code, n] : codes) {
    total += n;
    if (code != grpc::StatusCode::OK) not_ok += n;
    absl::StrAppend(&summary, "code ", code, ": ", n, "; ");
  }
  PrintFigures({{"writers", absl::StrCat(kWriters)},
                {"writes", absl::StrCat(total)},
                {"writes_not_ok", absl::StrCat(not_ok)},
                {"writes_refused", absl::StrCat(codes[grpc::StatusCode::RESOURCE_EXHAUSTED])}});
  ASSERT_GT(total, kWriters) << "harness: the writers made almost no calls";
  EXPECT_EQ(not_ok, 0) << "eight writers with no fault: " << summary
                       << "first refusal: " << first_refusal;
}

// A stall fills every worker with calls blocked on the database for its whole length. Once
// the database is back, calls with short deadlines must be served again within 2 s: the pool's
// estimate of how long a call waits must not stay at the stall's length (it would refuse every
// short-deadline call as unable to meet its deadline, and with nothing served the estimate
// would never come down).
TEST(FaultAdmission, AfterADatabaseStallShortDeadlineCallsAreServedWithinTwoSeconds) {
  Suite suite;
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  const absl::Duration kStall = absl::Seconds(12);
  const absl::Duration kShortDeadline = absl::Milliseconds(500);
  auto get = [&](absl::Duration deadline) {
    act::ListActivitiesRequest req;
    req.set_page_size(1);
    act::ListActivitiesResponse out;
    return suite.activity_stub().ListActivities(Context(deadline).get(), req, &out);
  };
  ASSERT_TRUE(get(absl::Seconds(10)).ok()) << "harness: the activity service does not answer";

  ASSERT_NO_FATAL_FAILURE(suite.db().Stall());
  const absl::Time stalled = absl::Now();
  // Callers with patient deadlines take every worker and wait out the stall; more than the
  // workers, so that some are refused (refusals must not feed the estimate either).
  std::atomic<int> patient_ok{0};
  std::vector<std::unique_ptr<JoiningThread>> patient;
  for (int i = 0; i < 12; ++i) {
    patient.push_back(std::make_unique<JoiningThread>([&] {
      if (get(kStall + absl::Seconds(20)).ok()) ++patient_ok;
    }));
  }
  absl::SleepFor(kStall - (absl::Now() - stalled));  // the fault's length, not a synchronisation
  suite.db().Resume();
  const absl::Time resumed = absl::Now();
  for (auto& p : patient) p->Join();

  // Short-deadline calls, one after another, from the release until 2 s after it and then ten
  // more: the first served must come within 2 s, and none may be refused after it.
  absl::Time first_served = absl::InfiniteFuture();
  int calls = 0, served = 0, refused_after_served = 0;
  std::string last_error;
  const absl::Time give_up = resumed + absl::Seconds(4);
  while (absl::Now() < give_up) {
    grpc::Status s = get(kShortDeadline);
    ++calls;
    if (s.ok()) {
      ++served;
      first_served = std::min(first_served, absl::Now());
    } else {
      last_error = absl::StrCat(s.error_code(), " ", s.error_message());
      if (first_served != absl::InfiniteFuture()) ++refused_after_served;
    }
  }
  PrintFigures(
      {{"stall_s", Seconds(kStall)},
       {"patient_calls_ok", absl::StrCat(patient_ok.load())},
       {"short_calls", absl::StrCat(calls)},
       {"short_calls_served", absl::StrCat(served)},
       {"first_served_after_release_s",
        first_served == absl::InfiniteFuture() ? "never" : Seconds(first_served - resumed)}});
  ASSERT_GT(patient_ok.load(), 0) << "harness: no call waited out the stall";
  EXPECT_LE(first_served, resumed + absl::Seconds(2))
      << "no call with a " << kShortDeadline << " deadline was served within 2 s of the "
      << "database coming back; last answer: " << last_error;
  EXPECT_EQ(refused_after_served, 0)
      << "short-deadline calls were refused after one had been served: " << last_error;
}

}  // namespace
}  // namespace imp::testing::fault
