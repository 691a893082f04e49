#ifndef IMP_GATEWAY_GATEWAY_SERVER_H_
#define IMP_GATEWAY_GATEWAY_SERVER_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/server/service_host.h"
#include "gateway/src/auth.h"
#include "gateway/src/backends.h"
#include "gateway/src/facade.h"
#include "gateway/src/gateway_service.h"
#include "gateway/src/registry_copy.h"
#include "gateway/src/token_source.h"

namespace imp::gateway {

struct GatewayOptions {
  std::string registry_target = "127.0.0.1:50051";
  std::string activity_target = "127.0.0.1:50052";
  std::string tokens_file;
  absl::Duration backend_timeout = absl::Seconds(10);
  // How often the tokens file is checked for changes (a change applies within two intervals).
  absl::Duration tokens_poll_interval = absl::Seconds(1);
  // The copy of the registry the aggregations read (registry_copy.h).
  RegistryCopyOptions registry_copy;
};

// The gateway assembled: GatewayService plus the authenticated RegistryService and
// ActivityService facade on one port. It owns no database, so "" and GatewayService are SERVING
// once it listens (a backend that is down makes aggregations partial, not the gateway
// unhealthy), while the health of each facade's name follows its backend's own health.
//
// The tokens file is reloaded while the gateway runs: on SIGHUP (through the host's reload
// hook, under RunUntilSignal) and when the file changes (TokenSource's watcher). A file that does
// not parse is logged and leaves the previous tokens in force.
//
// The aggregations read the gateway's copy of the registry (registry_copy_), whose follower
// thread starts with Start() and stops after the host has drained.
//
// Member order: tokens_ is declared before everything that reads it (the facade, the host's
// actor resolver), so it is destroyed after the host has drained and no request can reach it.
// registry_copy_ comes after backends_ (its follower calls the registry through them) and
// before the services that read it.
class GatewayServer {
 public:
  GatewayServer(ServiceHostOptions host_options, GatewayOptions options);
  ~GatewayServer() { Shutdown(); }

  // FAILED_PRECONDITION when the tokens file is missing or malformed.
  absl::Status Start();
  int port() const { return host_.port(); }
  void Shutdown() {
    host_.Shutdown();
    registry_copy_.Stop();
  }
  int RunUntilSignal();

  // The copy of the registry, for tests (e.g. to compare it with the registry).
  const RegistryReadModel& registry_copy() const { return registry_copy_.model(); }

  // Re-reads the tokens file now (what SIGHUP does); the previous tokens stay in force when the
  // new file is refused, and the returned status says why.
  absl::Status ReloadTokens() { return tokens_.Reload(); }
  const TokenSource& tokens() const { return tokens_; }

 private:
  // The log line names the token's actor; client certificates are optional on this port.
  static ServiceHostOptions GatewayHostOptions(ServiceHostOptions options,
                                               const TokenSource* tokens);

  const GatewayOptions options_;
  absl::Status tokens_loaded_;
  TokenSource tokens_;
  Backends backends_;
  RegistryCopy registry_copy_;
  Facade facade_;
  ServiceHost host_;
  RegistryFacade registry_facade_;
  ActivityFacade activity_facade_;
  GatewayService gateway_service_;
};

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_GATEWAY_SERVER_H_
