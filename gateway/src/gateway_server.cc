#include "gateway/src/gateway_server.h"

#include <utility>

#include "common/log.h"

namespace imp::gateway {

ServiceHostOptions GatewayServer::GatewayHostOptions(ServiceHostOptions options,
                                                     const TokenSource* tokens) {
  // Users authenticate with bearer tokens; a client certificate is verified when presented.
  options.client_certificates = ClientCertificates::kOptional;
  options.actor_resolver = [tokens](const std::multimap<grpc::string_ref, grpc::string_ref>& md) {
    auto who = tokens->Authenticate(md);
    return who.ok() ? who->actor : std::string("unauthenticated");
  };
  return options;
}

GatewayServer::GatewayServer(ServiceHostOptions host_options, GatewayOptions options)
    : options_(std::move(options)),
      tokens_(options_.tokens_file),
      // host_options is moved into host_ only after this (members initialise in declaration
      // order).
      backends_(options_.registry_target, options_.activity_target, options_.backend_timeout,
                OutgoingChannelOptions(host_options)),
      registry_copy_(&backends_, options_.registry_copy),
      facade_(&tokens_, &backends_),
      host_(GatewayHostOptions(std::move(host_options), &tokens_)),
      registry_facade_(&facade_, &registry_copy_.model()),
      activity_facade_(&facade_, &host_.workers()),
      gateway_service_(&facade_, &registry_copy_) {
  tokens_loaded_ = options_.tokens_file.empty()
                       ? absl::FailedPreconditionError("--tokens_file is required")
                       : tokens_.Reload();
  if (tokens_loaded_.ok()) {
    tokens_.StartWatching(options_.tokens_poll_interval);
    // Runs on the thread in RunUntilSignal, never on a gRPC thread: it may read the file.
    host_.SetReloadHook([this] { (void)tokens_.Reload(); });
  }
  host_.AddService(&gateway_service_, v1::GatewayService::service_full_name());
  host_.AddService(&registry_facade_, registry::v1::RegistryService::service_full_name());
  host_.AddService(&activity_facade_, activity::v1::ActivityService::service_full_name());
  // The gateway's facade for a backend is as healthy as the backend: a client (or a load
  // balancer) asking for imp.registry.v1.RegistryService here learns whether its calls can work.
  host_.SetServiceCheck(registry::v1::RegistryService::service_full_name(),
                        [this](absl::Time deadline) { return backends_.RegistryHealth(deadline); });
  host_.SetServiceCheck(activity::v1::ActivityService::service_full_name(),
                        [this](absl::Time deadline) { return backends_.ActivityHealth(deadline); });
}

absl::Status GatewayServer::Start() {
  if (!tokens_loaded_.ok()) return tokens_loaded_;
  // Loading the copy starts at once; aggregations until it is loaded miss the registry part.
  registry_copy_.Start();
  return host_.Start();
}

int GatewayServer::RunUntilSignal() {
  if (!tokens_loaded_.ok()) {
    Log(LogLevel::kError, "fatal",
        {{"service", "gateway"}, {"error", std::string(tokens_loaded_.message())}});
    return 1;
  }
  registry_copy_.Start();
  const int code = host_.RunUntilSignal();
  registry_copy_.Stop();
  return code;
}

}  // namespace imp::gateway
