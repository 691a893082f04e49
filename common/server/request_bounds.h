#ifndef IMP_COMMON_SERVER_REQUEST_BOUNDS_H_
#define IMP_COMMON_SERVER_REQUEST_BOUNDS_H_

#include <google/protobuf/message.h>

#include <cstddef>

#include "absl/status/status.h"
#include "common/api/bounds.h"
#include "common/server/request_context.h"

namespace imp {

// x-imp-actor metadata: recorded in every service's audit trail (changes.actor is VARCHAR(200)).
inline constexpr size_t kMaxActorBytes = 200;

// The first check of every method of every service: the caller's actor within kMaxActorBytes
// and every string and repeated field of `request` within `limits` (INVALID_ARGUMENT naming the
// field, or the metadata key, and the limit).
absl::Status CheckCallBounds(const RequestContext& ctx, const google::protobuf::Message& request,
                             const api::FieldLimits& limits);

}  // namespace imp

#endif  // IMP_COMMON_SERVER_REQUEST_BOUNDS_H_
