#ifndef IMP_COMMON_SERVER_REQUEST_CONTEXT_H_
#define IMP_COMMON_SERVER_REQUEST_CONTEXT_H_

#include <grpcpp/server_context.h>

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace imp {

// Metadata key carrying the authenticated caller's identity from the gateway to the services,
// recorded in every audit entry.
inline constexpr char kActorMetadataKey[] = "x-imp-actor";

// What service logic needs to know about the call it serves, without depending on gRPC.
struct RequestContext {
  std::string actor = "anonymous";
  absl::Time deadline = absl::InfiniteFuture();

  // Reads x-imp-actor and the call deadline. A call without a deadline gets `default_timeout`
  // so that no database wait is unbounded.
  static RequestContext FromServerContext(const grpc::ServerContextBase& ctx,
                                          absl::Duration default_timeout = absl::Seconds(30));
};

// The first value of metadata `key` sent by the client, or "" when absent.
std::string ClientMetadataValue(const grpc::ServerContextBase& ctx, absl::string_view key);

}  // namespace imp

#endif  // IMP_COMMON_SERVER_REQUEST_CONTEXT_H_
