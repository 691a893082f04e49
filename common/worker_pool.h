#ifndef IMP_COMMON_WORKER_POOL_H_
#define IMP_COMMON_WORKER_POOL_H_

#include <cstddef>
#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace imp {

// A fixed set of threads for blocking work (database calls), so that gRPC callback threads never
// block. The queue is bounded: when it is full, Submit refuses with RESOURCE_EXHAUSTED instead
// of letting latency grow without limit.
class WorkerPool {
 public:
  WorkerPool(size_t threads, size_t max_queued);
  ~WorkerPool();  // Runs what is queued, then joins.

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  absl::Status Submit(absl::AnyInvocable<void() &&> task);

 private:
  void Loop();

  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace imp

#endif  // IMP_COMMON_WORKER_POOL_H_
