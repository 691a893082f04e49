#ifndef IMP_COMMON_WORKER_POOL_H_
#define IMP_COMMON_WORKER_POOL_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/server/commit_gate.h"

namespace imp {

// How a WorkerPool admits work (admission control: shed load early and cheaply instead of
// queueing calls until their callers give up).
struct AdmissionOptions {
  // Tasks waiting at most; more are refused at once.
  size_t max_queued = 64;
  // A queued task that has not started after this long is refused (its rejection runs).
  absl::Duration max_queue_wait = absl::Milliseconds(40);
  // ... or, sooner, after this many average task run times, so that answered calls wait a few
  // run times at most when the pool is saturated (never less than min_queue_wait).
  double max_wait_in_run_times = 4.0;
  absl::Duration min_queue_wait = absl::Milliseconds(5);
};

// A fixed set of threads for blocking work (database calls), so that gRPC callback threads never
// block, with admission control:
//  - the queue is bounded: when it is full, Submit refuses at once (RESOURCE_EXHAUSTED);
//  - a task whose deadline cannot be met, given the queue ahead of it and the average run time,
//    is refused at once;
//  - a task still queued after its admission wait is refused by a watchdog thread without
//    waiting for a worker, so every refusal is quick;
//  - the run times measured feed the next admission decisions.
class WorkerPool {
 public:
  using Task = absl::AnyInvocable<void() &&>;
  // Runs instead of the task when it is refused after being queued, with the reason.
  using Rejection = absl::AnyInvocable<void(absl::Status) &&>;

  WorkerPool(size_t threads, AdmissionOptions admission);
  WorkerPool(size_t threads, size_t max_queued);  // unbounded queue wait
  ~WorkerPool();  // Runs what is queued, then joins.

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`. When `rejected` is given, the task may later be refused instead of run
  // (queued too long); then `rejected` runs once, on the watchdog thread: it must not block.
  absl::Status Submit(Task task, Rejection rejected = nullptr,
                      absl::Time deadline = absl::InfiniteFuture());

  // The gate every COMMIT of work run here passes; the server closes it when draining.
  CommitGate* commit_gate() { return &commit_gate_; }

  // The average run time of recent tasks (for tests and logs).
  absl::Duration average_run_time();

 private:
  struct Entry {
    Task task;
    Rejection rejected;
    absl::Time expiry;  // InfiniteFuture when it may wait as long as it takes
  };

  void Loop();
  void Watchdog();
  absl::Duration AdmissionWaitLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t threads_count_;
  const AdmissionOptions admission_;
  CommitGate commit_gate_;
  absl::Mutex mu_;
  std::deque<Entry> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Workers running a task. A queued task is refused for waiting too long only while every
  // worker is busy: when one is idle, the wait is the scheduler's (a loaded machine), not the
  // pool's, and the task will start as soon as that worker runs.
  size_t busy_ ABSL_GUARDED_BY(mu_) = 0;
  // Counts pushes into an empty queue: the watchdog sleeps until the front's expiry and must
  // wake when a new front arrives.
  uint64_t front_changes_ ABSL_GUARDED_BY(mu_) = 0;
  // Exponentially weighted average of task run times.
  absl::Duration average_run_ ABSL_GUARDED_BY(mu_) = absl::Milliseconds(1);
  std::vector<std::thread> threads_;
  std::thread watchdog_;
};

}  // namespace imp

#endif  // IMP_COMMON_WORKER_POOL_H_
