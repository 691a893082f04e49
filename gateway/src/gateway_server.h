#ifndef IMP_GATEWAY_GATEWAY_SERVER_H_
#define IMP_GATEWAY_GATEWAY_SERVER_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/server/service_host.h"
#include "gateway/src/auth.h"
#include "gateway/src/backends.h"
#include "gateway/src/facade.h"
#include "gateway/src/gateway_service.h"

namespace imp::gateway {

struct GatewayOptions {
  std::string registry_target = "127.0.0.1:50051";
  std::string activity_target = "127.0.0.1:50052";
  std::string tokens_file;
  absl::Duration backend_timeout = absl::Seconds(10);
};

// The gateway assembled: GatewayService plus the authenticated RegistryService and
// ActivityService facade on one port. It owns no database, so it is SERVING once it listens;
// a backend that is down makes aggregations partial, not the gateway unhealthy.
class GatewayServer {
 public:
  GatewayServer(ServiceHostOptions host_options, GatewayOptions options);
  ~GatewayServer() { host_.Shutdown(); }

  // FAILED_PRECONDITION when the tokens file is missing or malformed.
  absl::Status Start();
  int port() const { return host_.port(); }
  void Shutdown() { host_.Shutdown(); }
  int RunUntilSignal();

 private:
  // The log line names the token's actor; client certificates are optional on this port.
  static ServiceHostOptions GatewayHostOptions(ServiceHostOptions options,
                                               const TokenStore* tokens);

  const GatewayOptions options_;
  absl::Status tokens_loaded_;
  TokenStore tokens_;
  Backends backends_;
  Facade facade_;
  ServiceHost host_;
  RegistryFacade registry_facade_;
  ActivityFacade activity_facade_;
  GatewayService gateway_service_;
};

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_GATEWAY_SERVER_H_
