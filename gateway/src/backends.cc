#include "gateway/src/backends.h"

#include <algorithm>
#include <chrono>

#include "absl/time/clock.h"
#include "common/server/request_context.h"

namespace imp::gateway {

Backends::Backends(const std::string& registry_target, const std::string& activity_target,
                   absl::Duration timeout, const ChannelOptions& channel_options)
    : registry_(
          registry::v1::RegistryService::NewStub(MakeChannel(registry_target, channel_options))),
      activity_(
          activity::v1::ActivityService::NewStub(MakeChannel(activity_target, channel_options))),
      timeout_(timeout) {}

std::unique_ptr<grpc::ClientContext> Backends::ContextFor(grpc::CallbackServerContext* server_ctx,
                                                          const std::string& actor) const {
  std::unique_ptr<grpc::ClientContext> ctx =
      grpc::ClientContext::FromCallbackServerContext(*server_ctx);
  const auto capped = absl::ToChronoTime(absl::Now() + timeout_);
  ctx->set_deadline(std::min(server_ctx->deadline(), capped));
  ctx->AddMetadata(kActorMetadataKey, actor);
  return ctx;
}

}  // namespace imp::gateway
