#include "common/server/request_bounds.h"

#include "absl/strings/str_cat.h"

namespace imp {

absl::Status CheckCallBounds(const RequestContext& ctx, const google::protobuf::Message& request,
                             const api::FieldLimits& limits) {
  if (ctx.actor.size() > kMaxActorBytes) {
    return absl::InvalidArgumentError(absl::StrCat(kActorMetadataKey, " metadata: at most ",
                                                   kMaxActorBytes, " bytes (got ", ctx.actor.size(),
                                                   ")"));
  }
  return api::CheckBounds(request, "", limits);
}

}  // namespace imp
