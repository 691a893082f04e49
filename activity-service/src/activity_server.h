#ifndef IMP_ACTIVITY_ACTIVITY_SERVER_H_
#define IMP_ACTIVITY_ACTIVITY_SERVER_H_

#include <string>
#include <vector>

#include "common/db/database.h"
#include "common/server/service_host.h"
#include "imp/activity/v1/activity.grpc.pb.h"

namespace imp::activity {

const std::vector<db::Migration>& Migrations();  // generated from migrations/*.sql

// activity-service assembled: its own database and schema, the host (health, reflection,
// drain), and imp.activity.v1.ActivityService. The service's methods are built on this
// foundation by the activity issue; until then the generated base class answers each with
// the standard "method not implemented" status.
class ActivityServer {
 public:
  ActivityServer(ServiceHostOptions host_options, db::PoolOptions db_options,
                 std::string registry_target);

  absl::Status Start() { return host_.Start(); }
  int port() const { return host_.port(); }
  void Shutdown() { host_.Shutdown(); }
  int RunUntilSignal() { return host_.RunUntilSignal(); }

 private:
  db::Database db_;
  const std::string registry_target_;
  ServiceHost host_;
  v1::ActivityService::CallbackService service_;
};

}  // namespace imp::activity

#endif  // IMP_ACTIVITY_ACTIVITY_SERVER_H_
