#include "common/server/request_log.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/server/request_context.h"
#include "common/status.h"

namespace imp {
namespace {

class RequestLogInterceptor : public grpc::experimental::Interceptor {
 public:
  RequestLogInterceptor(grpc::experimental::ServerRpcInfo* info, const ActorResolver& resolver)
      : method_(info->method()),
        server_context_(info->server_context()),
        resolver_(resolver),
        start_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      const auto* md = methods->GetRecvInitialMetadata();
      // Without a resolver, the actor the audit trail records (RequestContext): by now gRPC's
      // ActorGate has dropped an untrusted peer's x-imp-actor from the metadata.
      if (resolver_) {
        if (md != nullptr) actor_ = resolver_(*md);
      } else if (server_context_ != nullptr) {
        actor_ = ResolveActor(*server_context_);
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const double latency_ms = absl::ToDoubleMilliseconds(absl::Now() - start_);
      Log(status.ok() ? LogLevel::kInfo : LogLevel::kWarning, "rpc",
          {{"method", method_},
           {"status", StatusCodeName(status.error_code())},
           {"latency_ms", absl::StrFormat("%.3f", latency_ms)},
           {"actor", actor_},
           {"error", status.error_message()}});
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
  const grpc::ServerContextBase* const server_context_;
  const ActorResolver& resolver_;
  const absl::Time start_;
  std::string actor_ = "-";
};

class RequestLogFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RequestLogFactory(ActorResolver resolver) : resolver_(std::move(resolver)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RequestLogInterceptor(info, resolver_);
  }

 private:
  const ActorResolver resolver_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeRequestLogInterceptor(
    ActorResolver resolver) {
  return std::make_unique<RequestLogFactory>(std::move(resolver));
}

}  // namespace imp
