// The worker pool's admission after a stall and under bursts (issue #19, findings 1 and 3): logic
// only, no network or database. The tasks' run times stand in for calls that waited on a stalled
// database; they are the behaviour under test, not synchronisation.
#include <atomic>
#include <functional>
#include <memory>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/worker_pool.h"
#include "gtest/gtest.h"

namespace imp {
namespace {

// Polls `condition` until it holds or `limit` passes.
bool WaitFor(const std::function<bool()>& condition, absl::Duration limit) {
  const absl::Time give_up = absl::Now() + limit;
  while (!condition()) {
    if (absl::Now() >= give_up) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

// Occupies a worker until the returned notification is notified (shared with the task, which
// may still be waking when the test ends).
std::shared_ptr<absl::Notification> HoldAWorker(WorkerPool& pool) {
  auto release = std::make_shared<absl::Notification>();
  absl::Notification started;
  EXPECT_TRUE(pool.Submit([release, &started] {
                    started.Notify();
                    release->WaitForNotification();
                  })
                  .ok());
  started.WaitForNotification();
  return release;
}

// Fills every worker with a task that runs `run`, and waits for them all to finish.
void RunLongTasksOnEveryWorker(WorkerPool& pool, int workers, absl::Duration run) {
  std::atomic<int> done{0};
  for (int i = 0; i < workers; ++i) {
    ASSERT_TRUE(pool.Submit([&] {
                      absl::SleepFor(run);
                      ++done;
                    })
                    .ok());
  }
  ASSERT_TRUE(WaitFor([&] { return done.load() == workers; }, run * 4 + absl::Seconds(5)));
}

TEST(WorkerPoolAdmission, AfterEveryWorkerWaitedOutAStallAShortDeadlineCallIsAdmitted) {
  WorkerPool pool(2, AdmissionOptions{});
  RunLongTasksOnEveryWorker(pool, 2, absl::Seconds(1));
  // The average run time now speaks of the stall, but both workers are free: the call waits for
  // nothing, whatever the average says.
  ASSERT_GT(pool.average_run_time(), absl::Milliseconds(50));
  absl::Notification ran;
  absl::Status s =
      pool.Submit([&] { ran.Notify(); }, [](absl::Status) {}, absl::Now() + absl::Milliseconds(50));
  EXPECT_TRUE(s.ok()) << s;
  if (s.ok()) EXPECT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(5)));
}

TEST(WorkerPoolAdmission, TheRunTimeEstimateFadesWhileNoTaskFinishes) {
  WorkerPool pool(1, AdmissionOptions{});
  RunLongTasksOnEveryWorker(pool, 1, absl::Milliseconds(500));
  const absl::Duration inflated = pool.average_run_time();
  ASSERT_GT(inflated, absl::Milliseconds(20));
  // Halved each second with nothing finishing: a quarter of it within a few seconds.
  EXPECT_TRUE(WaitFor([&] { return pool.average_run_time() < inflated / 4; }, absl::Seconds(4)))
      << "still " << pool.average_run_time() << " (was " << inflated << ")";
}

TEST(WorkerPoolAdmission, ForgettingRunTimesAfterAnOutageRestoresTheUnloadedEstimate) {
  WorkerPool pool(1, AdmissionOptions{});
  RunLongTasksOnEveryWorker(pool, 1, absl::Milliseconds(500));
  ASSERT_GT(pool.average_run_time(), absl::Milliseconds(20));
  pool.ForgetRunTimes();
  EXPECT_LE(pool.average_run_time(), absl::Milliseconds(1));
}

TEST(WorkerPoolAdmission, AQueueThatEmptiesNowAndThenWaitsPastTheOverloadBound) {
  AdmissionOptions admission;
  admission.max_queue_wait = absl::Milliseconds(5);
  admission.min_queue_wait = absl::Milliseconds(5);
  admission.burst_queue_wait = absl::Seconds(2);
  admission.standing_queue_interval = absl::Seconds(2);
  WorkerPool pool(1, admission);
  std::shared_ptr<absl::Notification> release = HoldAWorker(pool);
  absl::Notification ran, refused;
  ASSERT_TRUE(pool.Submit([&] { ran.Notify(); }, [&](absl::Status) { refused.Notify(); }).ok());
  // Well past the overload bound (5 ms) but within the burst's: still queued.
  EXPECT_FALSE(refused.WaitForNotificationWithTimeout(absl::Milliseconds(200)))
      << "a queued call was refused after the overload bound although the queue is not standing";
  release->Notify();
  EXPECT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(5)));
}

TEST(WorkerPoolAdmission, UnderAStandingQueueACallThatWouldWaitTooLongIsRefusedAtOnce) {
  AdmissionOptions admission;
  admission.max_queue_wait = absl::Milliseconds(5);
  admission.min_queue_wait = absl::Milliseconds(5);
  admission.standing_queue_interval = absl::Milliseconds(20);
  WorkerPool pool(1, admission);
  std::shared_ptr<absl::Notification> release = HoldAWorker(pool);
  // Tasks that may wait as long as they take keep the queue from emptying, ten run times long.
  std::atomic<int> patient_ran{0};
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(pool.Submit([&] { ++patient_ran; }).ok());
  // Once the queue has stood for its interval, a call that would wait behind it is refused on
  // the spot, not after queueing.
  bool refused_at_once = false;
  ASSERT_TRUE(WaitFor(
      [&] {
        const absl::Time asked = absl::Now();
        absl::Status s = pool.Submit([] {}, [](absl::Status) {});
        refused_at_once = s.code() == absl::StatusCode::kResourceExhausted &&
                          absl::Now() - asked < absl::Milliseconds(5);
        return !s.ok();
      },
      absl::Seconds(2)));
  EXPECT_TRUE(refused_at_once);
  release->Notify();
  EXPECT_TRUE(WaitFor([&] { return patient_ran.load() == 10; }, absl::Seconds(5)));
}

TEST(WorkerPoolAdmission, HealthSaysNotServingWhileEveryCallIsRefusedAndRecovers) {
  AdmissionOptions admission;
  admission.max_queue_wait = absl::Milliseconds(5);
  admission.min_queue_wait = absl::Milliseconds(5);
  admission.burst_queue_wait = absl::Milliseconds(5);
  WorkerPool pool(1, admission);
  EXPECT_TRUE(pool.AdmissionHealth(absl::Milliseconds(50)).ok());
  std::shared_ptr<absl::Notification> release = HoldAWorker(pool);
  // Busy but refusing nothing: healthy.
  EXPECT_TRUE(pool.AdmissionHealth(absl::Milliseconds(0)).ok());
  absl::Notification refused;
  ASSERT_TRUE(pool.Submit([] {}, [&](absl::Status) { refused.Notify(); }).ok());
  ASSERT_TRUE(refused.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_TRUE(WaitFor([&] { return !pool.AdmissionHealth(absl::Milliseconds(50)).ok(); },
                      absl::Seconds(2)));
  release->Notify();
  absl::Notification ran;
  ASSERT_TRUE(pool.Submit([&] { ran.Notify(); }).ok());
  ASSERT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_TRUE(pool.AdmissionHealth(absl::Milliseconds(50)).ok())
      << pool.AdmissionHealth(absl::Milliseconds(50));
}

}  // namespace
}  // namespace imp
