#include "gateway/src/gateway_server.h"

#include <utility>

namespace imp::gateway {

GatewayServer::GatewayServer(ServiceHostOptions host_options, GatewayOptions options)
    : options_(std::move(options)), host_(std::move(host_options)) {
  host_.AddService(&service_, v1::GatewayService::service_full_name());
}

}  // namespace imp::gateway
