#ifndef IMP_COMMON_COMMIT_GATE_H_
#define IMP_COMMON_COMMIT_GATE_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace imp {

// What makes "the outcome a client is told is the outcome stored" hold during a drain.
//
// Every COMMIT of a request passes this gate. When a server drains, it closes the gate shortly
// before gRPC cancels the calls still running: Close() waits for the commits already inside to
// finish (they are fast: one COMMIT round trip), and refuses every later one. So each call ends
// in one of two ways: it committed before the gate closed and its answer goes out in the grace
// left before the cancel, or it never commits and is rolled back, whatever it is told.
// Without the gate a worker could commit after gRPC had already answered UNAVAILABLE.
//
// Thread-safe. Enter()/Leave() are a shared hold; Close() is exclusive and one-way.
class CommitGate {
 public:
  // True when the caller may commit now; it must call Leave() afterwards. False once closing.
  bool Enter() {
    absl::MutexLock lock(&mu_);
    if (closed_) return false;
    ++inside_;
    return true;
  }

  void Leave() {
    absl::MutexLock lock(&mu_);
    --inside_;
  }

  // Refuses commits from now on and waits until the ones inside have left.
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    auto empty = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return inside_ == 0; };
    mu_.Await(absl::Condition(&empty));
  }

  bool closed() {
    absl::MutexLock lock(&mu_);
    return closed_;
  }

 private:
  absl::Mutex mu_;
  int inside_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace imp

#endif  // IMP_COMMON_COMMIT_GATE_H_
