#include "common/net/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

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

std::optional<std::string> FirstListedHost(absl::string_view target) {
  if (!absl::ConsumePrefix(&target, "ipv4:") && !absl::ConsumePrefix(&target, "ipv6:")) {
    return std::nullopt;
  }
  absl::string_view first = target.substr(0, target.find(','));
  if (first.size() == target.size()) return std::nullopt;  // one address: its own name
  absl::ConsumePrefix(&first, "//");                       // ipv4://host:port form
  if (absl::ConsumePrefix(&first, "[")) return std::string(first.substr(0, first.find(']')));
  return std::string(first.substr(0, first.rfind(':')));
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
  // A list of addresses has no name of its own: gRPC would check the servers' certificates
  // against the whole list ("127.0.0.1:50161,127.0.0.1:50162") and refuse every one. Check them
  // against the first address's host instead, which every replica's certificate must carry (on
  // one host: 127.0.0.1). Replicas on several hosts are better named by DNS (dns:///name:port):
  // then the certificates carry that name.
  if (options.tls.calls_tls()) {
    if (std::optional<std::string> host = FirstListedHost(target); host.has_value()) {
      args.SetSslTargetNameOverride(*host);
    }
  }
  return grpc::CreateCustomChannel(target, MakeChannelCredentials(options.tls), args);
}

}  // namespace imp
