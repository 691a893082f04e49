#ifndef IMP_ACTIVITY_IMPORT_STREAMS_H_
#define IMP_ACTIVITY_IMPORT_STREAMS_H_

#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace imp::activity {

// Limits on import streams, from the service's flags. A stream waiting for its client holds no
// thread, but it does hold a database connection and an open transaction, so streams are
// counted and timed.
struct ImportLimits {
  // A stream that delivers no row for this long is ended (DEADLINE_EXCEEDED), nothing applied.
  // Messages without rows do not count: they would keep a stream alive for ever.
  absl::Duration idle_timeout = absl::Seconds(30);
  // After idle_timeout spent waiting for the client, a stream must have delivered at least this
  // many rows per second of that waiting (time the server spends applying rows is not counted),
  // or it is ended: a row every few seconds keeps a transaction open for hours otherwise.
  double min_rows_per_second = 50;
  // Streams open at once in the process, and per caller (x-imp-actor): more are refused with
  // RESOURCE_EXHAUSTED. The process limit stays below the database pool so that unary calls
  // always find a connection.
  int max_concurrent = 4;
  int max_per_caller = 2;
  // The longest a stream may stay open, whatever deadline its caller set (or none).
  absl::Duration max_duration = absl::Minutes(30);
};

// A stream the supervisor watches (ImportReactor).
class SupervisedStream {
 public:
  virtual ~SupervisedStream() = default;
  // Whether the stream must end now: called with the supervisor's lock held, so it only looks
  // and marks (non-blocking). When it returns true the stream is the supervisor's to end: it
  // will not be deleted before End.
  virtual bool ClaimIfOver(absl::Time now) = 0;
  // Ends a claimed stream: rolls back what it applied (a database call) and finishes the call.
  virtual void End() = 0;
};

// The open import streams of one service: admission by process and caller, and a supervisor
// thread that ends streams waiting for their client past a limit, or cancelled while waiting
// (their rollback is a database call, which no gRPC callback thread may make).
class ImportStreams {
 public:
  explicit ImportStreams(const ImportLimits& limits);
  ~ImportStreams();  // joins the supervisor; every stream has ended by then (server shut down)

  ImportStreams(const ImportStreams&) = delete;
  ImportStreams& operator=(const ImportStreams&) = delete;

  const ImportLimits& limits() const { return limits_; }

  // Admits one more stream of `caller`, or RESOURCE_EXHAUSTED (reason OVERLOADED, a retry delay)
  // naming the limit. Every admitted stream is released once.
  absl::Status Admit(const std::string& caller);
  void Release(const std::string& caller);

  void Watch(SupervisedStream* stream);
  void Forget(SupervisedStream* stream);  // before the stream is deleted
  // Looks at the streams now rather than at the next tick (a stream cancelled or refused a
  // worker while waiting). Never call it with a stream's own lock held.
  void Wake();

  int open() {
    absl::MutexLock lock(&mu_);
    return open_;
  }

 private:
  void Supervise();

  const ImportLimits limits_;
  absl::Mutex mu_;
  absl::CondVar wake_;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, int> open_by_caller_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<SupervisedStream*> watched_ ABSL_GUARDED_BY(mu_);
  std::thread supervisor_;
};

}  // namespace imp::activity

#endif  // IMP_ACTIVITY_IMPORT_STREAMS_H_
