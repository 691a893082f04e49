#ifndef IMP_COMMON_SERVER_REQUEST_CONTEXT_H_
#define IMP_COMMON_SERVER_REQUEST_CONTEXT_H_

#include <grpcpp/server_context.h>

#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/commit_gate.h"

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
  // Whether the caller has gone (it cancelled, its deadline passed, or its connection dropped).
  // The gRPC edge sets it; work that writes asks it last thing before COMMIT, because a call
  // whose client has gone must change nothing. Empty (logic tests): never cancelled.
  std::function<bool()> is_cancelled;
  // The server's commit gate, which every COMMIT passes (see commit_gate.h); null outside a
  // server (logic tests).
  CommitGate* commit_gate = nullptr;
  // The call's W3C traceparent (see trace.h), for the calls this one makes to other services
  // (AddChildTraceparent); "" outside a server (logic tests).
  std::string traceparent;

  bool Cancelled() const { return is_cancelled && is_cancelled(); }

  // Resolves the actor (ResolveActor), reads the call deadline and traceparent, and asks `ctx`
  // for cancellation.
  // A call without a deadline gets `default_timeout` so that no database wait is unbounded.
  // `ctx` must outlive every use of the result (it does until the call is finished).
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
