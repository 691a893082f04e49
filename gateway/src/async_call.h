#ifndef IMP_GATEWAY_ASYNC_CALL_H_
#define IMP_GATEWAY_ASYNC_CALL_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "common/status.h"

namespace imp::gateway {

// Starts one non-blocking unary backend call and hands its result to `next` (on a gRPC thread:
// `next` must not block). The call's context, request and response live until `next` returns.
//   invoke(ctx, request, response, on_done) starts the call, e.g. stub->async()->GetAgreement.
template <typename Req, typename Resp, typename Invoke>
void CallAsync(std::unique_ptr<grpc::ClientContext> ctx, Req request, Invoke invoke,
               std::function<void(absl::StatusOr<Resp>)> next) {
  struct State {
    std::unique_ptr<grpc::ClientContext> ctx;
    Req request;
    Resp response;
    std::function<void(absl::StatusOr<Resp>)> next;
  };
  auto state = std::make_shared<State>();
  state->ctx = std::move(ctx);
  state->request = std::move(request);
  state->next = std::move(next);
  invoke(state->ctx.get(), &state->request, &state->response, [state](grpc::Status status) {
    if (status.ok()) {
      state->next(std::move(state->response));
    } else {
      state->next(FromGrpcStatus(status));
    }
  });
}

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_ASYNC_CALL_H_
