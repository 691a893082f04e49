#ifndef IMP_COMMON_SERVER_PEER_IDENTITY_H_
#define IMP_COMMON_SERVER_PEER_IDENTITY_H_

#include <grpcpp/security/auth_context.h>
#include <grpcpp/security/auth_metadata_processor.h>

#include <memory>
#include <string>
#include <vector>

namespace imp {

// The identity in the peer's verified client certificate: its common name, else its first DNS
// subject alternative name. "" when the connection has no verified client certificate
// (plaintext, or TLS where the client presented none). `auth` may be null.
std::string PeerIdentity(const grpc::AuthContext* auth);

// Installed on a server's credentials under mutual TLS: removes x-imp-actor from every call
// whose peer identity is not in `trusted_peers`, before the application sees the call, so that
// only a trusted peer (the gateway, which names the token's actor) can name someone else in
// the audit trail; RequestContext then records any other peer as "peer:<identity>".
//
// Non-blocking (two lookups), so gRPC runs it inline on the call's thread. It only reads the
// connection's AuthContext: that object is shared by every call on the connection, so writing
// per-call facts into it would race.
std::shared_ptr<grpc::AuthMetadataProcessor> MakeActorGate(std::vector<std::string> trusted_peers);

}  // namespace imp

#endif  // IMP_COMMON_SERVER_PEER_IDENTITY_H_
