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

// The deadline of a backend call made at `now` for a caller whose deadline is
// `caller_deadline` (InfiniteFuture when it set none): the caller's deadline less a margin for
// relaying the answer, so that work the caller would not wait for stops in the backend, and
// work it would wait for is never cut short by a fixed gateway timeout.
absl::Time BackendDeadline(absl::Time now, absl::Time caller_deadline,
                           absl::Duration default_timeout);

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

  // Whether each backend says it is SERVING (grpc.health.v1), by `deadline`. Blocking: for the
  // gateway's readiness thread, whose answers are published as the health of the gateway's own
  // facade for that backend.
  absl::Status RegistryHealth(absl::Time deadline);
  absl::Status ActivityHealth(absl::Time deadline);

  // A context for a backend call made on behalf of `server_ctx`: cancellation propagates, the
  // backend gets the caller's own deadline less a margin (BackendDeadline), or the default
  // timeout when the caller set none, x-imp-actor names the caller, and the traceparent is a
  // child of the caller's (same trace id: one grep finds the call in every log, see trace.h).
  std::unique_ptr<grpc::ClientContext> ContextFor(grpc::CallbackServerContext* server_ctx,
                                                  const std::string& actor) const;
  std::unique_ptr<grpc::ClientContext> ContextFor(grpc::CallbackServerContext* server_ctx,
                                                  const std::string& actor,
                                                  absl::Duration default_timeout) const;

 private:
  std::shared_ptr<grpc::Channel> registry_channel_;
  std::shared_ptr<grpc::Channel> activity_channel_;
  std::unique_ptr<registry::v1::RegistryService::Stub> registry_;
  std::unique_ptr<activity::v1::ActivityService::Stub> activity_;
  const absl::Duration timeout_;
};

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_BACKENDS_H_
