#include "common/net/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>

namespace imp {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           const ChannelOptions& options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  // Reconnect within a second of a backend coming back: gRPC's defaults back off from 1 s up to
  // 120 s (with jitter), so a restarted backend could be avoided for many seconds; and a
  // re-resolution of the target may follow a failure at most every half second (default 30 s).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  args.SetInt(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, 500);
  return grpc::CreateCustomChannel(target, MakeChannelCredentials(options.tls), args);
}

}  // namespace imp
