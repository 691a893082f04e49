// Health and reconnection faults, for real: a backend killed with SIGKILL and restarted, a
// service terminated with SIGTERM. Health must say what callers will get.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/fault/rows.h"
#include "tests/fault/suite.h"

namespace imp::testing::fault {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;

grpc::Status GetSeedThroughGateway(Suite& suite, absl::Duration timeout = absl::Seconds(1)) {
  reg::GetInstitutionRequest req;
  req.set_name(kSeedHost);
  reg::Institution out;
  return suite.gateway_registry_stub().GetInstitution(Context(timeout, suite.admin_token()).get(),
                                                      req, &out);
}

TEST(FaultHealth, GatewayHealthReportsEachBackend) {
  Suite suite;
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  const std::string registry_name = reg::RegistryService::service_full_name();
  const std::string activity_name = act::ActivityService::service_full_name();
  HealthProbe gateway(suite.gateway_target());
  ASSERT_EQ(gateway.Check(registry_name), "SERVING") << "before any fault";
  ASSERT_EQ(gateway.Check(activity_name), "SERVING") << "before any fault";

  suite.registry().Kill();
  const absl::Time killed = absl::Now();
  absl::Time registry_not_serving = absl::InfiniteFuture();
  std::vector<std::string> registry_seen, activity_seen;
  int activity_not_serving = 0;
  while (absl::Now() - killed < absl::Seconds(3)) {
    const absl::Time asked = absl::Now();
    const std::string r = gateway.Check(registry_name);
    const std::string a = gateway.Check(activity_name);
    if (r == "NOT_SERVING" && registry_not_serving == absl::InfiniteFuture()) {
      registry_not_serving = asked;
    }
    if (a != "SERVING") ++activity_not_serving;
    if (registry_seen.empty() || registry_seen.back() != r) registry_seen.push_back(r);
    if (activity_seen.empty() || activity_seen.back() != a) activity_seen.push_back(a);
    absl::SleepFor(absl::Milliseconds(100));
  }

  ASSERT_NO_FATAL_FAILURE(suite.StartAndWait(suite.registry()));
  const absl::Time registry_serving = absl::Now();
  absl::Time gateway_serving_again = absl::InfiniteFuture();
  while (absl::Now() - registry_serving < absl::Seconds(5)) {
    if (gateway.Check(registry_name) == "SERVING") {
      gateway_serving_again = absl::Now();
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }

  PrintFigures(
      {{"registry_name_not_serving_after_kill_s", registry_not_serving == absl::InfiniteFuture()
                                                      ? "never(3s)"
                                                      : Seconds(registry_not_serving - killed)},
       {"activity_name_not_serving_samples", absl::StrCat(activity_not_serving)},
       {"registry_name_serving_after_restart_s",
        gateway_serving_again == absl::InfiniteFuture()
            ? "never(5s)"
            : Seconds(gateway_serving_again - registry_serving)}});
  EXPECT_LE(registry_not_serving, killed + absl::Seconds(2))
      << "the gateway's health for " << registry_name
      << " did not turn NOT_SERVING within 2 s of the registry being killed; it answered: "
      << absl::StrJoin(registry_seen, " -> ");
  EXPECT_EQ(activity_not_serving, 0)
      << "the gateway's health for " << activity_name
      << " must stay SERVING while only the registry is down; it answered: "
      << absl::StrJoin(activity_seen, " -> ");
  EXPECT_NE(gateway_serving_again, absl::InfiniteFuture())
      << "the gateway's health for " << registry_name
      << " was not SERVING within 5 s of the restarted registry being SERVING";
}

TEST(FaultHealth, SigtermReportsNotServingForAGracePeriodWhileStillAnswering) {
  SuiteOptions options;
  options.registry_flags = {"--shutdown_grace_ms=1000"};
  Suite suite(options);
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  const absl::Duration kGrace = absl::Milliseconds(1000);
  HealthProbe health(suite.registry_target());

  struct Sample {
    absl::Duration at;
    std::string health;
    grpc::StatusCode call;
  };
  std::vector<Sample> samples;
  suite.registry().Signal(SIGTERM);
  const absl::Time terminated = absl::Now();
  std::optional<int> exit_code;
  while (absl::Now() - terminated < absl::Seconds(5)) {
    Sample s;
    s.at = absl::Now() - terminated;
    s.health = health.Check("", absl::Milliseconds(200));
    reg::GetInstitutionRequest req;
    req.set_name(kSeedHost);
    reg::Institution out;
    s.call = suite.registry_stub()
                 .GetInstitution(Context(absl::Milliseconds(500)).get(), req, &out)
                 .error_code();
    samples.push_back(s);
    if (!suite.registry().Running()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  exit_code = suite.registry().Wait(absl::Seconds(10));
  const absl::Duration exited = absl::Now() - terminated;

  absl::Duration first_not_serving = absl::InfiniteDuration();
  absl::Duration last_ok_call = absl::ZeroDuration();
  absl::Duration first_failed_call = absl::InfiniteDuration();
  int failed_calls_in_grace = 0;
  std::string trace;
  for (const Sample& s : samples) {
    absl::StrAppend(&trace, Seconds(s.at), "s ", s.health, "/", s.call, "; ");
    if (s.health == "NOT_SERVING") first_not_serving = std::min(first_not_serving, s.at);
    if (s.call == grpc::StatusCode::OK) last_ok_call = std::max(last_ok_call, s.at);
    if (s.call != grpc::StatusCode::OK) {
      first_failed_call = std::min(first_failed_call, s.at);
      if (s.at < kGrace - absl::Milliseconds(200)) ++failed_calls_in_grace;
    }
  }
  auto text = [](absl::Duration d) {
    return d == absl::InfiniteDuration() ? std::string("never") : Seconds(d);
  };
  PrintFigures({{"not_serving_after_s", text(first_not_serving)},
                {"last_ok_call_after_s", Seconds(last_ok_call)},
                {"first_refused_call_after_s", text(first_failed_call)},
                {"exit_after_s", exit_code ? Seconds(exited) : "never(10s)"},
                {"exit_code", exit_code ? absl::StrCat(*exit_code) : "none"}});
  EXPECT_LE(first_not_serving, absl::Milliseconds(300))
      << "health did not turn NOT_SERVING right after SIGTERM: " << trace;
  EXPECT_EQ(failed_calls_in_grace, 0)
      << "calls were refused during the 1 s grace period: " << trace;
  EXPECT_GE(last_ok_call, kGrace - absl::Milliseconds(300))
      << "calls must still be answered while the grace period lasts: " << trace;
  EXPECT_NE(first_failed_call, absl::InfiniteDuration())
      << "after the grace period the service must stop taking calls: " << trace;
  EXPECT_TRUE(exit_code.has_value()) << "the service did not exit within 15 s of SIGTERM";
  // A SIGTERM shutdown is an orderly one: a supervisor must not read it as a crash.
  EXPECT_EQ(exit_code.value_or(-1), 0) << "exit code after SIGTERM";
}

TEST(FaultHealth, GatewayReconnectsWithinOneSecondOfABackendRestart) {
  Suite suite;
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  const absl::Duration kDown = absl::Seconds(3);
  ASSERT_TRUE(GetSeedThroughGateway(suite).ok()) << "before any fault";

  // An outage of a few seconds during which callers keep calling, as in production.
  suite.registry().Kill();
  const absl::Time killed = absl::Now();
  int failed_while_down = 0;
  while (absl::Now() - killed < kDown) {
    if (!GetSeedThroughGateway(suite).ok()) ++failed_while_down;
    absl::SleepFor(absl::Milliseconds(50));
  }
  const absl::Time restarting = absl::Now();
  ASSERT_NO_FATAL_FAILURE(suite.StartAndWait(suite.registry()));
  const absl::Time serving = absl::Now();

  absl::Time first_ok = absl::InfiniteFuture();
  int failed_after_serving = 0;
  grpc::Status last;
  while (absl::Now() - serving < absl::Seconds(15)) {
    last = GetSeedThroughGateway(suite);
    if (last.ok()) {
      first_ok = absl::Now();
      break;
    }
    ++failed_after_serving;
    absl::SleepFor(absl::Milliseconds(50));
  }
  PrintFigures({{"down_s", Seconds(restarting - killed)},
                {"failed_calls_while_down", absl::StrCat(failed_while_down)},
                {"restart_to_serving_s", Seconds(serving - restarting)},
                {"serving_to_first_gateway_ok_s",
                 first_ok == absl::InfiniteFuture() ? "never(15s)" : Seconds(first_ok - serving)},
                {"failed_calls_after_serving", absl::StrCat(failed_after_serving)}});
  EXPECT_LT(first_ok - serving, absl::Seconds(1))
      << "the gateway's first successful GetInstitution came "
      << (first_ok == absl::InfiniteFuture() ? std::string("never (15 s)")
                                             : Seconds(first_ok - serving) + " s")
      << " after the restarted registry was SERVING; calls failed meanwhile with: "
      << last.error_code() << " " << last.error_message();
}

}  // namespace
}  // namespace imp::testing::fault
