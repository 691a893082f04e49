#ifndef IMP_COMMON_WORKER_POOL_H_
#define IMP_COMMON_WORKER_POOL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"
#include "common/commit_gate.h"

namespace imp {

// How a WorkerPool admits work (admission control: shed load early and cheaply instead of
// queueing calls until their callers give up).
struct AdmissionOptions {
  // Tasks waiting at most; more are refused at once.
  size_t max_queued = 64;
  // While a standing queue persists (see standing_queue_interval), a queued task that has not
  // started after this long is refused (its rejection runs).
  absl::Duration max_queue_wait = absl::Milliseconds(20);
  // A queue that empties now and then is a burst, not overload (eight writers with one call in
  // flight each, on eight workers that also serve the writes' lookups): its tasks may wait up to
  // burst_queue_wait. Only a queue that has not been empty for standing_queue_interval is
  // overload, shed at the bounds above and below (CoDel's rule: a standing queue, not a long one,
  // is what admission control must remove; at 20 ms eight writers saw 19 % of writes refused),
  // and so is any load the pool had to refuse in the last two seconds.
  absl::Duration burst_queue_wait = absl::Milliseconds(40);
  absl::Duration standing_queue_interval = absl::Milliseconds(100);
  // ... or, sooner, after this many run times of a task on an unloaded pool, so that answered
  // calls wait a few run times at most when the pool is saturated (never less than
  // min_queue_wait). The unloaded run time is the yardstick, not the current one: under
  // saturation run times stretch, and a bound that stretched with them would let the queue grow
  // with the very contention it is meant to shed.
  double max_wait_in_run_times = 3.0;
  absl::Duration min_queue_wait = absl::Milliseconds(3);
  // Fairness between callers (the actor a task is submitted for): an expensive caller (its
  // finished tasks' average run time at least `expensive_run`) runs on at most
  // max(1, threads - 1) workers at once and holds at most half the queue, so one caller's
  // expensive calls (three loops of one-second statistics) cannot refuse everyone else's: the
  // last worker is kept for the others. Callers of ordinary calls use every worker. A task held
  // back by its caller's share waits for one of its caller's own tasks to end instead of being
  // refused (that is not overload). Callers not seen for `fairness_window` are forgotten; zero
  // turns fairness off.
  absl::Duration fairness_window = absl::Seconds(1);
  absl::Duration expensive_run = absl::Milliseconds(100);
};

// A fixed set of threads for blocking work (database calls), so that gRPC callback threads never
// block, with admission control:
//  - the queue is bounded: when it is full, Submit refuses at once (RESOURCE_EXHAUSTED);
//  - a task whose deadline cannot be met, given the queue ahead of it and the average run time,
//    is refused at once;
//  - a task still queued after its admission wait is refused by a watchdog thread without
//    waiting for a worker, so every refusal is quick;
//  - every refusal carries a retry delay (google.rpc.RetryInfo) that grows with how much is
//    being refused compared with what is being served, so that well-behaved callers back off
//    in proportion to the overload instead of spending the machine on refusals.
class WorkerPool {
 public:
  using Task = absl::AnyInvocable<void() &&>;
  // Runs instead of the task when it is refused after being queued, with the reason.
  using Rejection = absl::AnyInvocable<void(absl::Status) &&>;

