#include "common/server/request_context.h"

#include <algorithm>
#include <chrono>

#include "absl/time/clock.h"

namespace imp {

std::string ClientMetadataValue(const grpc::ServerContextBase& ctx, absl::string_view key) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

RequestContext RequestContext::FromServerContext(const grpc::ServerContextBase& ctx,
                                                 absl::Duration default_timeout) {
  RequestContext rc;
  std::string actor = ClientMetadataValue(ctx, kActorMetadataKey);
  if (!actor.empty()) rc.actor = std::move(actor);
  const absl::Time fallback = absl::Now() + default_timeout;
  const auto deadline = ctx.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    rc.deadline = fallback;
  } else {
    rc.deadline = std::min(absl::FromChrono(deadline), fallback);
  }
  rc.is_cancelled = [&ctx] { return ctx.IsCancelled(); };
  return rc;
}

}  // namespace imp
