#ifndef IMP_COMMON_SERVER_REQUEST_LOG_H_
#define IMP_COMMON_SERVER_REQUEST_LOG_H_

#include <grpcpp/support/server_interceptor.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/time/time.h"

// Calls that take at least this long are logged at info level (see MakeRequestLogInterceptor).
ABSL_DECLARE_FLAG(int, slow_call_log_ms);

namespace imp {

// Given the client's initial metadata, names the caller for the log line. The default is the
// actor the audit trail records (ResolveActor); the gateway names the token's identity instead.
using ActorResolver =
    std::function<std::string(const std::multimap<grpc::string_ref, grpc::string_ref>&)>;

// One structured line per RPC (event=rpc: method, status code, latency, actor, trace_id, error),
// at a level that keeps the hot path free of log writes:
//   failed calls                       warning
//   successful calls of >= slow_call   info
//   successful sampled calls           info (traceparent flag 01: impctl's, followed end to end)
//   other successful calls             debug (IMP_LOG_LEVEL=debug shows them)
// trace_id is the call's W3C trace id (trace.h): the same on every process a request passes
// through; "-" only on a server without the trace interceptor.
// A line that its level drops costs neither formatting nor a write: a successful fast call
// costs two clock reads and reading its traceparent (one metadata lookup, 55 characters
// checked). `slow_call` defaults to --slow_call_log_ms.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeRequestLogInterceptor(
    ActorResolver resolver = nullptr, absl::Duration slow_call = absl::InfiniteDuration());

}  // namespace imp

#endif  // IMP_COMMON_SERVER_REQUEST_LOG_H_
