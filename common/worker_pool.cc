#include "common/worker_pool.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/api/errors.h"

namespace imp {
namespace {

// RESOURCE_EXHAUSTED with reason OVERLOADED and a retry delay: nothing has run.
absl::Status Overloaded(absl::string_view why) {
  return api::WithRetryDelay(
      api::WithReason(absl::ResourceExhaustedError(
                          absl::StrCat("server overloaded: ", why, "; retry with backoff")),
                      api::kReasonOverloaded),
      absl::Milliseconds(100));
}

}  // namespace

WorkerPool::WorkerPool(size_t threads, AdmissionOptions admission)
    : threads_count_(threads), admission_(admission) {
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
  watchdog_ = std::thread([this] { Watchdog(); });
}

WorkerPool::WorkerPool(size_t threads, size_t max_queued)
    : WorkerPool(threads, AdmissionOptions{max_queued, absl::InfiniteDuration(), 0.0,
                                           absl::InfiniteDuration()}) {}

WorkerPool::~WorkerPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    work_.SignalAll();
    watch_.Signal();
  }
  for (auto& t : threads_) t.join();
  watchdog_.join();
}

absl::Duration WorkerPool::AdmissionWaitLocked() const {
  absl::Duration wait = admission_.max_queue_wait;
  if (admission_.max_wait_in_run_times > 0) {
    wait = std::min(
        wait, std::max(admission_.min_queue_wait, average_run_ * admission_.max_wait_in_run_times));
  }
  return wait;
}

absl::Status WorkerPool::Submit(Task task, Rejection rejected, absl::Time deadline) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("server is shutting down");
  if (queue_.size() >= admission_.max_queued) {
    return Overloaded(absl::StrCat(queue_.size(), " requests already queued"));
  }
  // The expected wait: the queue ahead, shared by the workers, at the average run time.
  const absl::Duration expected =
      average_run_ * static_cast<double>(queue_.size() + 1) / static_cast<double>(threads_count_);
  if (rejected != nullptr && deadline != absl::InfiniteFuture() && now + expected > deadline) {
    return Overloaded(absl::StrCat("the call's deadline is nearer than the expected wait of ",
                                   absl::FormatDuration(expected)));
  }
  const absl::Time expiry =
      rejected == nullptr ? absl::InfiniteFuture() : now + AdmissionWaitLocked();
  queue_.push_back(Entry{std::move(task), std::move(rejected), expiry});
  // Signalled under mu_: the woken thread runs once this Submit unlocks, and absl::CondVar
  // queues it on the mutex instead of letting it contend.
  if (idle_workers_ > 0) work_.Signal();
  // More tasks than idle workers: this one may wait, so the watchdog must watch the queue.
  // While it is armed it already wakes at the front's expiry, which is earlier than this one's.
  if (queue_.size() > idle_workers_ && !watchdog_armed_) watch_.Signal();
  return absl::OkStatus();
}

absl::Duration WorkerPool::average_run_time() {
  absl::MutexLock lock(&mu_);
  return average_run_;
}

void WorkerPool::Loop() {
  absl::Duration ran = absl::ZeroDuration();
  bool ran_one = false;
  for (;;) {
    Entry entry;
    {
      // One critical section per task: the last run time is accounted for in the same one that
      // takes the next task.
      absl::MutexLock lock(&mu_);
      if (ran_one) average_run_ = average_run_ * 0.9 + ran * 0.1;
      while (queue_.empty() && !stopping_) {
        ++idle_workers_;
        work_.Wait(&mu_);
        --idle_workers_;
      }
      if (queue_.empty()) return;  // stopping, and nothing left to run
      entry = std::move(queue_.front());
      queue_.pop_front();
    }
    const absl::Time start = absl::Now();
    std::move(entry.task)();
    ran = absl::Now() - start;
    ran_one = true;
  }
}

// Refuses the tasks whose admission wait is over. Entries are queued in expiry order for a
// given admission wait; the wait adapts slowly, so checking from the front is enough to refuse
// each expired task within a few milliseconds of its expiry. Unarmed (no deadline) while every
// queued task has an idle worker to take it; Submit signals it when that stops being so.
void WorkerPool::Watchdog() {
  for (;;) {
    std::vector<Rejection> refused;
    {
      absl::MutexLock lock(&mu_);
      while (refused.empty()) {
        if (stopping_) return;
        const absl::Time now = absl::Now();
        while (!queue_.empty() && queue_.front().expiry <= now) {
          refused.push_back(std::move(queue_.front().rejected));
          queue_.pop_front();
        }
        if (!refused.empty()) break;
        watchdog_armed_ = queue_.size() > idle_workers_;
        if (watchdog_armed_) {
          watch_.WaitWithDeadline(&mu_, queue_.front().expiry);
        } else {
          watch_.Wait(&mu_);
        }
      }
      watchdog_armed_ = false;
    }
    for (auto& reject : refused) {
      std::move(reject)(Overloaded("no worker became free in time"));
    }
  }
}

}  // namespace imp
