#include "registry-service/src/registry_server.h"

#include <utility>

namespace imp::registry {

RegistryServer::RegistryServer(ServiceHostOptions host_options, db::PoolOptions db_options)
    : db_(std::move(db_options), Migrations()),
      registry_(&db_),
      host_(std::move(host_options)),
      service_(&registry_, &host_.workers()) {
  host_.AddService(&service_, v1::RegistryService::service_full_name());
  host_.SetReadinessCheck([this](absl::Time deadline) { return db_.CheckReady(deadline); });
}

}  // namespace imp::registry
