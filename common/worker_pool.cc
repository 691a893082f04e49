#include "common/worker_pool.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/api/errors.h"

namespace imp {
namespace {

// The retry delay of a refusal: kRetryPerRefusedCall for each call refused per call started
// recently, within [kMinRetry, kMaxRetry]. Refusing as many calls as it starts, the pool asks
// for a second: a caller fleet twice the pool's capacity then settles where about one call in
// three is refused, instead of two in three with a fixed 100 ms (measured in the overload
// fault test), and the CPU the refusals cost goes back to the calls being served.
constexpr absl::Duration kMinRetry = absl::Milliseconds(100);
constexpr absl::Duration kMaxRetry = absl::Seconds(2);
constexpr absl::Duration kRetryPerRefusedCall = absl::Seconds(1);
constexpr absl::Duration kWindow = absl::Seconds(1);

}  // namespace

WorkerPool::WorkerPool(size_t threads, AdmissionOptions admission)
    : threads_count_(threads), admission_(admission), window_start_(absl::Now()) {
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
    wait = std::min(wait, std::max(admission_.min_queue_wait,
                                   unloaded_run_ * admission_.max_wait_in_run_times));
  }
  return wait;
}

void WorkerPool::RollWindowLocked(absl::Time now) {
  if (now - window_start_ < kWindow) return;
  const bool adjacent = now - window_start_ < 2 * kWindow;
  refused_before_ = adjacent ? refused_now_ : 0;
  started_before_ = adjacent ? started_now_ : 0;
  refused_now_ = started_now_ = 0;
  window_start_ = now;
}

absl::Duration WorkerPool::RetryDelayLocked() {
  RollWindowLocked(absl::Now());
  const double refused = static_cast<double>(refused_now_ + refused_before_);
  const double started = static_cast<double>(std::max<uint64_t>(1, started_now_ + started_before_));
  return std::clamp(kRetryPerRefusedCall * (refused / started), kMinRetry, kMaxRetry);
}

// RESOURCE_EXHAUSTED with reason OVERLOADED and a retry delay: nothing has run.
absl::Status WorkerPool::RefuseLocked(absl::string_view why) {
  ++refused_now_;
  return api::WithRetryDelay(
      api::WithReason(absl::ResourceExhaustedError(
                          absl::StrCat("server overloaded: ", why, "; retry with backoff")),
                      api::kReasonOverloaded),
      RetryDelayLocked());
}

absl::Status WorkerPool::Submit(Task task, Rejection rejected, absl::Time deadline) {
  return Queue(std::move(task), std::move(rejected), deadline, /*sampled=*/true);
}

absl::Status WorkerPool::SubmitLongRunning(Task task, Rejection rejected) {
  return Queue(std::move(task), std::move(rejected), absl::InfiniteFuture(), /*sampled=*/false);
}

absl::Status WorkerPool::Queue(Task task, Rejection rejected, absl::Time deadline, bool sampled) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("server is shutting down");
  if (queue_.size() >= admission_.max_queued) {
    return RefuseLocked(absl::StrCat(queue_.size(), " requests already queued"));
  }
  // The expected wait: the queue ahead, shared by the workers, at the average run time.
  const absl::Duration expected =
      average_run_ * static_cast<double>(queue_.size() + 1) / static_cast<double>(threads_count_);
  if (rejected != nullptr && deadline != absl::InfiniteFuture() && now + expected > deadline) {
    return RefuseLocked(absl::StrCat("the call's deadline is nearer than the expected wait of ",
                                     absl::FormatDuration(expected)));
  }
  const absl::Time expiry =
      rejected == nullptr ? absl::InfiniteFuture() : now + AdmissionWaitLocked();
  const bool new_front = queue_.empty();
  queue_.push_back(Entry{std::move(task), std::move(rejected), expiry, sampled});
  // Signalled under mu_: the woken thread runs once this Submit unlocks.
  if (idle_workers_ > 0) work_.Signal();
  // The watchdog sleeps until the front's expiry, or for ever on an empty queue: a new front
  // must wake it. Later entries expire after the front (the admission wait changes slowly).
  if (new_front) watch_.Signal();
  return absl::OkStatus();
}

absl::Duration WorkerPool::average_run_time() {
  absl::MutexLock lock(&mu_);
  return average_run_;
}

absl::Duration WorkerPool::retry_delay() {
  absl::MutexLock lock(&mu_);
  return RetryDelayLocked();
}

void WorkerPool::Loop() {
  absl::Duration ran;
  bool ran_one = false, ran_unloaded = false, ran_sampled = false;
  for (;;) {
    Entry entry;
    {
      // One critical section per task: the last run is accounted for in the one that takes the
      // next task.
      absl::MutexLock lock(&mu_);
      if (ran_one) {
        --busy_;
        if (ran_sampled) {
          average_run_ = average_run_ * 0.9 + ran * 0.1;
          if (ran_unloaded) unloaded_run_ = unloaded_run_ * 0.9 + ran * 0.1;
        }
      }
      while (queue_.empty() && !stopping_) {
        ++idle_workers_;
        work_.Wait(&mu_);
        --idle_workers_;
      }
      if (queue_.empty()) return;  // stopping, and nothing left to run
      entry = std::move(queue_.front());
      queue_.pop_front();
      // Unloaded: few workers busy and nothing else waiting. Under overload a worker may find
      // the others idle for a moment, but never the queue empty.
      ran_unloaded = busy_ * 2 < threads_count_ && queue_.empty();
      ran_sampled = entry.sampled;
      ++busy_;
      RollWindowLocked(absl::Now());
      ++started_now_;
    }
    const absl::Time start = absl::Now();
    std::move(entry.task)();
    ran = absl::Now() - start;
    ran_one = true;
  }
}

// Refuses the tasks whose admission wait is over. Entries are queued in expiry order for a
// given admission wait; the wait adapts slowly, so checking from the front is enough to refuse
// each expired task within a few milliseconds of its expiry.
void WorkerPool::Watchdog() {
  for (;;) {
    std::vector<Rejection> refused;
    std::vector<absl::Status> reasons;
    {
      absl::MutexLock lock(&mu_);
      for (;;) {
        if (stopping_) return;
        const absl::Time now = absl::Now();
        while (!queue_.empty() && queue_.front().expiry <= now && busy_ == threads_count_) {
          refused.push_back(std::move(queue_.front().rejected));
          queue_.pop_front();
          reasons.push_back(RefuseLocked("no worker became free in time"));
        }
        if (!refused.empty()) break;
        if (queue_.empty()) {
          watch_.Wait(&mu_);
        } else if (queue_.front().expiry > now) {
          watch_.WaitWithDeadline(&mu_, queue_.front().expiry);
        } else {
          // Expired, but a worker is idle and about to take it: look again shortly.
          watch_.WaitWithTimeout(&mu_, absl::Milliseconds(1));
        }
      }
    }
    for (size_t i = 0; i < refused.size(); ++i) std::move(refused[i])(std::move(reasons[i]));
  }
}

}  // namespace imp
