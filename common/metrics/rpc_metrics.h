#ifndef IMP_COMMON_METRICS_RPC_METRICS_H_
#define IMP_COMMON_METRICS_RPC_METRICS_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>
#include <vector>

#include "common/metrics/metrics.h"

namespace imp::metrics {

// The gRPC method paths ("/imp.registry.v1.RegistryService/GetInstitution") of the services
// named (full names, from the generated descriptors), plus grpc.health.v1 and reflection: the
// only values the request metrics' method labels take. A call to any other path is counted
// under grpc_service="unknown", grpc_method="unknown", so a caller cannot add series.
std::vector<std::string> KnownMethods(const std::vector<std::string>& service_full_names);

// Counts every RPC the server answers, by method and status code, as grpc-ecosystem's
// go-grpc-prometheus names them (dashboards written for it work unchanged):
//   grpc_server_started_total{grpc_service,grpc_method} (go-grpc-prometheus adds grpc_type;
//   the suite's few streaming methods are known by name)
//   grpc_server_handled_total{grpc_service,grpc_method,grpc_code}
//   grpc_server_handling_seconds{grpc_service,grpc_method} (histogram, 1 ms to 60 s)
//   grpc_server_in_flight{grpc_service,grpc_method} (calls started and not yet finished)
// A call that ends without a status sent (its client went away) is counted as CANCELLED.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeRpcMetricsInterceptor(
    const std::vector<std::string>& known_methods, Registry& registry = Registry::Default());

}  // namespace imp::metrics

#endif  // IMP_COMMON_METRICS_RPC_METRICS_H_
