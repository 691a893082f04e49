#ifndef IMP_GATEWAY_REQUEST_LIMITS_H_
#define IMP_GATEWAY_REQUEST_LIMITS_H_

#include <cstddef>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace imp::gateway {

// What the gateway accepts of a request before it forwards it (issue #18, finding 7: a
// GetInstitution padded with a 31 MB unknown field was forwarded to the registry; eight at once
// from a viewer took 701 MB of the gateway and 309 MB of the registry).
//
// The transport's limit (--max_message_mb) is one for every method, sized for the largest write
// (a maximal project is about 1.2 MB); reads need kilobytes. Each method gets its own limit:
// reads (Get, List, Delete and the other name-only calls) 64 KiB, BatchGet 256 KiB (a thousand
// names), writes the transport's limit.
std::optional<size_t> RequestByteLimit(absl::string_view method);

// RESOURCE_EXHAUSTED naming the request, the method's limit and the size, when `request` passes
// its method's limit.
absl::Status CheckRequestSize(absl::string_view method, const google::protobuf::Message& request);

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_REQUEST_LIMITS_H_
