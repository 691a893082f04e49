// Unit tests of platform logic that needs no network or database.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/api/errors.h"
#include "common/db/migrations.h"
#include "common/commit_gate.h"
#include "common/status.h"
#include "common/worker_pool.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace imp {
namespace {

TEST(StatusMapping, EveryAbslCodeMapsToTheSameGrpcCodeAndBack) {
  for (int code = 0; code <= 16; ++code) {
    absl::Status status(static_cast<absl::StatusCode>(code), code == 0 ? "" : "message");
    grpc::Status grpc_status = ToGrpcStatus(status);
    EXPECT_EQ(static_cast<int>(grpc_status.error_code()), code);
    // The edge adds the derived details (an ErrorInfo for every error): equal to those.
    EXPECT_EQ(FromGrpcStatus(grpc_status), WithDerivedDetails(status));
    EXPECT_EQ(FromGrpcStatus(grpc_status).message(), status.message());
  }
}

TEST(StatusMapping, CodeNamesAreTheCanonicalOnes) {
  EXPECT_STREQ(StatusCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_STREQ(StatusCodeName(grpc::StatusCode::INVALID_ARGUMENT), "INVALID_ARGUMENT");
  EXPECT_STREQ(StatusCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
  EXPECT_STREQ(StatusCodeName(static_cast<grpc::StatusCode>(99)), "UNKNOWN");
}

TEST(StatusMapping, KeepsTheMessageThatNamesTheField) {
  grpc::Status s = ToGrpcStatus(absl::InvalidArgumentError("institution.country: 'XX' is unknown"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "institution.country: 'XX' is unknown");
}

TEST(SplitSqlStatements, SplitsOnTrailingSemicolonsAndDropsComments) {
  auto statements = db::SplitSqlStatements(
      "-- a comment; not a statement\n"
      "CREATE TABLE a (\n  x INT -- trailing\n);\n"
      "\n"
      "INSERT INTO a VALUES (1), (2);\n"
      "INSERT INTO a VALUES ('x;y');\n");
  ASSERT_EQ(statements.size(), 3u);
  EXPECT_EQ(statements[0], "CREATE TABLE a (\n  x INT -- trailing\n)");
  EXPECT_EQ(statements[1], "INSERT INTO a VALUES (1), (2)");
  EXPECT_EQ(statements[2], "INSERT INTO a VALUES ('x;y')");
}

TEST(Sha256Hex, MatchesTheKnownDigest) {
  EXPECT_EQ(db::Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(WorkerPool, RunsEveryTaskOnItsThreads) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(3, 1000);
    for (int i = 0; i < 500; ++i) ASSERT_TRUE(pool.Submit([&ran] { ran.fetch_add(1); }).ok());
  }  // destructor drains the queue
  EXPECT_EQ(ran.load(), 500);
}

TEST(WorkerPool, RefusesWhenTheQueueIsFull) {
  absl::Notification release;
  WorkerPool pool(1, 2);
  absl::Notification started;
  ASSERT_TRUE(pool.Submit([&] {
                    started.Notify();
                    release.WaitForNotification();
                  })
                  .ok());
  started.WaitForNotification();
  ASSERT_TRUE(pool.Submit([] {}).ok());
  ASSERT_TRUE(pool.Submit([] {}).ok());
  absl::Status refused = pool.Submit([] {});
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  release.Notify();
}

}  // namespace
}  // namespace imp

namespace imp {
namespace {

TEST(WorkerPool, AQueuedCallIsRefusedSoonWhenEveryWorkerStaysBusyAndNeverRuns) {
  AdmissionOptions admission;
  admission.max_queued = 8;
  admission.max_queue_wait = absl::Milliseconds(30);
  admission.max_wait_in_run_times = 0;  // the fixed bound only
  WorkerPool pool(1, admission);
  absl::Notification release, started, refused;
  ASSERT_TRUE(pool.Submit([&] {
                    started.Notify();
                    release.WaitForNotification();
                  })
                  .ok());
  started.WaitForNotification();
  std::atomic<bool> ran{false};
  absl::Status why;
  const absl::Time queued = absl::Now();
  ASSERT_TRUE(pool.Submit([&] { ran = true; },
                          [&](absl::Status s) {
                            why = s;
                            refused.Notify();
                          })
                  .ok());
  ASSERT_TRUE(refused.WaitForNotificationWithTimeout(absl::Seconds(2)));
  const absl::Duration waited = absl::Now() - queued;
  EXPECT_GE(waited, absl::Milliseconds(25));
  EXPECT_LT(waited, absl::Milliseconds(250));
  EXPECT_EQ(why.code(), absl::StatusCode::kResourceExhausted);
  release.Notify();
  // The one worker is free again and takes queued tasks in order: once a task queued after the
  // refused one has run, the refused one would have run before it, had it stayed queued.
  absl::Notification after;
  ASSERT_TRUE(pool.Submit([&] { after.Notify(); }).ok());
  ASSERT_TRUE(after.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_FALSE(ran.load()) << "a refused task must never run";
}

// An import holds a worker for as long as its stream lasts; afterwards the pool must still
// expect ordinary calls to take as long as ordinary calls take, and admit them.
TEST(WorkerPool, ALongRunningImportDoesNotMakeOrdinaryCallsLookSlow) {
  WorkerPool pool(2, AdmissionOptions{});
  for (int i = 0; i < 20; ++i) {
    absl::Notification done;
    ASSERT_TRUE(pool.Submit([&] { done.Notify(); }).ok());
    done.WaitForNotification();
  }
  absl::Notification import_done;
  ASSERT_TRUE(pool.SubmitLongRunning(
                      [&] {
                        // The import's length is what is under test (600 ms: counted like a
                        // call it would raise the average to 60 ms), not a synchronisation.
                        absl::SleepFor(absl::Milliseconds(600));
                        import_done.Notify();
                      },
                      [](absl::Status) {})
                  .ok());
  import_done.WaitForNotification();
  // A worker accounts for its last task before it takes the next one: two tasks running at the
  // same time on the two workers prove the import's worker is back and has accounted for it.
  std::atomic<int> together{0};
  absl::Notification both_ran_a, both_ran_b;
  auto meet = [&](absl::Notification* done) {
    ++together;
    for (int i = 0; i < 1000 && together.load() < 2; ++i) absl::SleepFor(absl::Microseconds(500));
    done->Notify();
  };
  ASSERT_TRUE(pool.Submit([&] { meet(&both_ran_a); }).ok());
  ASSERT_TRUE(pool.Submit([&] { meet(&both_ran_b); }).ok());
  both_ran_a.WaitForNotification();
  both_ran_b.WaitForNotification();
  ASSERT_EQ(together.load(), 2);
  // Counted like a call, the import alone would have made the average 60 ms.
  EXPECT_LT(pool.average_run_time(), absl::Milliseconds(10));
  // And a call with a 100 ms deadline behind a few queued ones is admitted, not refused.
  std::atomic<int> ran{0};
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(
        pool.Submit([&] { ++ran; }, [](absl::Status) {}, absl::Now() + absl::Milliseconds(100))
            .ok());
  }
  for (int i = 0; i < 200 && ran.load() < 4; ++i) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(ran.load(), 4);
}

TEST(WorkerPool, ACallWhoseDeadlineIsNearerThanTheExpectedWaitIsRefusedAtOnce) {
  WorkerPool pool(1, AdmissionOptions{});
  absl::Notification release, started;
  ASSERT_TRUE(pool.Submit([&] {
                    started.Notify();
                    release.WaitForNotification();
                  })
                  .ok());
  started.WaitForNotification();
  // The average run time starts at a millisecond: a call due in 100 us cannot be served.
  absl::Status s = pool.Submit([] {}, [](absl::Status) {}, absl::Now() + absl::Microseconds(100));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  release.Notify();
}

TEST(WorkerPool, TheRetryDelayOfARefusalGrowsWithTheShareOfCallsRefused) {
  AdmissionOptions admission;
  admission.max_queued = 1;
  WorkerPool pool(1, admission);
  for (int i = 0; i < 10; ++i) {  // ten calls served, one at a time
    absl::Notification done;
    ASSERT_TRUE(pool.Submit([&] { done.Notify(); }).ok());
    done.WaitForNotification();
  }
  absl::Notification release, started;
  ASSERT_TRUE(pool.Submit([&] {
                    started.Notify();
                    release.WaitForNotification();
                  })
                  .ok());
  started.WaitForNotification();
  ASSERT_TRUE(pool.Submit([] {}).ok());  // fills the queue
  auto delay_of = [](const absl::Status& s) {
    auto info = api::GetDetail<google::rpc::RetryInfo>(s);
    return info ? absl::Seconds(info->retry_delay().seconds()) +
                      absl::Nanoseconds(info->retry_delay().nanos())
                : absl::ZeroDuration();
  };
  const absl::Status first = pool.Submit([] {});
  ASSERT_EQ(first.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(delay_of(first), absl::Milliseconds(100))
      << "one refusal for eleven calls started: the shortest delay";
  absl::Status later;
  for (int i = 0; i < 10; ++i) later = pool.Submit([] {});
  EXPECT_EQ(delay_of(later), absl::Seconds(1)) << "as many refusals as calls started: a second";
  for (int i = 0; i < 20; ++i) later = pool.Submit([] {});
  EXPECT_EQ(delay_of(later), absl::Seconds(2)) << "far more refused than started: the longest";
  release.Notify();
}

// Issue #18, finding 5: a viewer looping one-second statistics on both workers made 67 of 71
// admin calls fail. While another caller has work, an expensive caller runs on at most
// threads - 1 workers.
TEST(WorkerPool, AnExpensiveCallerOverItsShareWaitsWhileAnotherCallersTaskRunsOnTheFreeWorker) {
  AdmissionOptions admission;
  admission.fairness_window = absl::Minutes(5);  // the two callers stay "recent" whatever the pace
  admission.expensive_run = absl::Milliseconds(1);
  WorkerPool pool(2, admission);
  // The caller's calls are expensive: one has run for longer than `expensive_run` (1 ms).
  absl::Notification viewer_measured;
  ASSERT_TRUE(pool.Submit(
                      [&] {
                        absl::SleepFor(absl::Milliseconds(5));  // the call's cost, not a wait
                        viewer_measured.Notify();
                      },
                      nullptr, absl::InfiniteFuture(), "viewer")
                  .ok());
  viewer_measured.WaitForNotification();
  absl::Notification release, viewer_first_started, admin_seen;
  std::atomic<bool> viewer_second_started{false};
  ASSERT_TRUE(pool.Submit(
                      [&] {
                        viewer_first_started.Notify();
                        release.WaitForNotification();
                      },
                      nullptr, absl::InfiniteFuture(), "viewer")
                  .ok());
  viewer_first_started.WaitForNotification();
  ASSERT_TRUE(
      pool.Submit([&] { admin_seen.Notify(); }, nullptr, absl::InfiniteFuture(), "admin").ok());
  admin_seen.WaitForNotification();
  // The viewer's second expensive call: the admin has been seen, so it waits for the viewer's
  // first instead of taking the last free worker.
  ASSERT_TRUE(pool.Submit(
                      [&] {
                        viewer_second_started = true;
                        release.WaitForNotification();
                      },
                      nullptr, absl::InfiniteFuture(), "viewer")
                  .ok());
  absl::Notification admin_served;
  ASSERT_TRUE(
      pool.Submit([&] { admin_served.Notify(); }, nullptr, absl::InfiniteFuture(), "admin").ok());
  EXPECT_TRUE(admin_served.WaitForNotificationWithTimeout(absl::Seconds(10)))
      << "the admin's call found no worker: the viewer holds both";
  EXPECT_FALSE(viewer_second_started.load()) << "the viewer ran on both workers";
  release.Notify();
}

TEST(WorkerPool, ACallerOfOrdinaryCallsUsesEveryWorker) {
  AdmissionOptions admission;
  admission.fairness_window = absl::Minutes(5);
  WorkerPool pool(2, admission);
  // Two tasks of one caller that each wait for the other: they finish only if both run at once.
  absl::Notification first_started, second_started;
  absl::Notification first_done, second_done;
  ASSERT_TRUE(pool.Submit(
                      [&] {
                        first_started.Notify();
                        if (second_started.WaitForNotificationWithTimeout(absl::Seconds(10))) {
                          first_done.Notify();
                        }
                      },
                      nullptr, absl::InfiniteFuture(), "bench")
                  .ok());
  ASSERT_TRUE(pool.Submit(
                      [&] {
                        second_started.Notify();
                        if (first_started.WaitForNotificationWithTimeout(absl::Seconds(10))) {
                          second_done.Notify();
                        }
                      },
                      nullptr, absl::InfiniteFuture(), "bench")
                  .ok());
  EXPECT_TRUE(first_done.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_TRUE(second_done.WaitForNotificationWithTimeout(absl::Seconds(20)));
}

TEST(WorkerPool, ATaskHeldBackByItsCallersShareWaitsForItsCallerRatherThanBeingRefused) {
  AdmissionOptions admission;
  admission.fairness_window = absl::Minutes(5);
  admission.max_queue_wait = absl::Milliseconds(5);
  admission.expensive_run = absl::Milliseconds(1);
  WorkerPool pool(2, admission);
  // The caller's calls are expensive: one has run for longer than `expensive_run` (1 ms).
  absl::Notification writer_measured;
  ASSERT_TRUE(pool.Submit(
                      [&] {
                        absl::SleepFor(absl::Milliseconds(5));  // the call's cost, not a wait
                        writer_measured.Notify();
                      },
                      nullptr, absl::InfiniteFuture(), "writer")
                  .ok());
  writer_measured.WaitForNotification();
  absl::Notification release, started, admin_seen;
  ASSERT_TRUE(pool.Submit(
                      [&] {
                        started.Notify();
                        release.WaitForNotification();
                      },
                      nullptr, absl::InfiniteFuture(), "writer")
                  .ok());
  started.WaitForNotification();
  ASSERT_TRUE(
      pool.Submit([&] { admin_seen.Notify(); }, nullptr, absl::InfiniteFuture(), "admin").ok());
  admin_seen.WaitForNotification();
  // A worker is free, only not for this caller: its second call waits past the admission wait
  // (a burst of one caller's retries is not overload) and runs once its first call ends.
  absl::Notification second_ran, refused;
  ASSERT_TRUE(pool.Submit([&] { second_ran.Notify(); }, [&](absl::Status) { refused.Notify(); },
                          absl::InfiniteFuture(), "writer")
                  .ok());
  EXPECT_FALSE(second_ran.WaitForNotificationWithTimeout(absl::Milliseconds(100)))
      << "ran past its caller's share";
  release.Notify();
  EXPECT_TRUE(second_ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_FALSE(refused.HasBeenNotified());
}

TEST(CommitGate, ClosingWaitsForTheCommitsInsideAndRefusesLaterOnes) {
  CommitGate gate;
  ASSERT_TRUE(gate.Enter());
  std::atomic<bool> closed{false};
  std::thread closer([&] {
    gate.Close();
    closed = true;
  });
  // Close() has shut the gate (and now waits for the commit inside): from here it must not
  // return before Leave().
  for (int i = 0; i < 1000 && !gate.closed(); ++i) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_TRUE(gate.closed());
  EXPECT_FALSE(gate.Enter()) << "no commit gets in while the gate is closing";
  EXPECT_FALSE(closed.load()) << "Close() returned while a commit was inside";
  gate.Leave();
  closer.join();
  EXPECT_TRUE(closed.load());
  EXPECT_FALSE(gate.Enter()) << "no commit gets in after the gate closed";
}

}  // namespace
}  // namespace imp
