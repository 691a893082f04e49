// Database faults, for real: mariadbd killed with SIGKILL under write load and restarted.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
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
  // Each failed attempt: when, the code, and the message (to tell the outage from load shedding).
  struct Failure {
    absl::Time at;
    grpc::StatusCode code;
    std::string message;
  };
  std::vector<Failure> failures;
  const absl::Time start = absl::Now();
  absl::Duration restart_took;
  absl::Time killed = absl::InfiniteFuture();  // SIGKILL sent (mariadbd may take a while to go)
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
              failures.push_back({absl::Now(), s.error_code(), s.error_message()});
            }
            absl::SleepFor(absl::Milliseconds(200));  // retry with the same request_id
          }
          ledgers[w].push_back(std::move(write));
        }
      }));
    }
    absl::SleepFor(kKillAfter);
    killed = absl::Now();
    ASSERT_NO_FATAL_FAILURE(suite.db().Kill9());
    const absl::Time gone = absl::Now();
    suite.db().Restart();
    restart_took = absl::Now() - gone;
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
  // While MariaDB is down a write is told UNAVAILABLE. The only other failures allowed are load
  // shedding by a worker pool's admission control ("server overloaded", nothing has run): 8
  // writers on a loaded 2-core machine are shed now and then, outage or not. A shed call is
  // RESOURCE_EXHAUSTED from the service asked, or UNAVAILABLE when the activity service's
  // reference check was shed by the registry ("registry unavailable, references cannot be
  // checked: server overloaded"): both retryable, and seen before the kill as well.
  int outage_unavailable = 0, outage_unavailable_before_kill = 0, shed = 0,
      shed_relayed_unavailable = 0, other = 0;
  absl::Time first_unavailable = absl::InfiniteFuture(), last_unavailable = absl::InfinitePast();
  std::vector<std::string> other_examples;
  for (const Failure& f : failures) {
    const bool overloaded = absl::StrContains(f.message, "server overloaded");
    if (overloaded && (f.code == grpc::StatusCode::RESOURCE_EXHAUSTED ||
                       f.code == grpc::StatusCode::UNAVAILABLE)) {
      ++shed;
      if (f.code == grpc::StatusCode::UNAVAILABLE) ++shed_relayed_unavailable;
    } else if (f.code == grpc::StatusCode::UNAVAILABLE) {
      ++outage_unavailable;
      if (f.at < killed) ++outage_unavailable_before_kill;
      first_unavailable = std::min(first_unavailable, f.at);
      last_unavailable = std::max(last_unavailable, f.at);
    } else {
      ++other;
      if (other_examples.size() < 5) {
        other_examples.push_back(
            absl::StrCat(f.code, " at ", Seconds(f.at - killed), " s after the kill: ", f.message));
      }
    }
  }
  auto since_kill = [&](absl::Time t) {
    return t == absl::InfiniteFuture() || t == absl::InfinitePast() ? std::string("never")
                                                                    : Seconds(t - killed);
  };
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
                {"seconds_degraded", Seconds(degraded)},
                {"outage_unavailable_attempts", absl::StrCat(outage_unavailable)},
                {"shed_attempts", absl::StrCat(shed)},
                {"shed_relayed_as_unavailable", absl::StrCat(shed_relayed_unavailable)},
                {"other_failed_attempts", absl::StrCat(other)},
                {"first_outage_unavailable_after_kill_s", since_kill(first_unavailable)},
                {"last_outage_unavailable_after_kill_s", since_kill(last_unavailable)},
                {"mariadb_restart_s", Seconds(restart_took)}});
  EXPECT_GT(retried, 0) << "the kill did not hit any write: the test proved nothing";
  EXPECT_EQ(lost, 0) << "acknowledged writes missing after the restart, e.g. "
                     << absl::StrJoin(lost_examples, ", ");
  EXPECT_EQ(duplicates, 0) << "writes stored more than once, e.g. "
                           << absl::StrJoin(duplicate_examples, ", ");
  EXPECT_GT(outage_unavailable, 0) << "no write was told UNAVAILABLE while MariaDB was down";
  EXPECT_EQ(outage_unavailable_before_kill, 0)
      << "writes told UNAVAILABLE (not shed) before MariaDB was killed";
  EXPECT_EQ(other, 0) << "failed attempts neither UNAVAILABLE nor shed by admission control, e.g. "
                      << absl::StrJoin(other_examples, "; ");
  EXPECT_EQ(unacknowledged, 0) << "writes never answered OK within " << kGiveUpAfter
                               << " of retries with the same request_id";
}

}  // namespace
}  // namespace imp::testing::fault
