#ifndef IMP_COMMON_SERVER_BLOCKING_CALL_H_
#define IMP_COMMON_SERVER_BLOCKING_CALL_H_

#include <grpcpp/grpcpp.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "common/server/request_context.h"
#include "common/status.h"
#include "common/worker_pool.h"

namespace imp {

// Serves a unary callback RPC whose work blocks (database calls): the callback thread only
// queues `handler` on `pool` and returns; a worker runs it and finishes the reactor with the
// status it returns. `handler` has the signature absl::Status(const RequestContext&) and writes
// the response itself (request and response outlive the reactor's Finish).
template <typename Handler>
grpc::ServerUnaryReactor* ServeBlocking(grpc::CallbackServerContext* ctx, WorkerPool& pool,
                                        Handler handler) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  RequestContext rc = RequestContext::FromServerContext(*ctx);
  absl::Status queued =
      pool.Submit([ctx, reactor, rc = std::move(rc), handler = std::move(handler)]() mutable {
        if (ctx->IsCancelled()) {
          reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "request cancelled"));
          return;
        }
        if (absl::Now() >= rc.deadline) {
          reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                       "deadline passed while the request was queued"));
          return;
        }
        reactor->Finish(ToGrpcStatus(handler(rc)));
      });
  if (!queued.ok()) reactor->Finish(ToGrpcStatus(queued));
  return reactor;
}

}  // namespace imp

#endif  // IMP_COMMON_SERVER_BLOCKING_CALL_H_
