#include "common/worker_pool.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_map.h"
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
// How fast the run-time average fades while no task finishes: halved every kFadeHalfLife.
constexpr absl::Duration kFadeHalfLife = absl::Seconds(1);

// Label values of imp_admission_refusals_total, in RefusalReason's order.
constexpr const char* kRefusalReasons[] = {"queue_full", "caller_share", "deadline",
                                           "standing_queue", "queue_wait"};

}  // namespace

WorkerPool::WorkerPool(size_t threads, AdmissionOptions admission)
    : threads_count_(threads),
      admission_(admission),
      last_finish_(absl::Now()),
      last_start_(absl::Now()),
      window_start_(absl::Now()) {
  metrics::Family<metrics::Counter>& refusals = metrics::Registry::Default().AddCounter(
      "imp_admission_refusals_total",
      "Calls the worker pool refused (RESOURCE_EXHAUSTED, nothing run), by reason: queue_full, "
      "caller_share (fairness), deadline (nearer than the expected wait), standing_queue "
      "(overload, refused on arrival), queue_wait (queued past the admission wait).",
      {"reason"});
  for (size_t i = 0; i < refusals_.size(); ++i) refusals_[i] = &refusals.With({kRefusalReasons[i]});
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
  watchdog_ = std::thread([this] { Watchdog(); });
}

WorkerPool::WorkerPool(size_t threads, size_t max_queued)
    : WorkerPool(threads, [max_queued] {
        AdmissionOptions unbounded;
        unbounded.max_queued = max_queued;
        unbounded.max_queue_wait = absl::InfiniteDuration();
        unbounded.burst_queue_wait = absl::InfiniteDuration();
        unbounded.max_wait_in_run_times = 0.0;
        unbounded.min_queue_wait = absl::InfiniteDuration();
        return unbounded;
      }()) {}

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

bool WorkerPool::OverloadedLocked(absl::Time now) const {
  // A refusal in the last two seconds: the load that made it is probably still there, coming
  // back after its retry delay in waves that empty the queue between them (seen in the overload
  // test: with the burst's wait between waves, answered p99 was 47 ms against a bound of 24).
  return now - queue_busy_since_ >= admission_.standing_queue_interval ||
         now - last_refusal_ < 2 * kWindow;
}

absl::Time WorkerPool::ExpiryLocked(const Entry& entry, absl::Time now) const {
  if (entry.rejected == nullptr) return absl::InfiniteFuture();  // may wait as long as it takes
  const absl::Duration tight = AdmissionWaitLocked();
  if (OverloadedLocked(now)) return entry.queued_at + tight;
  // A burst: the entry may wait longer, until the queue turns out to be standing.
  return std::min(
      entry.queued_at + std::max(tight, admission_.burst_queue_wait),
      std::max(entry.queued_at + tight, queue_busy_since_ + admission_.standing_queue_interval));
}

absl::Duration WorkerPool::FadedAverageLocked(absl::Time now) const {
  const double halvings = std::max(0.0, absl::FDivDuration(now - last_finish_, kFadeHalfLife));
  return average_run_ * std::exp2(-halvings);
}

