#include "activity-service/src/activity_server.h"

#include <utility>

#include "common/net/channel.h"

namespace imp::activity {

ActivityServer::ActivityServer(ServiceHostOptions host_options, db::PoolOptions db_options,
                               std::string registry_target, ImportLimits import_limits,
                               StatsCacheLimits stats_cache, absl::Duration stats_budget)
    : db_(std::move(db_options), Migrations()),
      // Before host_options is moved into host_ (members initialise in declaration order).
      references_(MakeChannel(registry_target, OutgoingChannelOptions(host_options))),
      activities_(&db_, &references_, stats_cache, stats_budget),
      host_(std::move(host_options)),
      service_(&activities_, &host_.workers(), import_limits) {
  host_.AddService(&service_, v1::ActivityService::service_full_name());
  host_.SetReadinessCheck([this](absl::Time deadline) { return db_.CheckReady(deadline); });
}

}  // namespace imp::activity
