#ifndef IMP_GATEWAY_BACKENDS_H_
#define IMP_GATEWAY_BACKENDS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/net/channel.h"
#include "imp/activity/v1/activity.grpc.pb.h"
#include "imp/registry/v1/registry.grpc.pb.h"

namespace imp::gateway {

// The two backends and how the gateway calls them (channels from MakeChannel: mutual TLS with
// the gateway's own certificate when it has a CA).
class Backends {
 public:
  Backends(const std::string& registry_target, const std::string& activity_target,
           absl::Duration timeout, const ChannelOptions& channel_options);

  registry::v1::RegistryService::StubInterface::async_interface* registry() {
    return registry_->async();
  }
  activity::v1::ActivityService::StubInterface::async_interface* activity() {
    return activity_->async();
  }
  activity::v1::ActivityService::Stub& activity_stub() { return *activity_; }

  // A context for a backend call made on behalf of `server_ctx`: cancellation and the caller's
  // deadline propagate, the per-backend timeout caps the wait, x-imp-actor names the caller.
  std::unique_ptr<grpc::ClientContext> ContextFor(grpc::CallbackServerContext* server_ctx,
                                                  const std::string& actor) const;

 private:
  std::unique_ptr<registry::v1::RegistryService::Stub> registry_;
  std::unique_ptr<activity::v1::ActivityService::Stub> activity_;
  const absl::Duration timeout_;
};

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_BACKENDS_H_
