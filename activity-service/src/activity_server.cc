#include "activity-service/src/activity_server.h"

#include <grpcpp/grpcpp.h>

#include <utility>

namespace imp::activity {

ActivityServer::ActivityServer(ServiceHostOptions host_options, db::PoolOptions db_options,
                               std::string registry_target, ImportLimits import_limits)
    : db_(std::move(db_options), Migrations()),
      references_(grpc::CreateChannel(registry_target, grpc::InsecureChannelCredentials())),
      activities_(&db_, &references_),
      host_(std::move(host_options)),
      service_(&activities_, &host_.workers(), import_limits) {
  host_.AddService(&service_, v1::ActivityService::service_full_name());
  host_.SetReadinessCheck([this](absl::Time deadline) { return db_.CheckReady(deadline); });
}

}  // namespace imp::activity