absl::Duration WorkerPool::ExpectedWaitLocked(absl::Time now) const {
  const size_t free_workers = threads_count_ - std::min(busy_, threads_count_);
  // Tasks held back by their caller's share are not ahead of anyone else's: they wait for their
  // own caller's tasks, not for a free worker.
  const size_t ahead = static_cast<size_t>(std::count_if(
      queue_.begin(), queue_.end(), [&](const Entry& e) { return !HeldBackLocked(e); }));
  if (ahead < free_workers) return absl::ZeroDuration();
  // Every worker taken: the tasks ahead, shared by the workers, at the average run time.
  return FadedAverageLocked(now) * static_cast<double>(ahead - free_workers + 1) /
         static_cast<double>(threads_count_);
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
absl::Status WorkerPool::RefuseLocked(RefusalReason reason, absl::string_view why) {
  refusals_[static_cast<int>(reason)]->Increment();
  ++refused_now_;
  ++refused_since_start_;
  const absl::Time now = absl::Now();
  // The first refusal in a while turns a burst into overload: the entries queued with a burst's
  // wait now have the overload bound, and the watchdog must look at them again.
  if (now - last_refusal_ >= 2 * kWindow) watch_.Signal();
  last_refusal_ = now;
  return api::WithRetryDelay(
      api::WithReason(absl::ResourceExhaustedError(
                          absl::StrCat("server overloaded: ", why, "; retry with backoff")),
                      api::kReasonOverloaded),
      RetryDelayLocked());
}

absl::Status WorkerPool::Submit(Task task, Rejection rejected, absl::Time deadline,
                                absl::string_view caller) {
  return Queue(std::move(task), std::move(rejected), deadline, /*sampled=*/true, caller);
}

absl::Status WorkerPool::SubmitLongRunning(Task task, Rejection rejected,
                                           absl::string_view caller) {
  return Queue(std::move(task), std::move(rejected), absl::InfiniteFuture(), /*sampled=*/false,
               caller);
}

bool WorkerPool::CanStartLocked(const Entry& entry, absl::Time /*now*/) {
  return busy_ < threads_count_ && !HeldBackLocked(entry);
}

bool WorkerPool::HeldBackLocked(const Entry& entry) const {
  if (entry.caller.empty() || stopping_) return false;
  if (admission_.fairness_window <= absl::ZeroDuration()) return false;  // fairness off
  auto it = callers_.find(entry.caller);
  if (it == callers_.end() || !ExpensiveLocked(it->second)) return false;
  // An expensive caller never takes the last free worker: it is kept for everyone else, who
  // may arrive at any moment (waiting to see them first would refuse their first calls).
  const size_t share = std::max<size_t>(1, threads_count_ - 1);
  return static_cast<size_t>(it->second.running) >= share;
}

void WorkerPool::ForgetIdleCallersLocked(absl::Time now) {
  absl::erase_if(callers_, [&](const auto& entry) {
    const CallerLoad& load = entry.second;
    return load.running == 0 && load.queued == 0 &&
           now - load.last_seen >= admission_.fairness_window;
  });
}

absl::Status WorkerPool::Queue(Task task, Rejection rejected, absl::Time deadline, bool sampled,
                               absl::string_view caller) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("server is shutting down");
  CallerLoad* load = nullptr;
  if (!caller.empty()) {
    load = &callers_[caller];
    load->last_seen = now;
    const int share = static_cast<int>(std::max<size_t>(1, admission_.max_queued / 2));
    if (load->queued >= share && ExpensiveLocked(*load) &&
        admission_.fairness_window > absl::ZeroDuration()) {
      return RefuseLocked(RefusalReason::kCallerShare,
                          absl::StrCat("this caller already has ", load->queued,
                                       " requests queued, its share while others wait"));
    }
  }
  if (queue_.size() >= admission_.max_queued) {
    return RefuseLocked(RefusalReason::kQueueFull,
                        absl::StrCat(queue_.size(), " requests already queued"));
  }
  // Only the wait for a worker is predicted, never the call's own run time: that is the
  // caller's deadline's business, and an average over every method says little about it.
  const absl::Duration expected = ExpectedWaitLocked(now);
  if (rejected != nullptr && deadline != absl::InfiniteFuture() && now + expected > deadline) {
    return RefuseLocked(RefusalReason::kDeadline,
                        absl::StrCat("the call's deadline is nearer than the expected wait of ",
                                     absl::FormatDuration(expected)));
  }
  // Under overload (a standing queue), a call that would wait longer than the admission wait
  // is refused now rather than queued and refused by the watchdog when its wait is over: the
  // same outcome, sooner and without the queue slot.
  if (rejected != nullptr && OverloadedLocked(now) && expected > AdmissionWaitLocked()) {
    return RefuseLocked(
        RefusalReason::kStandingQueue,
        absl::StrCat("calls have queued without a break for ",
                     absl::FormatDuration(now - queue_busy_since_),
                     " and this one would wait about ", absl::FormatDuration(expected)));
  }
  if (queue_.empty()) queue_busy_since_ = now;
  queue_.push_back(Entry{std::move(task), std::move(rejected), now, sampled, std::string(caller)});
  const absl::Time expiry = ExpiryLocked(queue_.back(), now);
  if (load != nullptr) ++load->queued;
  // Signalled under mu_: the woken thread runs once this Submit unlocks. Every idle worker
  // looks: the one woken may find only tasks of a caller over its share.
  if (idle_workers_ > 0) work_.SignalAll();
  // The watchdog sleeps until the earliest expiry it knows: an earlier one must wake it (rare:
  // entries queued later expire later, the admission wait changes slowly).
  if (expiry < watch_until_) watch_.Signal();
  return absl::OkStatus();
}

absl::Duration WorkerPool::average_run_time() {
  absl::MutexLock lock(&mu_);
  return FadedAverageLocked(absl::Now());
}

void WorkerPool::ForgetRunTimes() {
  absl::MutexLock lock(&mu_);
  average_run_ = unloaded_run_ = absl::Milliseconds(1);
  last_finish_ = absl::Now();
}

absl::Status WorkerPool::AdmissionHealth(absl::Duration stuck_after) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  const absl::Duration since_start = now - last_start_;
  // Calls refused a while ago say nothing about now: only a pool still refusing the calls that
  // arrive is reported (slow calls holding every worker, with nobody turned away, are not).
  if (busy_ < threads_count_ || since_start < stuck_after || refused_since_start_ == 0 ||
      now - last_refusal_ >= kWindow) {
    return absl::OkStatus();
  }
  return absl::UnavailableError(absl::StrCat(
      "admission: every worker busy and no call started for ", absl::FormatDuration(since_start),
      "; ", refused_since_start_, " calls refused meanwhile"));
}

WorkerPool::Load WorkerPool::load() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  Load load;
  load.threads = threads_count_;
  load.busy = busy_;
  load.queued = queue_.size();
  load.expected_wait = ExpectedWaitLocked(now);
  return load;
}

