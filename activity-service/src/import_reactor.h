#ifndef IMP_ACTIVITY_IMPORT_REACTOR_H_
#define IMP_ACTIVITY_IMPORT_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "activity-service/src/activities.h"
#include "activity-service/src/import_streams.h"
#include "common/server/request_context.h"
#include "common/worker_pool.h"

namespace imp::activity {

// ImportActivities on the server, pushed message by message: each message that arrives is
// applied by a task on the worker pool, which then asks for the next one. While the stream waits
// for its client it holds no thread (a client that sends slowly, or not at all, cannot take the
// workers unary calls need); it holds its admission (ImportStreams::Admit), a database
// connection and the import's open transaction, which the supervisor (ImportStreams) ends when
// the stream idles, drips rows too slowly, outlives its duration or is cancelled.
//
// One owner at a time, by state: gRPC callbacks only record what happened and hand work to a
// worker (kWorking) or, while the stream waits (kWaiting), to the supervisor; whoever ends the
// stream calls Finish() last and never touches the reactor again (OnDone deletes it). A message
// is in memory one at a time, and the client is held back by flow control meanwhile.
//
// The end of the stream: OnReadDone(false) means the client half-closed OR the call died
// (cancelled, deadline, connection lost). To tell them apart the reactor sends the response's
// initial metadata: on a live call that the client merely half-closed the send succeeds; on a
// dead one the transport has already closed the stream, so it fails. Only a confirmed
// half-close commits, and the commit still checks cancellation once more
// (Database::HeldTransaction::Commit).
//
// The drain (service_host.h): once the commit gate has closed, an import ends at its next step
// (a message, the end of the stream, or the supervisor's next look while it waits) with
// UNAVAILABLE, after its transaction has been rolled back; a commit already past the gate
// finishes and answers OK.
//
// Messages arrive raw (grpc::ByteBuffer) and are parsed on the worker
// (common/server/raw_messages.h): a message that does not parse is INVALID_ARGUMENT, never taken
// for the end of the stream.
class ImportReactor final : public grpc::ServerReadReactor<grpc::ByteBuffer>,
                            public SupervisedStream {
 public:
  ImportReactor(grpc::CallbackServerContext* ctx, Activities* activities, WorkerPool* workers,
                ImportStreams* streams, grpc::ByteBuffer* response);

  void OnReadDone(bool ok) override;
  void OnSendInitialMetadataDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  bool ClaimIfOver(absl::Time now) override;
  void End() override;

 private:
  enum class State {
    kArming,    // a worker is asking for the next message
    kWaiting,   // a read is pending: the stream waits for its client
    kProbing,   // the stream ended: is it a half-close or a dead call?
    kWorking,   // a worker has the stream (a message, or the end)
    kEndAsked,  // a callback could not hand work to a worker: the supervisor ends it
    kClaimed,   // the supervisor ends it
    kFinished,  // Finish() has been called
  };

  void ReadNext();                      // on a worker, or in the constructor
  void TakeMessage();                   // on a worker
  void TakeEnd(bool half_closed);       // on a worker
  void Hand(WorkerPool::Task step);     // from a callback: to a worker, else to the supervisor
  void EndWith(absl::Status status);    // on a worker or the supervisor: the last touch
  absl::Status WhyOver(absl::Time now)  // OK while the waiting stream may go on
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether the server's drain has closed the commit gate: the import can no longer commit.
  bool Draining() const;
  static absl::Status DrainedStatus();

  grpc::CallbackServerContext* const ctx_;
  WorkerPool* const workers_;
  ImportStreams* const streams_;
  const ImportLimits& limits_;
  grpc::ByteBuffer* const response_;
  RequestContext rc_;
  std::string caller_;
  bool admitted_ = false;
  v1::ImportActivitiesResponse answer_;
  std::unique_ptr<ImportSession> session_;  // the owner of the moment uses it
  grpc::ByteBuffer raw_;                    // written by gRPC between StartRead and OnReadDone
  v1::ImportActivitiesRequest message_;     // raw_, parsed
  int64_t messages_ = 0;

  absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kArming;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status end_status_ ABSL_GUARDED_BY(mu_);  // why, in kEndAsked / kClaimed
  int64_t rows_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_rows_ ABSL_GUARDED_BY(mu_);     // the start, or the last message with rows
  absl::Time wait_started_ ABSL_GUARDED_BY(mu_);  // when the pending read was started
  absl::Duration waited_ ABSL_GUARDED_BY(mu_);    // waiting for the client, before that
};

}  // namespace imp::activity

#endif  // IMP_ACTIVITY_IMPORT_REACTOR_H_
