#ifndef IMP_TOOLS_BENCH_NOOP_SERVER_H_
#define IMP_TOOLS_BENCH_NOOP_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace imp::bench {

// The baseline: a gRPC callback server in the bench's own process that answers the measured
// methods (same full names as the real services') at once with response bytes captured from
// the real service. It neither parses the request nor serializes anything, so what it costs is
// what gRPC's transport costs: the limit a service's figures are compared with.
class NoopServer {
 public:
  // `methods`: full method names, e.g. "/imp.registry.v1.RegistryService/GetInstitution".
  NoopServer(const std::vector<std::string>& methods,
             std::shared_ptr<grpc::ServerCredentials> credentials);
  ~NoopServer();

  int port() const { return port_; }

  // What `method` answers from now on. Call between measurements (no call of `method` in
  // flight); earlier responses stay alive, so a late reader never sees a freed buffer.
  void SetResponse(const std::string& method, const grpc::ByteBuffer& response);

 private:
  class Service;

  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace imp::bench

#endif  // IMP_TOOLS_BENCH_NOOP_SERVER_H_
