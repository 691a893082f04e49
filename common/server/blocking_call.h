#ifndef IMP_COMMON_SERVER_BLOCKING_CALL_H_
#define IMP_COMMON_SERVER_BLOCKING_CALL_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "common/server/request_context.h"
#include "common/server/trace.h"
#include "common/status.h"
#include "common/worker_pool.h"

namespace imp {

// Serves a unary callback RPC whose work blocks (database calls): the callback thread only
// queues `handler` on `pool` and returns; a worker runs it and finishes the reactor with the
// status it returns. The pool's admission control may refuse the call (RESOURCE_EXHAUSTED) at
// once or after a short wait, before anything has run; a call whose client has gone or whose
// deadline has passed by the time a worker takes it is dropped unrun. `handler` has the signature
// absl::Status(const RequestContext&) and writes the response itself (request and response outlive
// the reactor's Finish).
template <typename Handler>
grpc::ServerUnaryReactor* ServeBlocking(grpc::CallbackServerContext* ctx, WorkerPool& pool,
                                        Handler handler) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  RequestContext rc = RequestContext::FromServerContext(*ctx);
  rc.commit_gate = pool.commit_gate();
  const absl::Time deadline = rc.deadline;
  const std::string caller = rc.actor;  // fairness between callers (WorkerPool)
  absl::Status queued = pool.Submit(
      [ctx, reactor, rc = std::move(rc), handler = std::move(handler)]() mutable {
        if (ctx->IsCancelled()) {
          reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "request cancelled"));
          return;
        }
        if (absl::Now() >= rc.deadline) {
          reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                       "deadline passed while the request was queued"));
          return;
        }
        // Registry calls deep in the logic pass the trace on (CurrentTraceparent).
        const ScopedTraceparent trace(rc.traceparent);
        reactor->Finish(ToGrpcStatus(handler(rc)));
      },
      // Refused after queueing (admission control): nothing has run.
      [reactor](absl::Status refused) { reactor->Finish(ToGrpcStatus(refused)); }, deadline,
      caller);
  if (!queued.ok()) reactor->Finish(ToGrpcStatus(queued));
  return reactor;
}

}  // namespace imp

#endif  // IMP_COMMON_SERVER_BLOCKING_CALL_H_
