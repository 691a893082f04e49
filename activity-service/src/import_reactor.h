#ifndef IMP_ACTIVITY_IMPORT_REACTOR_H_
#define IMP_ACTIVITY_IMPORT_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <atomic>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "activity-service/src/activities.h"
#include "common/worker_pool.h"

namespace imp::activity {

// Limits on import calls, from the service's flags.
struct ImportLimits {
  // A stream that sends nothing for this long is ended (DEADLINE_EXCEEDED), nothing applied.
  absl::Duration idle_timeout = absl::Seconds(30);
  // Imports running at once; each holds a worker thread and a database connection for its
  // whole stream, so more are refused (RESOURCE_EXHAUSTED) rather than starve other calls.
  int max_concurrent = 2;
  // For callers that set no deadline.
  absl::Duration default_timeout = absl::Minutes(30);
};

// ImportActivities on the server: one worker thread drives the import and pulls the stream
// message by message (ImportStream), so at most one message is in memory and the client is
// held back by flow control while a message is applied.
//
// Threads: gRPC's callback threads only record what happened (OnReadDone, OnCancel,
// OnSendInitialMetadataDone) and wake the worker; the worker issues every reactor operation and
// Finish(), after which it never touches the reactor again (OnDone deletes it).
//
// The end of the stream: OnReadDone(false) means the client half-closed OR the call died
// (cancelled, deadline, connection lost). To tell them apart the worker sends the response's
// initial metadata: on a live call that the client merely half-closed the send succeeds; on a
// dead one the transport has already closed the stream, so it fails. Only a confirmed
// half-close returns nullptr (end of stream) to the import, and the commit still checks
// cancellation once more (Database::HeldTransaction::Commit).
//
// Messages arrive raw (grpc::ByteBuffer) and are parsed here (common/server/raw_messages.h): a
// message that does not parse is INVALID_ARGUMENT, never taken for the end of the stream.
class ImportReactor final : public grpc::ServerReadReactor<grpc::ByteBuffer>,
                            public ImportStream {
 public:
  ImportReactor(grpc::CallbackServerContext* ctx, Activities* activities, WorkerPool* workers,
                const ImportLimits& limits, std::atomic<int>* running, grpc::ByteBuffer* response);

  absl::StatusOr<const v1::ImportActivitiesRequest*> Next() override;

  void OnReadDone(bool ok) override;
  void OnSendInitialMetadataDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  enum class Event { kNone, kMessage, kEnded, kMetadataSent, kMetadataFailed };

  void Run();  // on the worker
  // Waits for an event other than kNone, until `until` or cancellation. The event, or kNone.
  Event Await(absl::Time until);

  grpc::CallbackServerContext* const ctx_;
  Activities* const activities_;
  WorkerPool* const workers_;
  const ImportLimits limits_;
  std::atomic<int>* const running_;
  grpc::ByteBuffer* const response_;
  grpc::ByteBuffer raw_;                 // written by gRPC between StartRead and OnReadDone
  v1::ImportActivitiesRequest message_;  // raw_, parsed
  int64_t messages_ = 0;
  absl::Time deadline_;

  absl::Mutex mu_;
  Event event_ ABSL_GUARDED_BY(mu_) = Event::kNone;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace imp::activity

#endif  // IMP_ACTIVITY_IMPORT_REACTOR_H_
