#ifndef IMP_REGISTRY_REGISTRY_SERVER_H_
#define IMP_REGISTRY_REGISTRY_SERVER_H_

#include <memory>

#include "common/db/database.h"
#include "common/server/service_host.h"
#include "registry-service/src/registry.h"
#include "registry-service/src/registry_grpc.h"

namespace imp::registry {

const std::vector<db::Migration>& Migrations();  // generated from migrations/*.sql

// registry-service assembled: database, logic, gRPC edge and host. main() runs it until a
// signal; tests start it on port 0 against their own database.
class RegistryServer {
 public:
  RegistryServer(ServiceHostOptions host_options, db::PoolOptions db_options);

  // Drains the host first: in-flight calls use the members declared before it.
  ~RegistryServer() { host_.Shutdown(); }

  absl::Status Start() { return host_.Start(); }
  int port() const { return host_.port(); }
  void Shutdown() { host_.Shutdown(); }
  int RunUntilSignal() { return host_.RunUntilSignal(); }

 private:
  db::Database db_;
  Registry registry_;
  ServiceHost host_;
  RegistryGrpcService service_;
};

}  // namespace imp::registry

#endif  // IMP_REGISTRY_REGISTRY_SERVER_H_
