#ifndef IMP_COMMON_NET_CHANNEL_H_
#define IMP_COMMON_NET_CHANNEL_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "common/net/tls.h"

namespace imp {

// How one service calls another. Every internal client channel is made by MakeChannel, so that
// what all of them need (credentials, limits, channel arguments) is decided here once.
struct ChannelOptions {
  // TLS when tls.ca_pem is set (the server is verified against it); the process's own
  // certificate, when set, is its client certificate (mutual TLS).
  TlsOptions tls;
  // Largest response accepted: the services' own largest send (--max_message_mb), so that any
  // response a service may legitimately send arrives, not gRPC's 4 MiB client default.
  int max_receive_message_bytes = 32 << 20;
};

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           const ChannelOptions& options);

}  // namespace imp

#endif  // IMP_COMMON_NET_CHANNEL_H_
