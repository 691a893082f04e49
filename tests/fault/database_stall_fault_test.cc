// Database faults, for real: mariadbd stalled with SIGSTOP, and a row locked by another session
// so that calls become slow. Health must follow the database, not the request load.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
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

// Polls the grpc.health.v1 status of one (target, service) every 100 ms and records each answer.
struct HealthTimeline {
  std::string label;
  std::vector<std::pair<absl::Time, std::string>> samples;

  // The first sample at or after `from` whose status is `want`; InfiniteFuture when none.
  absl::Time First(absl::Time from, const std::string& want) const {
    for (const auto& [t, status] : samples) {
      if (t >= from && status == want) return t;
    }
    return absl::InfiniteFuture();
  }
};

std::string Delay(absl::Time from, absl::Time to) {
  return to == absl::InfiniteFuture() ? "never" : Seconds(to - from);
}

TEST(FaultDatabase, DatabaseStallFlipsHealthWithinTwoSecondsAndRecovers) {
  Suite suite;
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  const std::string institution = kSeedHost;
  const absl::Duration kStall = absl::Seconds(6);

  std::vector<HealthTimeline> timelines = {
      {absl::StrCat("registry/"), {}},
      {absl::StrCat("registry/", reg::RegistryService::service_full_name()), {}},
      {absl::StrCat("activity/"), {}},
      {absl::StrCat("activity/", act::ActivityService::service_full_name()), {}}};
  absl::Mutex samples_mu;  // guards every timeline's samples while the pollers run
  std::atomic<bool> stop{false};
  const absl::Time poll_until = absl::Now() + kStall + absl::Seconds(10);  // bound
  std::vector<std::unique_ptr<JoiningThread>> pollers;
  for (auto& timeline : timelines) {
    const bool registry = timeline.label.rfind("registry/", 0) == 0;
    const std::string target = registry ? suite.registry_target() : suite.activity_target();
    const std::string service = timeline.label.substr(timeline.label.find('/') + 1);
    pollers.push_back(std::make_unique<JoiningThread>([&, target, service, &tl = timeline] {
      HealthProbe probe(target);
      while (!stop.load() && absl::Now() < poll_until) {
        const absl::Time next = absl::Now() + absl::Milliseconds(100);
        const absl::Time asked = absl::Now();
        std::string status = probe.Check(service);
        absl::MutexLock lock(&samples_mu);
        tl.samples.emplace_back(asked, std::move(status));
        absl::SleepFor(next - absl::Now());
      }
    }));
  }
  // A few SERVING samples on every timeline before the stall.
  ASSERT_TRUE(WaitFor(
      [&] {
        absl::MutexLock lock(&samples_mu);
        for (const auto& tl : timelines) {
          if (std::count_if(tl.samples.begin(), tl.samples.end(),
                            [](const auto& s) { return s.second == "SERVING"; }) < 3) {
            return false;
          }
        }
        return true;
      },
      absl::Seconds(10)))
      << "harness: the health timelines did not see SERVING before the stall";

  ASSERT_NO_FATAL_FAILURE(suite.db().Stall());
  const absl::Time stalled = absl::Now();
  // One write while the database is stalled: told DEADLINE_EXCEEDED, so it must not be stored
  // once the database resumes (its statement was sent to a frozen server and may run then).
  const std::string stalled_write_name = "Fault stalled write";
  grpc::Status stalled_write;
  absl::Duration stalled_write_took;
  {
    reg::CreateInstitutionRequest req;
    req.set_request_id("fault-stalled-write");
    req.mutable_institution()->set_display_name(stalled_write_name);
    req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
    req.mutable_institution()->set_country("PL");
    reg::Institution out;
    const absl::Time t0 = absl::Now();
    stalled_write = suite.registry_stub().CreateInstitution(
        Context(absl::Seconds(1), suite.admin_token()).get(), req, &out);
    stalled_write_took = absl::Now() - t0;
  }
  std::vector<std::pair<grpc::StatusCode, absl::Duration>> stalled_calls;
  while (absl::Now() - stalled < kStall - absl::Milliseconds(1300)) {
    reg::GetInstitutionRequest req;
    req.set_name(institution);
    reg::Institution out;
    const absl::Time t0 = absl::Now();
    grpc::Status s =
        suite.registry_stub().GetInstitution(Context(absl::Seconds(1)).get(), req, &out);
    stalled_calls.emplace_back(s.error_code(), absl::Now() - t0);
  }
  absl::SleepFor(kStall - (absl::Now() - stalled));
  suite.db().Resume();
  const absl::Time resumed = absl::Now();

  // Recovered when every timeline says SERVING again (bounded), then calls succeed.
  for (int i = 0; i < 100; ++i) {
    bool all = true;
    {
      absl::MutexLock lock(&samples_mu);
      for (const auto& tl : timelines) {
        all = all && tl.First(resumed, "SERVING") != absl::InfiniteFuture();
      }
    }
    if (all) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  absl::SleepFor(absl::Milliseconds(200));
  stop = true;
  for (auto& p : pollers) p->Join();

  reg::GetInstitutionRequest req;
  req.set_name(institution);
  reg::Institution out;
  grpc::Status after =
      suite.registry_stub().GetInstitution(Context(absl::Seconds(5)).get(), req, &out);
  // Every institution once the database is back and serving: the stalled write must be absent.
  int institutions_listed = 0, stalled_write_stored = 0;
  grpc::Status listed;
  {
    std::string token;
    do {
      reg::ListInstitutionsRequest list;
      list.set_page_size(1000);
      list.set_page_token(token);
      list.set_show_deleted(true);
      reg::ListInstitutionsResponse resp;
      listed =
          suite.registry_stub().ListInstitutions(Context(absl::Seconds(10)).get(), list, &resp);
      if (!listed.ok()) break;
      for (const auto& inst : resp.institutions()) {
        ++institutions_listed;
        if (inst.display_name() == stalled_write_name) ++stalled_write_stored;
      }
      token = resp.next_page_token();
    } while (!token.empty());
  }

  std::vector<std::pair<std::string, std::string>> figures;
  double slowest_ms = 0;
  int stalled_deadline_exceeded = 0;
  for (const auto& [code, took] : stalled_calls) {
    slowest_ms = std::max(slowest_ms, absl::ToDoubleMilliseconds(took));
    if (code == grpc::StatusCode::DEADLINE_EXCEEDED) ++stalled_deadline_exceeded;
  }
  figures.push_back({"stalled_calls", absl::StrCat(stalled_calls.size())});
  figures.push_back({"stalled_calls_deadline_exceeded", absl::StrCat(stalled_deadline_exceeded)});
  figures.push_back({"stalled_call_max_ms", Millis(slowest_ms)});
  figures.push_back({"stalled_write_told", absl::StrCat(stalled_write.error_code())});
  figures.push_back({"stalled_write_s", Seconds(stalled_write_took)});
  figures.push_back({"stalled_write_stored", absl::StrCat(stalled_write_stored)});
  for (const auto& tl : timelines) {
    figures.push_back({absl::StrCat(tl.label, ":not_serving_after_s"),
                       Delay(stalled, tl.First(stalled, "NOT_SERVING"))});
    figures.push_back({absl::StrCat(tl.label, ":serving_again_after_s"),
                       Delay(resumed, tl.First(resumed, "SERVING"))});
  }
  PrintFigures(figures);

  // A call that reached the stalled database ends DEADLINE_EXCEEDED at its deadline; once the
  // stalled calls hold every worker, the next ones are refused at once (RESOURCE_EXHAUSTED:
  // admission control, nothing done). No call may outlive its deadline or end otherwise.
  ASSERT_FALSE(stalled_calls.empty());
  for (const auto& [code, took] : stalled_calls) {
    EXPECT_TRUE(code == grpc::StatusCode::DEADLINE_EXCEEDED ||
                code == grpc::StatusCode::RESOURCE_EXHAUSTED)
        << "a GetInstitution during the stall ended " << code;
    EXPECT_LE(took, absl::Milliseconds(1200))
        << "a GetInstitution with a 1 s deadline took " << took << " during the stall";
  }
  EXPECT_GT(stalled_deadline_exceeded, 0) << "no call reached the stalled database";
  EXPECT_EQ(stalled_write.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << "a CreateInstitution during the stall (1 s deadline) answered "
      << stalled_write.error_code() << " " << stalled_write.error_message() << " after "
      << stalled_write_took;
  ASSERT_TRUE(listed.ok()) << "listing institutions after the stall: " << listed.error_message();
  EXPECT_GT(institutions_listed, 0) << "the listing after the stall saw no institution at all";
  EXPECT_EQ(stalled_write_stored, 0) << "a write told DEADLINE_EXCEEDED during the stall is stored";
  for (const auto& tl : timelines) {
    std::string seen;
    for (const auto& [t, status] : tl.samples) {
      if (t >= stalled && t < stalled + absl::Seconds(3)) absl::StrAppend(&seen, status, " ");
    }
    EXPECT_LE(tl.First(stalled, "NOT_SERVING"), stalled + absl::Seconds(2))
        << tl.label << " health did not turn NOT_SERVING within 2 s of the database stall; "
        << "its answers in the first 3 s: " << seen;
    EXPECT_LE(tl.First(resumed, "SERVING"), resumed + absl::Seconds(2))
        << tl.label << " health was not SERVING within 2 s of the database resuming";
  }
  EXPECT_TRUE(after.ok()) << "GetInstitution after the stall: " << after.error_message();
}

TEST(FaultDatabase, SlowCallsDoNotMakeTheServiceReportNotServing) {
  // More workers than slow calls: slow calls that leave room for others are not a reason to
  // report NOT_SERVING. (A pool whose every worker is held while the calls that arrive are
  // refused is one: WorkerPoolAdmission.HealthSaysNotServingWhileEveryCallIsRefusedAndRecovers.)
  SuiteOptions options;
  options.registry_flags = {"--worker_threads=24"};
  Suite suite(options);
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  constexpr int kSlowCalls = 16;  // two per database pool connection (8)
  const absl::Duration kHold = absl::Seconds(5);

  // Slow calls, made slow the way a busy database makes them: a row lock held by another
  // session (until the test kills it). Every UpdateInstitution of that row waits for it.
  ProcessSpec locker_spec;
  locker_spec.name = "row-locker";
  locker_spec.binary = "/usr/bin/mariadb";
  locker_spec.args = {"--no-defaults",
                      "--socket=" + suite.db().socket(),
                      "-uroot",
                      suite.registry_database(),
                      "-e",
                      "BEGIN; SELECT id FROM institutions WHERE id = 'fault-host' FOR UPDATE; "
                      "DO SLEEP(60); ROLLBACK;"};
  locker_spec.log_path = suite.registry().spec().log_path + ".row-locker";
  Process locker(locker_spec);
  ASSERT_TRUE(locker.Start().ok());
  auto count = [&](const std::string& where) {
    return suite.db().Query(
        absl::StrCat("SELECT COUNT(*) FROM information_schema.innodb_trx WHERE ", where));
  };
  // The session sleeps once its SELECT ... FOR UPDATE has run: from then on it holds the lock.
  auto locker_session = [&] {
    return suite.db().Query(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP(60)%'");
  };
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (locker_session().empty() && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const std::string session = locker_session();
  ASSERT_FALSE(session.empty()) << "harness: the row lock was never taken";

  // Calls beyond what the workers can hold are refused at once by admission control
  // (RESOURCE_EXHAUSTED, nothing run): that is load shedding, not slowness, and is counted apart.
  std::atomic<int> finished{0}, succeeded{0}, refused{0};
  std::vector<std::unique_ptr<JoiningThread>> callers;
  for (int i = 0; i < kSlowCalls; ++i) {
    callers.push_back(std::make_unique<JoiningThread>([&, i] {
      reg::UpdateInstitutionRequest req;
      req.mutable_institution()->set_name(kSeedHost);
      req.mutable_institution()->set_city(absl::StrCat("Lutsk ", i));
      req.mutable_update_mask()->add_paths("city");
      reg::Institution out;
      grpc::Status s =
          suite.registry_stub().UpdateInstitution(Context(absl::Seconds(60)).get(), req, &out);
      if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        ++refused;
        return;
      }
      if (s.ok()) ++succeeded;
      ++finished;
    }));
  }
  // The slow calls are in: as many waiting on the lock as the service lets into its database,
  // the same number for a whole second.
  const absl::Time calls_started = absl::Now();
  std::string waiting;
  absl::Time waiting_since = absl::Now();
  while (absl::Now() < give_up + absl::Seconds(10)) {
    const std::string now_waiting = count("trx_state = 'LOCK WAIT'");
    if (now_waiting != waiting || now_waiting == "0") waiting_since = absl::Now();
    waiting = now_waiting;
    if (absl::Now() - waiting_since >= absl::Seconds(1) &&
        absl::Now() - calls_started >= absl::Seconds(1)) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  const absl::Time locked = absl::Now();

  HealthTimeline whole{"registry/", {}};
  HealthTimeline named{absl::StrCat("registry/", reg::RegistryService::service_full_name()), {}};
  HealthProbe probe(suite.registry_target());
  double slowest_check_ms = 0;
  while (absl::Now() - locked < kHold) {
    for (HealthTimeline* tl : {&whole, &named}) {
      const absl::Time asked = absl::Now();
      tl->samples.emplace_back(asked, probe.Check(tl->label.substr(tl->label.find('/') + 1)));
      slowest_check_ms =
          std::max(slowest_check_ms, absl::ToDoubleMilliseconds(absl::Now() - asked));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  const int finished_while_locked = finished.load();
  // Release the lock: end the locking session in the server (a killed client alone would leave
  // its SLEEP running), then the client.
  suite.db().Query("KILL " + session);
  locker.Kill();
  for (auto& c : callers) c->Join();

  int not_serving = 0, samples = 0;
  std::string first_bad;
  for (const HealthTimeline* tl : {&whole, &named}) {
    for (const auto& [t, status] : tl->samples) {
      ++samples;
      if (status != "SERVING") {
        ++not_serving;
        if (first_bad.empty()) {
          first_bad = absl::StrCat(tl->label, " answered ", status, " ", Seconds(t - locked),
                                   " s into the slow calls");
        }
      }
    }
  }
  PrintFigures({{"slow_calls", absl::StrCat(kSlowCalls)},
                {"slow_calls_waiting_in_database", waiting},
                {"slow_seconds", Seconds(kHold)},
                {"health_samples", absl::StrCat(samples)},
                {"health_not_serving_samples", absl::StrCat(not_serving)},
                {"health_check_max_ms", Millis(slowest_check_ms)},
                {"slow_calls_refused_by_admission", absl::StrCat(refused.load())},
                {"slow_calls_succeeded_after", absl::StrCat(succeeded.load())}});
  ASSERT_EQ(finished_while_locked, 0)
      << "harness: the calls were not held up by the row lock, so nothing was slow";
  EXPECT_EQ(not_serving, 0) << "slow calls made the registry report it is not serving: "
                            << first_bad;
  EXPECT_EQ(succeeded.load() + refused.load(), kSlowCalls)
      << "every slow call that was let in should succeed once the lock goes";
  EXPECT_GT(succeeded.load(), 0);
}

}  // namespace
}  // namespace imp::testing::fault
