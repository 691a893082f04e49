#ifndef IMP_COMMON_SERVER_TRACE_H_
#define IMP_COMMON_SERVER_TRACE_H_

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/server_interceptor.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace imp {

// One request followed everywhere: a W3C Trace Context traceparent
// (https://www.w3.org/TR/trace-context/) travels with every call, is passed on to every backend
// call made for it, and every request-log line names its trace id, so that grepping one id shows
// the whole path through the gateway, the registry and the activity service.
//
//   traceparent: 00-<32 lowercase hex trace-id>-<16 lowercase hex parent-id>-<2 hex flags>
//
// All-zero ids are invalid; flag 01 is "sampled" (the caller asks for the call to be recorded:
// the request log then writes it at info level, see request_log.h).
inline constexpr char kTraceparentMetadataKey[] = "traceparent";

struct TraceContext {
  std::string trace_id;   // 32 lowercase hex digits, not all zero
  std::string parent_id;  // 16 lowercase hex digits, not all zero
  uint8_t flags = 0;

  bool sampled() const { return (flags & 0x01) != 0; }
  // Version 00, whatever version it was parsed from (the only one this code knows).
  std::string ToTraceparent() const;
};

// The traceparent's fields, or nullopt when it is not a valid one. Version 00 must be exactly 55
// characters; a later version (not ff) may continue after a '-', which is ignored.
std::optional<TraceContext> ParseTraceparent(absl::string_view traceparent);

// A new trace: random 128-bit trace id, random 64-bit parent id.
TraceContext NewTrace(bool sampled);

// The context for a call made on behalf of `parent`: the same trace id and flags, a new
// parent id (this hop's span).
TraceContext ChildOf(const TraceContext& parent);

// The trace id of `traceparent`, or "" when it is not valid.
std::string TraceIdOf(absl::string_view traceparent);

// Sends a child of `traceparent` on `ctx` (nothing when `traceparent` is not valid: the server
// called then starts a trace of its own).
void AddChildTraceparent(grpc::ClientContext& ctx, absl::string_view traceparent);

// The call's traceparent as the server sees it (the trace interceptor has made one when the
// caller sent none or an invalid one), or "" outside a server with that interceptor.
std::string TraceparentOf(const grpc::ServerContextBase& ctx);

// `status` with a google.rpc.RequestInfo{request_id: trace_id} added to its binary error details
// (a google.rpc.Status is made for a status that has none), or nullopt when it should be sent
// as it is: OK, details that do not decode, a RequestInfo already there (a backend's, forwarded:
// the same trace), or details that would then pass the trailer budget of common/status.h.
std::optional<grpc::Status> WithRequestInfo(const grpc::Status& status, absl::string_view trace_id);

// The server side: a call without a valid traceparent gets one made here (not sampled), put
// into the call's received metadata, so that every later reader (the request log, other
// interceptors, ServerContext::client_metadata(), RequestContext::traceparent) sees one and the
// same trace. A failed call's error details carry the trace id (WithRequestInfo).
//
// gRPC runs server interceptors in list order for what is sent, and in reverse order for what is
// received: installed last, this one is the first to see the received metadata and the last to
// see the status, after every other interceptor has changed it.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeTraceInterceptor();

// The traceparent of the call the current thread is working for (set around a worker's run of
// a call, see ServeBlocking), for code below the service logic that calls another service and
// has no RequestContext at hand. "" when the thread works for no call.
const std::string& CurrentTraceparent();

class ScopedTraceparent {
 public:
  explicit ScopedTraceparent(std::string traceparent);
  ~ScopedTraceparent();
  ScopedTraceparent(const ScopedTraceparent&) = delete;
  ScopedTraceparent& operator=(const ScopedTraceparent&) = delete;

 private:
  std::string previous_;
};

}  // namespace imp

#endif  // IMP_COMMON_SERVER_TRACE_H_
