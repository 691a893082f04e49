#ifndef IMP_COMMON_SERVER_REQUEST_CONTEXT_H_
#define IMP_COMMON_SERVER_REQUEST_CONTEXT_H_

#include <grpcpp/server_context.h>

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace imp {

// Metadata key carrying the authenticated caller's identity from the gateway to the services,
// recorded in every audit entry. Under mutual TLS it is believed only from trusted peers (see
// ResolveActor).
inline constexpr char kActorMetadataKey[] = "x-imp-actor";

// Prefix of the actor recorded for a peer authenticated by its client certificate that may not
// name another actor: "peer:impctl-internal".
inline constexpr char kPeerActorPrefix[] = "peer:";

// What service logic needs to know about the call it serves, without depending on gRPC.
struct RequestContext {
  std::string actor = "anonymous";
  absl::Time deadline = absl::InfiniteFuture();

  // Resolves the actor (ResolveActor) and reads the call deadline. A call without a deadline
  // gets `default_timeout` so that no database wait is unbounded.
  static RequestContext FromServerContext(const grpc::ServerContextBase& ctx,
                                          absl::Duration default_timeout = absl::Seconds(30));
};

// Who a call is recorded as: the audit trail and the request log line both use this.
// - No verified client certificate (plaintext, or TLS without client certificates): the
//   x-imp-actor metadata, else "anonymous". Nothing authenticates such a caller.
// - Mutual TLS: x-imp-actor when the peer is trusted (the server's ActorGate removed it from
//   every other peer's calls, see peer_identity.h), else "peer:<certificate identity>".
std::string ResolveActor(const grpc::ServerContextBase& ctx);

// The first value of metadata `key` sent by the client, or "" when absent.
std::string ClientMetadataValue(const grpc::ServerContextBase& ctx, absl::string_view key);

}  // namespace imp

#endif  // IMP_COMMON_SERVER_REQUEST_CONTEXT_H_
