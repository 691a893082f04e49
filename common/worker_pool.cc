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
  }
  for (auto& t : threads_) t.join();
  watchdog_.join();
}

absl::Duration WorkerPool::AdmissionWaitLocked() const {
  absl::Duration wait = admission_.max_queue_wait;
  if (admission_.max_wait_in_run_times > 0) {
    wait = std::min(wait, std::max(admission_.min_queue_wait,
                                   average_run_ * admission_.max_wait_in_run_times));
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
  if (queue_.empty()) ++front_changes_;  // wakes the watchdog for the new front's expiry
  queue_.push_back(Entry{std::move(task), std::move(rejected), expiry});
  return absl::OkStatus();
}

absl::Duration WorkerPool::average_run_time() {
  absl::MutexLock lock(&mu_);
  return average_run_;
}

void WorkerPool::Loop() {
  for (;;) {
    Entry entry;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](WorkerPool* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping, and nothing left to run
      entry = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
    }
    const absl::Time start = absl::Now();
    std::move(entry.task)();
    const absl::Duration ran = absl::Now() - start;
    absl::MutexLock lock(&mu_);
    --busy_;
    average_run_ = average_run_ * 0.9 + ran * 0.1;
  }
}

// Refuses the tasks whose admission wait is over. Entries are queued in expiry order for a
// given admission wait; the wait adapts slowly, so checking from the front is enough to refuse
// each expired task within a few milliseconds of its expiry.
void WorkerPool::Watchdog() {
  for (;;) {
    std::vector<Rejection> refused;
    {
      absl::MutexLock lock(&mu_);
      const uint64_t seen = front_changes_;
      auto due = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || front_changes_ != seen ||
               (!queue_.empty() && queue_.front().expiry <= absl::Now() &&
                busy_ == threads_count_);
      };
      // Sleep until the front's expiry; past it (a worker is idle but not yet running), until
      // the workers' state changes, which re-evaluates `due`.
      const absl::Time now = absl::Now();
      const absl::Time wake = queue_.empty() || queue_.front().expiry <= now
                                  ? absl::InfiniteFuture()
                                  : queue_.front().expiry;
      mu_.AwaitWithDeadline(absl::Condition(&due), wake);
      if (stopping_) return;
      const absl::Time expired_by = absl::Now();
      while (!queue_.empty() && queue_.front().expiry <= expired_by && busy_ == threads_count_) {
        refused.push_back(std::move(queue_.front().rejected));
        queue_.pop_front();
      }
    }
    for (auto& reject : refused) {
      std::move(reject)(Overloaded("no worker became free in time"));
    }
  }
}

}  // namespace imp
