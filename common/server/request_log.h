#ifndef IMP_COMMON_SERVER_REQUEST_LOG_H_
#define IMP_COMMON_SERVER_REQUEST_LOG_H_

#include <grpcpp/support/server_interceptor.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace imp {

// Given the client's initial metadata, names the caller for the log line. The default is the
// actor the audit trail records (ResolveActor); the gateway names the token's identity instead.
using ActorResolver =
    std::function<std::string(const std::multimap<grpc::string_ref, grpc::string_ref>&)>;

// One structured log line per RPC: method, status code, latency and actor.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeRequestLogInterceptor(
    ActorResolver resolver = nullptr);

}  // namespace imp

#endif  // IMP_COMMON_SERVER_REQUEST_LOG_H_
