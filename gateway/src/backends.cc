#include "gateway/src/backends.h"

#include <algorithm>
#include <chrono>

#include "absl/time/clock.h"
#include "common/net/health_check.h"
#include "common/server/request_context.h"
#include "common/server/trace.h"

namespace imp::gateway {

Backends::Backends(const std::string& registry_target, const std::string& activity_target,
                   absl::Duration timeout, const ChannelOptions& channel_options)
    : registry_channel_(MakeChannel(registry_target, channel_options)),
      activity_channel_(MakeChannel(activity_target, channel_options)),
      registry_(registry::v1::RegistryService::NewStub(registry_channel_)),
      activity_(activity::v1::ActivityService::NewStub(activity_channel_)),
      timeout_(timeout) {}

absl::Status Backends::RegistryHealth(absl::Time deadline) {
  return CheckServing(*registry_channel_, registry::v1::RegistryService::service_full_name(),
                      deadline);
}

absl::Status Backends::ActivityHealth(absl::Time deadline) {
  return CheckServing(*activity_channel_, activity::v1::ActivityService::service_full_name(),
                      deadline);
}

absl::Time BackendDeadline(absl::Time now, absl::Time caller_deadline,
                           absl::Duration default_timeout) {
  if (caller_deadline == absl::InfiniteFuture()) return now + default_timeout;
  // Leave the gateway time to relay the backend's answer (or its error) before the caller's own
  // deadline fires: a tenth of the time left, at most half a second.
  const absl::Duration left = caller_deadline - now;
  return caller_deadline - std::min(left / 10, absl::Milliseconds(500));
}

std::unique_ptr<grpc::ClientContext> Backends::ContextFor(grpc::CallbackServerContext* server_ctx,
                                                          const std::string& actor) const {
  return ContextFor(server_ctx, actor, timeout_);
}

std::unique_ptr<grpc::ClientContext> Backends::ContextFor(grpc::CallbackServerContext* server_ctx,
                                                          const std::string& actor,
                                                          absl::Duration default_timeout) const {
  std::unique_ptr<grpc::ClientContext> ctx =
      grpc::ClientContext::FromCallbackServerContext(*server_ctx);
  const auto caller = server_ctx->deadline();
  const absl::Time caller_deadline = caller == std::chrono::system_clock::time_point::max()
                                         ? absl::InfiniteFuture()
                                         : absl::FromChrono(caller);
  ctx->set_deadline(
      absl::ToChronoTime(BackendDeadline(absl::Now(), caller_deadline, default_timeout)));
  ctx->AddMetadata(kActorMetadataKey, actor);
  AddChildTraceparent(*ctx, TraceparentOf(*server_ctx));
  return ctx;
}

}  // namespace imp::gateway
