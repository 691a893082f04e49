#ifndef IMP_COMMON_STATUS_H_
#define IMP_COMMON_STATUS_H_

#include <grpcpp/support/status.h>

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace imp {

// absl::Status is what all service logic returns; grpc::Status exists only at the RPC edge.
// These are the only two places the two are converted.
//
// Error details (common/api/errors.h) travel inside a process as absl::Status payloads keyed by
// their type URL, and on the wire as a google.rpc.Status {code, message, details: [Any...]} in
// grpc::Status's binary error details (the `grpc-status-details-bin` trailer), which gRPC's and
// googleapis' decoders in every language read.
//
// ToGrpcStatus sends every payload of `status` plus the derived details (WithDerivedDetails).
// The trailers (grpc-message, percent-encoded, and the details) must stay within the peer's
// metadata limit, 8 KiB by default: a trailer over it turns the whole error into the client's
// RESOURCE_EXHAUSTED. So the encoded google.rpc.Status gets at most kMaxErrorDetailsBytes, and
// no more than kMaxErrorTrailerBytes minus the encoded message; over that, descriptions are
// dropped first, then every detail but ErrorInfo, then the details altogether: the code and
// message always arrive as they did without details.
grpc::Status ToGrpcStatus(const absl::Status& status);
// Restores the payloads from the binary error details (ignored when they do not decode or
// disagree with the status code).
absl::Status FromGrpcStatus(const grpc::Status& status);

// A backend's status passed on unchanged (the gateway's facade). A status with details keeps
// them byte for byte; one without was made by the channel to the backend (not reachable, past
// the deadline) and gets the derived details, UNAVAILABLE with reason BACKEND_UNAVAILABLE.
grpc::Status ForwardedStatus(const grpc::Status& status);

inline constexpr size_t kMaxErrorDetailsBytes = 4096;
inline constexpr size_t kMaxErrorTrailerBytes = 6144;

// The bytes the encoded google.rpc.Status may take beside `message`: kMaxErrorDetailsBytes, and
// no more than kMaxErrorTrailerBytes less the message as grpc-message encodes it.
size_t ErrorDetailsBudget(absl::string_view message);

// The details the edge derives when `status` carries none of its own. This is the ONE place the
// message convention "<field>: <reason>" (e.g. "activity.start_date: '2024-13-40' is not a
// date") is interpreted. When the message starts with a field path matching
//   [a-z_][a-z0-9_]*(\[[0-9]+\])?(\.[a-z_][a-z0-9_]*(\[[0-9]+\])?)*
// followed by ": " and the status carries neither a BadRequest nor a PreconditionFailure:
//   INVALID_ARGUMENT, OUT_OF_RANGE -> BadRequest{field, description: the rest of the message}
//   FAILED_PRECONDITION            -> PreconditionFailure{type FIELD, subject field, description}
// Messages of any other shape get no field. Every status without an ErrorInfo gets one: reason
// FIELD_INVALID for an INVALID_ARGUMENT naming a field, RESOURCE_NOT_FOUND for NOT_FOUND,
// RESOURCE_EXISTS for ALREADY_EXISTS, otherwise the code's name ("PERMISSION_DENIED",
// "UNAVAILABLE"...); domain "imp.v1", metadata {field} when a field was found. OK stays OK.
absl::Status WithDerivedDetails(absl::Status status);

// The canonical name of a status code ("INVALID_ARGUMENT"), for logs and command-line output.
const char* StatusCodeName(grpc::StatusCode code);

}  // namespace imp

#endif  // IMP_COMMON_STATUS_H_
