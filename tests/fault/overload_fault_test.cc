// Overload, for real: 300 concurrent callers (asynchronous, one call in flight each) against one
// registry-service process. Excess load
// must be refused fast (RESOURCE_EXHAUSTED), the calls that are served must stay fast, and a call
// told it failed must have stored nothing.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/api/errors.h"
#include "common/status.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "tests/fault/suite.h"

namespace imp::testing::fault {
namespace {

namespace reg = registry::v1;

struct Call {
  std::string id;
  grpc::StatusCode code = grpc::StatusCode::OK;
  double ms = 0;
  absl::Duration retry_after;  // the refusal's RetryInfo, if any
  std::string reason;          // the refusal's ErrorInfo reason, if any
};

// What a refusal asks the client to wait before retrying (google.rpc.RetryInfo).
absl::Duration RetryDelayOf(const grpc::Status& s) {
  auto info = api::GetDetail<google::rpc::RetryInfo>(FromGrpcStatus(s));
  if (!info) return absl::ZeroDuration();
  return absl::Seconds(info->retry_delay().seconds()) +
         absl::Nanoseconds(info->retry_delay().nanos());
}

// One asynchronous CreateInstitution: its request, response and context live until it ends.
struct AsyncCreate {
  explicit AsyncCreate(const std::string& id_in) : id(id_in), context(Context(absl::Seconds(10))) {
    request.set_institution_id(id);
    request.set_request_id("req-" + id);
    request.mutable_institution()->set_display_name("Overload Clinic " + id);
    request.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
    request.mutable_institution()->set_country("DE");
  }
  Call Finished(const grpc::Status& s) const {
    return Call{id, s.error_code(), absl::ToDoubleMilliseconds(absl::Now() - started),
                RetryDelayOf(s), api::ReasonOf(FromGrpcStatus(s))};
  }
  std::string id;
  std::unique_ptr<grpc::ClientContext> context;
  reg::CreateInstitutionRequest request;
  reg::Institution response;
  absl::Time started = absl::Now();
};

// Callers that each make one call at a time until `until`, waiting between calls what the last
// call's answer asked (a RetryInfo delay, with +-50% jitter), on one timer thread.
class CallerFleet {
 public:
  // Runs when a caller's call has ended, with the delay its answer asked for.
  using Done = absl::AnyInvocable<void(absl::Duration) &&>;
  // Starts caller `caller`'s call number `n`; must call `done` once, from any thread.
  using StartCall = std::function<void(int caller, int n, Done done)>;

  CallerFleet(int callers, absl::Time until, StartCall start)
      : until_(until), start_(std::move(start)), running_(callers), next_(callers, 0) {
    // Every caller's state exists before the first call starts: answers arrive on gRPC's
    // threads while later callers are still being launched.
    for (int t = 0; t < callers; ++t) jitter_.emplace_back(static_cast<uint32_t>(t));
    timer_ = std::thread([this] { TimerLoop(); });
    for (int t = 0; t < callers; ++t) Launch(t);
  }
  ~CallerFleet() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    timer_.join();
  }
  void Wait() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* running) { return *running == 0; }, &running_));
  }

 private:
  void Launch(int t) {
    if (absl::Now() >= until_) {
      absl::MutexLock lock(&mu_);
      --running_;
      return;
    }
    start_(t, next_[t]++, [this, t](absl::Duration wait) {
      if (wait <= absl::ZeroDuration()) return Launch(t);
      absl::MutexLock lock(&mu_);
      const double factor = std::uniform_real_distribution<double>(0.5, 1.5)(jitter_[t]);
      timers_.emplace(absl::Now() + wait * factor, t);
    });
  }
  void TimerLoop() {
    for (;;) {
      std::vector<int> due;
      {
        absl::MutexLock lock(&mu_);
        const absl::Time wake =
            timers_.empty() ? absl::Now() + absl::Milliseconds(5) : timers_.begin()->first;
        mu_.AwaitWithDeadline(absl::Condition(&stopping_), wake);
        if (stopping_) return;
        const absl::Time now = absl::Now();
        while (!timers_.empty() && timers_.begin()->first <= now) {
          due.push_back(timers_.begin()->second);
          timers_.erase(timers_.begin());
        }
      }
      for (int t : due) Launch(t);
    }
  }

  const absl::Time until_;
  const StartCall start_;
  absl::Mutex mu_;
  int running_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::multimap<absl::Time, int> timers_ ABSL_GUARDED_BY(mu_);
  std::vector<int> next_;             // each caller's next call number (its calls are sequential)
  std::vector<std::mt19937> jitter_;  // used under mu_
  std::thread timer_;
};

// The same create, made synchronously (the unloaded baseline).
Call CreateOne(reg::RegistryService::Stub& stub, const std::string& id) {
  AsyncCreate create(id);
  return create.Finished(
      stub.CreateInstitution(create.context.get(), create.request, &create.response));
}