absl::Duration WorkerPool::retry_delay() {
  absl::MutexLock lock(&mu_);
  return RetryDelayLocked();
}

void WorkerPool::Loop() {
  absl::Duration ran;
  bool ran_one = false, ran_unloaded = false, ran_sampled = false;
  std::string ran_for;
  for (;;) {
    Entry entry;
    {
      // One critical section per task: the last run is accounted for in the one that takes the
      // next task.
      absl::MutexLock lock(&mu_);
      if (ran_one) {
        --busy_;
        if (ran_sampled) {
          const absl::Time finished = absl::Now();
          average_run_ = FadedAverageLocked(finished) * 0.9 + ran * 0.1;
          last_finish_ = finished;
          if (ran_unloaded) unloaded_run_ = unloaded_run_ * 0.9 + ran * 0.1;
        }
        if (!ran_for.empty()) {
          CallerLoad& load = callers_[ran_for];
          --load.running;
          load.average_run = load.average_run * 0.7 + ran * 0.3;
          // A task held back by its caller's share may start now.
          if (idle_workers_ > 0 && !queue_.empty()) work_.SignalAll();
        }
      }
      std::deque<Entry>::iterator next;
      for (;;) {
        const absl::Time now = absl::Now();
        next = std::find_if(queue_.begin(), queue_.end(),
                            [&](const Entry& e) { return CanStartLocked(e, now); });
        if (next != queue_.end() || (stopping_ && queue_.empty())) break;
        ++idle_workers_;
        if (queue_.empty()) {
          work_.Wait(&mu_);
        } else {
          // Only tasks of callers over their share: they may start when the contention is over.
          work_.WaitWithTimeout(&mu_, admission_.fairness_window);
        }
        --idle_workers_;
      }
      if (next == queue_.end()) return;  // stopping, and nothing left to run
      entry = std::move(*next);
      queue_.erase(next);
      if (queue_.empty()) queue_busy_since_ = absl::InfiniteFuture();
      // Unloaded: few workers busy and nothing else waiting. Under overload a worker may find
      // the others idle for a moment, but never the queue empty.
      ran_unloaded = busy_ * 2 < threads_count_ && queue_.empty();
      ran_sampled = entry.sampled;
      ran_for = entry.caller;
      if (!ran_for.empty()) {
        CallerLoad& load = callers_[ran_for];
        --load.queued;
        ++load.running;
      }
      ++busy_;
      const absl::Time now = absl::Now();
      if (now - window_start_ >= kWindow) ForgetIdleCallersLocked(now);
      RollWindowLocked(now);
      ++started_now_;
      last_start_ = now;
      refused_since_start_ = 0;
    }
    const absl::Time start = absl::Now();
    std::move(entry.task)();
    ran = absl::Now() - start;
    ran_one = true;
  }
}

// Refuses the tasks whose admission wait is over while every worker is busy.
void WorkerPool::Watchdog() {
  for (;;) {
    std::vector<Rejection> refused;
    std::vector<absl::Status> reasons;
    {
      absl::MutexLock lock(&mu_);
      for (;;) {
        if (stopping_) return;
        const absl::Time now = absl::Now();
        absl::Time next_expiry = absl::InfiniteFuture();
        bool startable_expired = false, held_expired = false;
        for (auto it = queue_.begin(); it != queue_.end();) {
          const absl::Time expiry = ExpiryLocked(*it, now);
          if (expiry > now) {
            next_expiry = std::min(next_expiry, expiry);
            ++it;
          } else if (CanStartLocked(*it, now)) {
            startable_expired = true;  // a worker is about to take it
            ++it;
          } else if (busy_ < threads_count_) {
            // Held back by its caller's share while a worker is free: not overload. It waits
            // for one of its caller's own tasks (or its deadline), and is refused only if every
            // worker becomes busy first.
            held_expired = true;
            ++it;
          } else {
            refused.push_back(std::move(it->rejected));
            if (!it->caller.empty()) --callers_[it->caller].queued;
            it = queue_.erase(it);
            reasons.push_back(
                RefuseLocked(RefusalReason::kQueueWait, "no worker became free in time"));
          }
        }
        if (queue_.empty()) queue_busy_since_ = absl::InfiniteFuture();
        if (!refused.empty()) break;
        if (startable_expired) {
          // Expired, but a worker is idle and about to take it: look again shortly.
          watch_until_ = now;
          watch_.WaitWithTimeout(&mu_, absl::Milliseconds(1));
        } else if (held_expired) {
          watch_until_ = std::min(next_expiry, now + absl::Milliseconds(5));
          watch_.WaitWithDeadline(&mu_, watch_until_);
        } else if (next_expiry != absl::InfiniteFuture()) {
          watch_until_ = next_expiry;
          watch_.WaitWithDeadline(&mu_, next_expiry);
        } else {
          watch_until_ = next_expiry;
          watch_.Wait(&mu_);
        }
      }
    }
    for (size_t i = 0; i < refused.size(); ++i) std::move(refused[i])(std::move(reasons[i]));
  }
}

}  // namespace imp
