// Database faults, for real: mariadbd killed with SIGKILL under write load, stalled with SIGSTOP,
// and its rows locked so that calls become slow.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/fault/rows.h"
#include "tests/fault/suite.h"

namespace imp::testing::fault {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;

// One create a writer made, and what it was told in the end.
struct Write {
  bool institution = false;
  std::string key;   // the unique display name / title, to find duplicates by
  std::string name;  // the acknowledged resource name
  bool acknowledged = false;
  int attempts = 0;
};

TEST(FaultDatabase, DatabaseKilledUnderWriteLoadLosesNoAcknowledgedWrite) {
  Suite suite;
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  constexpr int kWriters = 8;
  const absl::Duration kLoad = absl::Seconds(10);
  const absl::Duration kKillAfter = absl::Seconds(4);
  const absl::Duration kGiveUpAfter = absl::Seconds(20);  // per write, across its retries

  std::vector<std::vector<Write>> ledgers(kWriters);
  absl::Mutex mu;
  absl::Time first_failure = absl::InfiniteFuture(), last_failure = absl::InfinitePast();
  std::map<std::string, int> failure_codes;
  const absl::Time start = absl::Now();
  {
    std::vector<std::unique_ptr<JoiningThread>> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.push_back(std::make_unique<JoiningThread>([&, w] {
        for (int i = 0; absl::Now() - start < kLoad; ++i) {
          Write write;
          write.institution = i % 2 == 0;
          write.key = absl::StrCat("Fault writer ", w, " record ", i);
          const std::string request_id = absl::StrCat("fault-w", w, "-", i);
          const absl::Time first_attempt = absl::Now();
          while (!write.acknowledged && absl::Now() - first_attempt < kGiveUpAfter) {
            ++write.attempts;
            grpc::Status s;
            auto ctx = Context(absl::Seconds(5), suite.admin_token());
            if (write.institution) {
              reg::CreateInstitutionRequest req;
              req.set_request_id(request_id);
              req.mutable_institution()->set_display_name(write.key);
              req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
              req.mutable_institution()->set_country("PL");
              reg::Institution out;
              s = suite.gateway_registry_stub().CreateInstitution(ctx.get(), req, &out);
              write.name = out.name();
            } else {
              act::CreateActivityRequest req;
              req.set_request_id(request_id);
              *req.mutable_activity() = ImportableActivity(i, 2023);
              req.mutable_activity()->set_title(write.key);
              act::Activity out;
              s = suite.gateway_activity_stub().CreateActivity(ctx.get(), req, &out);
              write.name = out.name();
            }
            if (s.ok()) {
              write.acknowledged = true;
              break;
            }
            {
              absl::MutexLock lock(&mu);
              first_failure = std::min(first_failure, absl::Now());
              last_failure = std::max(last_failure, absl::Now());
              ++failure_codes[absl::StrCat(s.error_code())];
            }
            absl::SleepFor(absl::Milliseconds(200));  // retry with the same request_id
          }
          ledgers[w].push_back(std::move(write));
        }
      }));
    }
    absl::SleepFor(kKillAfter);
    ASSERT_NO_FATAL_FAILURE(suite.db().Kill9());
    const absl::Time killed = absl::Now();
    suite.db().Restart();
    PrintFigures({{"mariadb_restart_s", Seconds(absl::Now() - killed)}});
  }  // writers joined