TEST(FaultOverload, OverloadIsShedFastAndNothingIsStoredForRefusedCalls) {
  Suite suite;
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  // 1,000 unloaded calls: the p99 of 200 is their second slowest, too noisy to bound against.
  constexpr int kUnloadedCalls = 1000, kCallers = 300;
  const absl::Duration kLoad = absl::Seconds(6);

  std::vector<double> unloaded;
  for (int i = 0; i < kUnloadedCalls; ++i) {
    Call c = CreateOne(suite.registry_stub(), absl::StrCat("unloaded-", i));
    ASSERT_EQ(c.code, grpc::StatusCode::OK) << "harness: an unloaded create failed";
    unloaded.push_back(c.ms);
  }
  const double unloaded_p99 = Percentile(unloaded, 99);

  // A few channels (connections) shared by the callers, as a fleet of clients would have.
  std::vector<std::unique_ptr<reg::RegistryService::Stub>> stubs;
  for (int i = 0; i < 4; ++i) {
    stubs.push_back(reg::RegistryService::NewStub(TestChannel(suite.registry_target())));
  }
  std::vector<std::vector<Call>> calls(kCallers);
  const absl::Time start = absl::Now();
  // The fleet lives until the end of the test, long after Wait(): the last answers' callbacks may
  // still be returning through it when Wait() sees every caller done.
  std::unique_ptr<CallerFleet> fleet;
  {
    // 300 callers, each with one call in flight at a time, driven by gRPC's callback API rather
    // than 300 blocking threads: on a 2-core machine the threads' own scheduling would be most
    // of what is measured, and a real fleet of clients runs on other machines.
    fleet = std::make_unique<CallerFleet>(
        kCallers, start + kLoad, [&](int t, int n, CallerFleet::Done done) {
          auto* stub = stubs[t % stubs.size()].get();
          auto state = std::make_shared<AsyncCreate>(absl::StrCat("load-", t, "-", n));
          stub->async()->CreateInstitution(
              state->context.get(), &state->request, &state->response,
              // gRPC wants a copyable callback: the one-shot `done` is shared.
              [state, &calls, t,
               done = std::make_shared<CallerFleet::Done>(std::move(done))](grpc::Status s) {
                calls[t].push_back(state->Finished(s));
                // Each caller behaves as a gRPC client should: after a refusal it waits what the
                // refusal's RetryInfo asks (with jitter, in CallerFleet) before its next call.
                std::move (*done)(calls[t].back().retry_after);
              });
        });
    fleet->Wait();
  }
  const absl::Duration load_took = absl::Now() - start;

  // Every call ends one of two ways: answered (OK) or refused (RESOURCE_EXHAUSTED). Any other
  // code (a deadline, an internal error) is neither and is counted apart: none is tolerated,
  // because under this load the service must either serve a call or shed it.
  std::vector<double> refused_ms, answered_ms;
  int refusals_not_overloaded = 0, refusals_retry_out_of_range = 0, other_codes = 0;
  std::string refusal_example, other_example;
  absl::Duration retry_min = absl::InfiniteDuration(), retry_max = absl::ZeroDuration();
  std::vector<std::string> ok_ids, failed_ids;
  std::map<grpc::StatusCode, int> codes;
  for (const auto& per_caller : calls) {
    for (const Call& c : per_caller) {
      ++codes[c.code];
      if (c.code == grpc::StatusCode::OK) {
        answered_ms.push_back(c.ms);
        ok_ids.push_back(c.id);
        continue;
      }
      failed_ids.push_back(c.id);
      if (c.code != grpc::StatusCode::RESOURCE_EXHAUSTED) {
        ++other_codes;
        if (other_example.empty()) other_example = absl::StrCat(c.id, " code ", c.code);
        continue;
      }
      refused_ms.push_back(c.ms);
      retry_min = std::min(retry_min, c.retry_after);
      retry_max = std::max(retry_max, c.retry_after);
      // RELIABILITY.md, Overload: reason OVERLOADED, RetryInfo between 100 ms and 2 s.
      const bool overloaded = c.reason == api::kReasonOverloaded;
      const bool retry_in_range =
          c.retry_after >= absl::Milliseconds(100) && c.retry_after <= absl::Seconds(2);
      if (!overloaded) ++refusals_not_overloaded;
      if (!retry_in_range) ++refusals_retry_out_of_range;
      if ((!overloaded || !retry_in_range) && refusal_example.empty()) {
        refusal_example = absl::StrCat(c.id, ": reason '", c.reason, "', RetryInfo ",
                                       absl::FormatDuration(c.retry_after));
      }
    }
  }

  // What is stored: every OK create exists, every failed one does not.
  int ok_missing = 0, failed_but_stored = 0, lookup_errors = 0;
  std::string failed_but_stored_example;
  for (size_t from = 0; from < ok_ids.size(); from += 1000) {
    reg::BatchGetInstitutionsRequest req;
    for (size_t i = from; i < std::min(ok_ids.size(), from + 1000); ++i) {
      req.add_names("institutions/" + ok_ids[i]);
    }
    reg::BatchGetInstitutionsResponse resp;
    grpc::Status s =
        suite.registry_stub().BatchGetInstitutions(Context(absl::Seconds(30)).get(), req, &resp);
    if (!s.ok()) {
      // NOT_FOUND names the first missing one; count them one by one instead.
      for (const auto& name : req.names()) {
        reg::GetInstitutionRequest get;
        get.set_name(name);
        reg::Institution out;
        if (!suite.registry_stub()
                 .GetInstitution(Context(absl::Seconds(10)).get(), get, &out)
                 .ok()) {
          ++ok_missing;
        }
      }
    }
  }
  for (const std::string& id : failed_ids) {
    reg::GetInstitutionRequest get;
    get.set_name("institutions/" + id);
    reg::Institution out;
    grpc::Status s =
        suite.registry_stub().GetInstitution(Context(absl::Seconds(10)).get(), get, &out);
    if (s.ok()) {
      ++failed_but_stored;
      if (failed_but_stored_example.empty()) failed_but_stored_example = id;
    } else if (s.error_code() != grpc::StatusCode::NOT_FOUND) {
      ++lookup_errors;
    }
  }

  std::string code_text;
  for (const auto& [code, n] : codes) absl::StrAppend(&code_text, code, "x", n, ",");
  // Both kinds of answer must have happened for the bounds below to mean anything: no refusal
  // means the load did not overload the service (and "refused in < 50 ms" would hold of nothing);
  // no answer means it served nobody. Percentile fails the test on an empty list as well.
  EXPECT_GT(refused_ms.size(), 0u) << "300 callers were never refused: no overload was tested";
  EXPECT_GT(answered_ms.size(), 0u) << "no call was answered under load";
  const double refused_p99 = Percentile(refused_ms, 99);
  const double refused_max = Percentile(refused_ms, 100);
  const double answered_p99 = Percentile(answered_ms, 99);
  PrintFigures({{"callers", absl::StrCat(kCallers)},
                {"load_s", Seconds(load_took)},
                {"calls", absl::StrCat(refused_ms.size() + answered_ms.size() + other_codes)},
                {"answered", absl::StrCat(answered_ms.size())},
                {"refused", absl::StrCat(refused_ms.size())},
                {"other_codes", absl::StrCat(other_codes)},
                {"codes", code_text},
                {"refusal_p99_ms", Millis(refused_p99)},
                {"refusal_max_ms", Millis(refused_max)},
                {"refusal_retry_min_ms", Millis(absl::ToDoubleMilliseconds(retry_min))},
                {"refusal_retry_max_ms", Millis(absl::ToDoubleMilliseconds(retry_max))},
                {"answered_p50_ms", Millis(Percentile(answered_ms, 50))},
                {"answered_p99_ms", Millis(answered_p99)},
                {"unloaded_p99_ms", Millis(unloaded_p99)},
                {"ok_missing", absl::StrCat(ok_missing)},
                {"failed_but_stored", absl::StrCat(failed_but_stored)}});
  EXPECT_EQ(other_codes, 0) << "calls neither answered nor refused, e.g. " << other_example
                            << "; codes: " << code_text;
  // p99 is the bound; the slowest of ~3,000 refusals is the scheduler's on 2 cores shared with
  // the 300 callers (59.5 ms once in a quiet fresh-clone run whose p99 was 45.4 ms), bounded
  // more loosely so that a refusal stuck behind work still fails the test.
  EXPECT_LT(refused_p99, 50.0) << "refusals (RESOURCE_EXHAUSTED) must come back in < 50 ms (p99)";
  EXPECT_LT(refused_max, 100.0) << "no refusal may take 100 ms or more";
  EXPECT_LE(answered_p99, 5 * unloaded_p99)
      << "p99 of answered calls under 300 concurrent callers vs 5x the unloaded p99 ("
      << Millis(unloaded_p99) << " ms); codes: " << code_text;
  EXPECT_EQ(refusals_not_overloaded, 0)
      << "every refusal carries ErrorInfo reason OVERLOADED, e.g. " << refusal_example;
  EXPECT_EQ(refusals_retry_out_of_range, 0)
      << "every refusal says when to retry (RetryInfo between 100 ms and 2 s), e.g. "
      << refusal_example;
  EXPECT_EQ(failed_but_stored, 0) << "calls told they failed stored an institution, e.g. "
                                  << failed_but_stored_example;
  EXPECT_EQ(lookup_errors, 0) << "checking the failed calls' ids did not answer NOT_FOUND";
  EXPECT_EQ(ok_missing, 0) << "calls told OK whose institution is missing";
}

}  // namespace
}  // namespace imp::testing::fault
