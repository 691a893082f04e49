#ifndef IMP_GATEWAY_GATEWAY_SERVER_H_
#define IMP_GATEWAY_GATEWAY_SERVER_H_

#include <string>

#include "common/server/service_host.h"
#include "imp/gateway/v1/gateway.grpc.pb.h"

namespace imp::gateway {

struct GatewayOptions {
  std::string registry_target = "127.0.0.1:50051";
  std::string activity_target = "127.0.0.1:50052";
  std::string tokens_file;
};

// The gateway assembled: the host (health, reflection, drain) and imp.gateway.v1.GatewayService.
// It owns no database, so it is SERVING as soon as it listens; a backend that is down makes
// aggregations partial, not the gateway unhealthy. Aggregations, the admin facade and
// authentication are built on this foundation by the gateway issue; until then the generated
// base class answers each method with the standard "method not implemented" status.
class GatewayServer {
 public:
  GatewayServer(ServiceHostOptions host_options, GatewayOptions options);

  absl::Status Start() { return host_.Start(); }
  int port() const { return host_.port(); }
  void Shutdown() { host_.Shutdown(); }
  int RunUntilSignal() { return host_.RunUntilSignal(); }

 private:
  const GatewayOptions options_;
  ServiceHost host_;
  v1::GatewayService::CallbackService service_;
};

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_GATEWAY_SERVER_H_
