#ifndef IMP_ACTIVITY_ACTIVITY_SERVER_H_
#define IMP_ACTIVITY_ACTIVITY_SERVER_H_

#include <string>
#include <vector>

#include "activity-service/src/activities.h"
#include "activity-service/src/activity_grpc.h"
#include "activity-service/src/references.h"
#include "common/db/database.h"
#include "common/server/service_host.h"

namespace imp::activity {

const std::vector<db::Migration>& Migrations();  // generated from migrations/*.sql

// activity-service assembled: its own database, the registry client for reference checks,
// the logic, the gRPC edge and the host. main() runs it until a signal; tests start it on
// port 0 against their own database and a real registry.
class ActivityServer {
 public:
  ActivityServer(ServiceHostOptions host_options, db::PoolOptions db_options,
                 std::string registry_target, ImportLimits import_limits = {},
                 StatsCacheLimits stats_cache = {},
                 absl::Duration stats_budget = Activities::kDefaultStatsBudget);

  // Drains the host first: in-flight calls use the members declared before it.
  ~ActivityServer() { host_.Shutdown(); }

  absl::Status Start() { return host_.Start(); }
  int port() const { return host_.port(); }
  void Shutdown() { host_.Shutdown(); }
  const Activities& activities() const { return activities_; }
  int open_imports() { return service_.open_imports(); }
  ConnectionGuard::Counters connection_counters() { return host_.connection_counters(); }
  int RunUntilSignal() { return host_.RunUntilSignal(); }

 private:
  db::Database db_;
  RegistryReferences references_;
  Activities activities_;
  ServiceHost host_;
  ActivityGrpcService service_;
};

}  // namespace imp::activity

#endif  // IMP_ACTIVITY_ACTIVITY_SERVER_H_