  WorkerPool(size_t threads, AdmissionOptions admission);
  WorkerPool(size_t threads, size_t max_queued);  // unbounded queue wait
  ~WorkerPool();                                  // Runs what is queued, then joins.

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`. When `rejected` is given, the task may later be refused instead of run
  // (queued too long); then `rejected` runs once, on the watchdog thread: it must not block.
  // `caller` names whom the task serves, for fairness (empty: nobody in particular, never held
  // back).
  absl::Status Submit(Task task, Rejection rejected = nullptr,
                      absl::Time deadline = absl::InfiniteFuture(), absl::string_view caller = {});
  // The same for a task that lasts as long as its client keeps sending (an import stream:
  // seconds to minutes). Its run time says nothing about how long the next call will take, so
  // it is left out of the run-time averages: one 80-second import counted at weight 0.1 made
  // the expected wait of every call 8 s per queued task, and the pool refused calls with
  // ordinary deadlines ("deadline nearer than the expected wait of 35 s") for dozens of tasks
  // after it.
  absl::Status SubmitLongRunning(Task task, Rejection rejected, absl::string_view caller = {});

  // The gate every COMMIT of work run here passes; the server closes it when draining.
  CommitGate* commit_gate() { return &commit_gate_; }

  // The average run time of recent tasks, as the expected wait uses it now: it fades with
  // time when no task finishes (for tests and logs).
  absl::Duration average_run_time();
  // Forgets what recent tasks took: the server calls it when its database is back after being
  // unreachable, so that calls which waited out the outage do not make the pool expect every
  // call to wait as long.
  void ForgetRunTimes();
  // Not OK, with the reason, while the pool refuses every call: every worker busy, none started
  // for `stuck_after`, and calls refused meanwhile, the last within a second. Health reports it
  // (NOT_SERVING).
  absl::Status AdmissionHealth(absl::Duration stuck_after = absl::Seconds(2));
  // What the pool holds now (the admin port's gauges).
  struct Load {
    size_t threads = 0;
    size_t busy = 0;
    size_t queued = 0;
    absl::Duration expected_wait;  // of a task submitted now (zero while a worker is free)
  };
  Load load();
  // The retry delay a refusal made now would carry.
  absl::Duration retry_delay();

 private:
  struct Entry {
    Task task;
    Rejection rejected;  // null: it may wait as long as it takes
    absl::Time queued_at;
    bool sampled = true;  // its run time feeds average_run_ and unloaded_run_
    std::string caller;
  };
  // What one caller has in the pool.
  struct CallerLoad {
    int running = 0;
    int queued = 0;
    absl::Time last_seen;
    absl::Duration average_run;  // of its finished tasks (exponentially weighted)
  };
  bool ExpensiveLocked(const CallerLoad& load) const {
    return load.average_run >= admission_.expensive_run;
  }
  absl::Status Queue(Task task, Rejection rejected, absl::Time deadline, bool sampled,
                     absl::string_view caller);
  // Whether a worker may take `entry` now: one is idle and the caller is under its share.
  bool CanStartLocked(const Entry& entry, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether `entry`'s caller is at its share of the workers (fairness), whatever is free.
  bool HeldBackLocked(const Entry& entry) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ForgetIdleCallersLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  void Loop();
  void Watchdog();
  absl::Duration AdmissionWaitLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Overload: the queue has not been empty for standing_queue_interval, or a call was refused
  // in the last two seconds.
  bool OverloadedLocked(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // When a queued entry is refused, as things stand now.
  absl::Time ExpiryLocked(const Entry& entry, absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // How long a task submitted now waits for a worker: none while one is free for it.
  absl::Duration ExpectedWaitLocked(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // average_run_, faded by the time since a task last finished.
  absl::Duration FadedAverageLocked(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Why a call was refused (imp_admission_refusals_total's reason label).
  enum class RefusalReason { kQueueFull, kCallerShare, kDeadline, kStandingQueue, kQueueWait };
  absl::Status RefuseLocked(RefusalReason reason, absl::string_view why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Duration RetryDelayLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RollWindowLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t threads_count_;
  const AdmissionOptions admission_;
  CommitGate commit_gate_;
  absl::Mutex mu_;
  // Workers wait on work_, the watchdog on watch_. Condition variables rather than
  // Mutex::Await: with Await every unlock re-evaluates every waiter's condition, which on a
  // busy pool is a scan of all workers per task.
  absl::CondVar work_;
  absl::CondVar watch_;
  std::deque<Entry> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, CallerLoad> callers_ ABSL_GUARDED_BY(mu_);
  // When the watchdog will look next on its own.
  absl::Time watch_until_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  size_t idle_workers_ ABSL_GUARDED_BY(mu_) = 0;
  // Workers running a task. A queued task is refused for waiting too long only while every
  // worker is busy: when one is idle, the wait is the scheduler's (a loaded machine), not the
  // pool's, and the task will start as soon as that worker runs.
  size_t busy_ ABSL_GUARDED_BY(mu_) = 0;
  // Exponentially weighted average of task run times (predicts waits for deadlines), as of
  // last_finish_: it fades with time since (FadedAverageLocked), so that an estimate made of
  // calls that waited out a database stall cannot outlive the stall when nothing runs.
  absl::Duration average_run_ ABSL_GUARDED_BY(mu_) = absl::Milliseconds(1);
  absl::Time last_finish_ ABSL_GUARDED_BY(mu_);
  // Since when the queue has held a task (InfiniteFuture while it is empty).
  absl::Time queue_busy_since_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  // When a task last started, and calls refused since (AdmissionHealth).
  absl::Time last_start_ ABSL_GUARDED_BY(mu_);
  uint64_t refused_since_start_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_refusal_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // The same, over tasks that started with at most half the workers busy and an empty queue:
  // the run time of an unloaded pool, the yardstick of the admission wait.
  absl::Duration unloaded_run_ ABSL_GUARDED_BY(mu_) = absl::Milliseconds(1);
  // Refused and started tasks in the current and the previous one-second window: their ratio
  // sets the retry delay.
  absl::Time window_start_ ABSL_GUARDED_BY(mu_);
  uint64_t refused_now_ ABSL_GUARDED_BY(mu_) = 0, started_now_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t refused_before_ ABSL_GUARDED_BY(mu_) = 0, started_before_ ABSL_GUARDED_BY(mu_) = 0;
  // imp_admission_refusals_total by reason (process-wide counters, looked up once).
  std::array<metrics::Counter*, 5> refusals_;
  std::vector<std::thread> threads_;
  std::thread watchdog_;
};

}  // namespace imp

#endif  // IMP_COMMON_WORKER_POOL_H_
