#include "common/server/request_context.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/server/peer_identity.h"
#include "common/server/trace.h"

namespace imp {

std::string ClientMetadataValue(const grpc::ServerContextBase& ctx, absl::string_view key) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

std::string ResolveActor(const grpc::ServerContextBase& ctx) {
  std::string named = ClientMetadataValue(ctx, kActorMetadataKey);
  if (!named.empty()) return named;
  const std::string peer = PeerIdentity(ctx.auth_context().get());
  if (!peer.empty()) return absl::StrCat(kPeerActorPrefix, peer);
  return "anonymous";
}

RequestContext RequestContext::FromServerContext(const grpc::ServerContextBase& ctx,
                                                 absl::Duration default_timeout) {
  RequestContext rc;
  rc.actor = ResolveActor(ctx);
  const absl::Time fallback = absl::Now() + default_timeout;
  const auto deadline = ctx.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    rc.deadline = fallback;
  } else {
    rc.deadline = std::min(absl::FromChrono(deadline), fallback);
  }
  rc.traceparent = TraceparentOf(ctx);
  rc.is_cancelled = [&ctx] { return ctx.IsCancelled(); };
  return rc;
}

}  // namespace imp
