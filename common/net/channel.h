#ifndef IMP_COMMON_NET_CHANNEL_H_
#define IMP_COMMON_NET_CHANNEL_H_

#include <grpcpp/channel.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "common/net/tls.h"

namespace imp {

// How one service calls another. Every internal client channel is made by MakeChannel, so that
// what all of them need (credentials, limits, load balancing, channel arguments) is decided here
// once.
//
// Load balancing: every channel spreads its calls round-robin over all the addresses its target
// names or resolves to, so one flag value reaches every replica of a service:
//   "ipv4:127.0.0.1:50051,127.0.0.1:50061"   replicas listed (gRPC's ipv4: scheme)
//   "dns:///registry:50051"                   a Kubernetes headless Service (one address per pod)
//   "127.0.0.1:50051"                         one server (round_robin over one address is the
//                                             same as gRPC's default pick_first)
struct ChannelOptions {
  // TLS when tls.ca_pem is set (the server is verified against it); the process's own
  // certificate, when set, is its client certificate (mutual TLS).
  TlsOptions tls;
  // Largest response accepted: the services' own largest send (--max_message_mb), so that any
  // response a service may legitimately send arrives, not gRPC's 4 MiB client default.
  int max_receive_message_bytes = 32 << 20;
  // When set, the channel watches each server's grpc.health.v1 status for this service name (""
  // is the whole server) and sends calls only to servers that report SERVING (gRPC client-side
  // health checking): a replica whose database is down or not in the cluster's primary
  // component, or that is draining, gets no new calls while another replica can take them.
  // Unset: calls go to any server that accepts connections (for clients that must reach a
  // server whatever its health, e.g. `impctl health`).
  std::optional<std::string> health_check_service;
};

// For a target listing several addresses ("ipv4:127.0.0.1:50161,127.0.0.1:50162"), the host of
// the first ("127.0.0.1"): the name MakeChannel checks every replica's TLS certificate against,
// since a list has no name of its own. nullopt for any other target (its own name is checked).
std::optional<std::string> FirstListedHost(absl::string_view target);

// The gRPC service config MakeChannel installs (exposed for tests).
std::string ServiceConfigJson(const ChannelOptions& options);

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           const ChannelOptions& options);

}  // namespace imp

#endif  // IMP_COMMON_NET_CHANNEL_H_
