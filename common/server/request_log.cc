#include "common/server/request_log.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/server/request_context.h"
#include "common/server/trace.h"
#include "common/status.h"

ABSL_FLAG(int, slow_call_log_ms, 100,
          "Successful calls that take at least this many milliseconds are logged at info level; "
          "faster ones at debug level (IMP_LOG_LEVEL=debug), failed ones always (warning).");

namespace imp {
namespace {

class RequestLogInterceptor : public grpc::experimental::Interceptor {
 public:
  RequestLogInterceptor(grpc::experimental::ServerRpcInfo* info, const ActorResolver& resolver,
                        absl::Duration slow_call)
      : method_(info->method()),
        server_context_(info->server_context()),
        resolver_(resolver),
        slow_call_(slow_call),
        start_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    // The caller as the call began: a token revoked or expired during a long call (an import
    // stream) would otherwise be logged as "unauthenticated" at the end, while every write the
    // call made is audited under the actor it began with (issue #18, finding 4).
    if (resolver_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      actor_at_start_ = resolver_(*methods->GetRecvInitialMetadata());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const absl::Duration latency = absl::Now() - start_;
      // Read as the call ends, whatever the order of the interceptors: by then a call that came
      // without a traceparent has the one the trace interceptor made.
      std::optional<TraceContext> trace;
      if (server_context_ != nullptr) trace = ParseTraceparent(TraceparentOf(*server_context_));
      // A sampled call (impctl's) is followed end to end at the default level.
      const LogLevel level = !status.ok() ? LogLevel::kWarning
                             : latency >= slow_call_ || (trace && trace->sampled())
                                 ? LogLevel::kInfo
                                 : LogLevel::kDebug;
      // Everything the line needs is formatted only when it will be written.
      if (LogEnabled(level)) {
        Log(level, "rpc",
            {{"method", method_},
             {"status", StatusCodeName(status.error_code())},
             {"latency_ms", absl::StrFormat("%.3f", absl::ToDoubleMilliseconds(latency))},
             {"actor", Actor()},
             {"trace_id", trace ? trace->trace_id : "-"},
             {"error", status.error_message()}});
      }
    }
    methods->Proceed();
  }

 private:
  // Without a resolver, the actor the audit trail records (RequestContext): gRPC's ActorGate
  // has dropped an untrusted peer's x-imp-actor from the metadata before the call started.
  std::string Actor() const {
    if (server_context_ == nullptr) return "-";
    if (resolver_) {
      return actor_at_start_ ? *actor_at_start_ : resolver_(server_context_->client_metadata());
    }
    return ResolveActor(*server_context_);
  }

  std::optional<std::string> actor_at_start_;
  const char* const method_;  // gRPC's registered name: lives as long as the server
  const grpc::ServerContextBase* const server_context_;
  const ActorResolver& resolver_;
  const absl::Duration slow_call_;
  const absl::Time start_;
};

class RequestLogFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  RequestLogFactory(ActorResolver resolver, absl::Duration slow_call)
      : resolver_(std::move(resolver)), slow_call_(slow_call) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RequestLogInterceptor(info, resolver_, slow_call_);
  }

 private:
  const ActorResolver resolver_;
  const absl::Duration slow_call_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeRequestLogInterceptor(
    ActorResolver resolver, absl::Duration slow_call) {
  if (slow_call == absl::InfiniteDuration()) {
    slow_call = absl::Milliseconds(absl::GetFlag(FLAGS_slow_call_log_ms));
  }
  return std::make_unique<RequestLogFactory>(std::move(resolver), slow_call);
}

}  // namespace imp
