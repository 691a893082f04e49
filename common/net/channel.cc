#include "common/net/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace imp {

std::string ServiceConfigJson(const ChannelOptions& options) {
  std::string config = R"({"loadBalancingConfig":[{"round_robin":{}}])";
  if (options.health_check_service.has_value()) {
    const std::string name =
        absl::StrReplaceAll(*options.health_check_service, {{"\\", "\\\\"}, {"\"", "\\\""}});
    absl::StrAppend(&config, R"(,"healthCheckConfig":{"serviceName":")", name, "\"}");
  }
  absl::StrAppend(&config, "}");
  return config;
}

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
  // Round-robin (and health checking) by our own service config; a service config published in
  // DNS TXT records is not looked for.
  args.SetServiceConfigJSON(ServiceConfigJson(options));
  args.SetInt(GRPC_ARG_SERVICE_CONFIG_DISABLE_RESOLUTION, 1);
  return grpc::CreateCustomChannel(target, MakeChannelCredentials(options.tls), args);
}

}  // namespace imp
