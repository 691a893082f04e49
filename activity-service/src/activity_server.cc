#include "activity-service/src/activity_server.h"

#include <utility>

namespace imp::activity {

ActivityServer::ActivityServer(ServiceHostOptions host_options, db::PoolOptions db_options,
                               std::string registry_target)
    : db_(std::move(db_options), Migrations()),
      registry_target_(std::move(registry_target)),
      host_(std::move(host_options)) {
  host_.AddService(&service_, v1::ActivityService::service_full_name());
  host_.SetReadinessCheck([this](absl::Time deadline) { return db_.CheckReady(deadline); });
}

}  // namespace imp::activity