  // Every service healthy again before counting.
  for (Process* p : {&suite.registry(), &suite.activity(), &suite.gateway()}) {
    ASSERT_NO_FATAL_FAILURE(suite.StartAndWait(*p));
  }
  std::map<std::string, int> stored_keys;  // display name / title -> how many stored
  std::set<std::string> stored_names;
  std::string token;
  do {
    reg::ListInstitutionsRequest req;
    req.set_page_size(1000);
    req.set_page_token(token);
    req.set_show_deleted(true);
    reg::ListInstitutionsResponse resp;
    grpc::Status s =
        suite.registry_stub().ListInstitutions(Context(absl::Seconds(30)).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << "listing institutions: " << s.error_message();
    for (const auto& inst : resp.institutions()) {
      ++stored_keys[inst.display_name()];
      stored_names.insert(inst.name());
    }
    token = resp.next_page_token();
  } while (!token.empty());
  do {
    act::ListActivitiesRequest req;
    req.set_page_size(1000);
    req.set_page_token(token);
    req.set_show_deleted(true);
    act::ListActivitiesResponse resp;
    grpc::Status s =
        suite.activity_stub().ListActivities(Context(absl::Seconds(30)).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << "listing activities: " << s.error_message();
    for (const auto& a : resp.activities()) {
      ++stored_keys[a.title()];
      stored_names.insert(a.name());
    }
    token = resp.next_page_token();
  } while (!token.empty());

  int writes = 0, acknowledged = 0, found = 0, lost = 0, duplicates = 0, unacknowledged = 0,
      retried = 0;
  std::vector<std::string> lost_examples, duplicate_examples;
  for (const auto& ledger : ledgers) {
    for (const Write& write : ledger) {
      ++writes;
      if (write.attempts > 1) ++retried;
      auto it = stored_keys.find(write.key);
      const int copies = it == stored_keys.end() ? 0 : it->second;
      if (copies > 1) {
        ++duplicates;
        if (duplicate_examples.size() < 5) duplicate_examples.push_back(write.key);
      }
      if (!write.acknowledged) {
        ++unacknowledged;
        continue;
      }
      ++acknowledged;
      if (stored_names.count(write.name) > 0 && copies >= 1) {
        ++found;
      } else {
        ++lost;
        if (lost_examples.size() < 5) lost_examples.push_back(write.name);
      }
    }
  }
  std::string codes;
  for (const auto& [code, n] : failure_codes) absl::StrAppend(&codes, code, "x", n, ",");
  const absl::Duration degraded =
      last_failure > first_failure ? last_failure - first_failure : absl::ZeroDuration();
  PrintFigures({{"writes", absl::StrCat(writes)},
                {"acknowledged", absl::StrCat(acknowledged)},
                {"found", absl::StrCat(found)},
                {"lost", absl::StrCat(lost)},
                {"duplicates", absl::StrCat(duplicates)},
                {"unacknowledged", absl::StrCat(unacknowledged)},
                {"retried_writes", absl::StrCat(retried)},
                {"failed_attempt_codes", codes.empty() ? "none" : codes},
                {"seconds_degraded", Seconds(degraded)}});
  EXPECT_GT(retried, 0) << "the kill did not hit any write: the test proved nothing";
  EXPECT_EQ(lost, 0) << "acknowledged writes missing after the restart, e.g. "
                     << absl::StrJoin(lost_examples, ", ");
  EXPECT_EQ(duplicates, 0) << "writes stored more than once, e.g. "
                           << absl::StrJoin(duplicate_examples, ", ");
}

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
  absl::SleepFor(absl::Milliseconds(300));  // a few SERVING samples first

  ASSERT_NO_FATAL_FAILURE(suite.db().Stall());
  const absl::Time stalled = absl::Now();
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
  for (const auto& tl : timelines) {
    figures.push_back({absl::StrCat(tl.label, ":not_serving_after_s"),
                       Delay(stalled, tl.First(stalled, "NOT_SERVING"))});
    figures.push_back({absl::StrCat(tl.label, ":serving_again_after_s"),
                       Delay(resumed, tl.First(resumed, "SERVING"))});
  }
  PrintFigures(figures);

  ASSERT_FALSE(stalled_calls.empty());
  for (const auto& [code, took] : stalled_calls) {
    EXPECT_EQ(code, grpc::StatusCode::DEADLINE_EXCEEDED) << "a GetInstitution during the stall";
    EXPECT_LE(took, absl::Milliseconds(1200))
        << "a GetInstitution with a 1 s deadline took " << took << " during the stall";
  }
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
  Suite suite;
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  constexpr int kSlowCalls = 16;  // two per worker thread and pool connection (8 each)
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

  std::atomic<int> finished{0}, succeeded{0};
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
      if (s.ok()) ++succeeded;
      ++finished;
    }));
  }
  // The slow calls are in: as many waiting on the lock as the service lets into its database.
  std::string waiting;
  int stable = 0;
  while (stable < 5 && absl::Now() < give_up) {
    const std::string now_waiting = count("trx_state = 'LOCK WAIT'");
    stable = now_waiting == waiting && now_waiting != "0" ? stable + 1 : 0;
    waiting = now_waiting;
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
                {"slow_calls_succeeded_after", absl::StrCat(succeeded.load())}});
  ASSERT_EQ(finished_while_locked, 0)
      << "harness: the calls were not held up by the row lock, so nothing was slow";
  EXPECT_EQ(not_serving, 0) << "slow calls made the registry report it is not serving: "
                            << first_bad;
  EXPECT_EQ(succeeded.load(), kSlowCalls) << "the slow calls should succeed once the lock goes";
}

}  // namespace
}  // namespace imp::testing::fault
