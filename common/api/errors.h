#ifndef IMP_COMMON_API_ERRORS_H_
#define IMP_COMMON_API_ERRORS_H_

#include <google/protobuf/message.h>

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"

// Errors that programs can act on without reading message text (AIP-193).
//
// Every error the services return carries google.rpc error details: always an ErrorInfo
// {reason, domain "imp.v1", metadata}, and where they apply a BadRequest (the fields that are
// wrong), a PreconditionFailure (what state the request conflicts with) and a ResourceInfo (the
// resource the error is about). Inside a process the details ride on absl::Status as payloads
// keyed by their type URL ("type.googleapis.com/google.rpc.BadRequest"); common/status.h turns
// them into the google.rpc.Status of the `grpc-status-details-bin` trailer and back, so they
// survive forwarding through the gateway.
//
// The message text stays for people and logs; clients read the details (FieldOf, ReasonOf,
// ResourceNameOf below, or any language's google.rpc decoder).
namespace imp::api {

// The ErrorInfo domain of every reason below.
inline constexpr char kErrorDomain[] = "imp.v1";

// Stable reasons (ErrorInfo.reason). Errors without an explicit reason get one derived from
// their code at the edge (ToGrpcStatus): the code's name, or RESOURCE_NOT_FOUND,
// RESOURCE_EXISTS, and FIELD_INVALID for an INVALID_ARGUMENT that names a field.
inline constexpr char kReasonFieldInvalid[] = "FIELD_INVALID";
inline constexpr char kReasonResourceNotFound[] = "RESOURCE_NOT_FOUND";
inline constexpr char kReasonResourceExists[] = "RESOURCE_EXISTS";
inline constexpr char kReasonEtagMismatch[] = "ETAG_MISMATCH";
inline constexpr char kReasonReferenceInvalid[] = "REFERENCE_INVALID";
inline constexpr char kReasonRequestIdReused[] = "REQUEST_ID_REUSED";
inline constexpr char kReasonOverloaded[] = "OVERLOADED";
inline constexpr char kReasonUnauthenticated[] = "UNAUTHENTICATED";
inline constexpr char kReasonPermissionDenied[] = "PERMISSION_DENIED";
inline constexpr char kReasonBackendUnavailable[] = "BACKEND_UNAVAILABLE";
inline constexpr char kReasonDeadlineExceeded[] = "DEADLINE_EXCEEDED";
// A BatchGet whose answer would pass the page byte budget (page_budget.h); ErrorInfo metadata
// "fits" says how many of the names, in order, fit: ask for them, then for the rest.
inline constexpr char kReasonAnswerTooLarge[] = "ANSWER_TOO_LARGE";
// A query that ran past the database time its method allows one call (the cost budget of
// statistics and filtered lists): narrow it. RESOURCE_EXHAUSTED, never retried as it is.
inline constexpr char kReasonQueryTooExpensive[] = "QUERY_TOO_EXPENSIVE";

// PreconditionFailure.Violation.type values; the subject is always the request field.
inline constexpr char kPreconditionField[] = "FIELD";          // the field's value, in general
inline constexpr char kPreconditionReference[] = "REFERENCE";  // a referenced resource

// "type.googleapis.com/<full name>", the type URL of a message type (Any, payload keys,
// ResourceInfo.resource_type).
std::string TypeUrl(absl::string_view full_name);
template <typename M>
std::string ResourceType() {
  return TypeUrl(M::descriptor()->full_name());
}

// Attaches `detail` to `status` as the payload of its type (replacing one of the same type).
void SetDetail(absl::Status& status, const google::protobuf::Message& detail);
// The detail of type D attached to `status`, if any.
template <typename D>
std::optional<D> GetDetail(const absl::Status& status) {
  auto payload = status.GetPayload(TypeUrl(D::descriptor()->full_name()));
  D detail;
  if (!payload.has_value() || !detail.ParseFromString(std::string(*payload))) return std::nullopt;
  return detail;
}

// INVALID_ARGUMENT "<field>: <description>" with BadRequest{field, description}, FIELD_INVALID.
absl::Status InvalidField(absl::string_view field, absl::string_view description);

// FAILED_PRECONDITION "<field>: <description>" with PreconditionFailure{type, subject: field,
// description} and ErrorInfo `reason` (metadata field).
absl::Status FailedField(absl::string_view field, absl::string_view description,
                         absl::string_view type = kPreconditionField,
                         absl::string_view reason = "FAILED_PRECONDITION");

// A reference the request makes that the registry does not accept: FAILED_PRECONDITION
// "<field>: <name> <description>", PreconditionFailure REFERENCE on the field, ResourceInfo
// naming the referenced resource, REFERENCE_INVALID (metadata field, resource).
absl::Status InvalidReference(absl::string_view field, absl::string_view name,
                              absl::string_view description);

// NOT_FOUND "<name> not found" (or "<field>: <name> not found" when the name came from a
// request field such as "names[2]"), ResourceInfo{resource_type, name}, a BadRequest on the
// field when there is one, RESOURCE_NOT_FOUND (metadata resource, field).
absl::Status ResourceNotFound(absl::string_view resource_type, absl::string_view name,
                              absl::string_view field = "");

// ALREADY_EXISTS "<field>: <description>" (description defaults to "<name> already exists"),
// ResourceInfo naming the resource that exists, RESOURCE_EXISTS (metadata resource, field).
// `name` is the existing resource, which may differ from the one the request asked for (an
// institution with the same display name exists under another id).
absl::Status ResourceExists(absl::string_view resource_type, absl::string_view name,
                            absl::string_view field, absl::string_view description = "");

// AIP-155: `request_id` was used before by another request (`why` says how it differs: other
// content, another caller), which created `earlier` ("" when unknown). INVALID_ARGUMENT naming the
// field request_id, ResourceInfo `earlier`, REQUEST_ID_REUSED. Nothing was written.
absl::Status RequestIdReused(absl::string_view why, absl::string_view earlier = "");

// `status` with RetryInfo: the client may retry after `delay` (overload, draining).
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);

// `status` with another message, its code and every detail kept (a backend's error passed on
// with the caller's context in front).
absl::Status WithMessage(const absl::Status& status, absl::string_view message);

// `status` with ErrorInfo {reason, domain imp.v1, metadata} (replacing an earlier ErrorInfo;
// metadata keys of the earlier one that `metadata` lacks are kept). OK stays OK.
absl::Status WithReason(absl::Status status, absl::string_view reason,
                        const std::map<std::string, std::string>& metadata = {});

// What a client reads (after FromGrpcStatus):
// ErrorInfo.reason, or "" when the status carries none.
std::string ReasonOf(const absl::Status& status);
// The request field the error is about: the first BadRequest field violation, else the first
// PreconditionFailure subject, else ErrorInfo metadata "field"; "" when none.
std::string FieldOf(const absl::Status& status);
// What the detail that named the field says about it ("" when no violation names one).
std::string FieldDescriptionOf(const absl::Status& status);
// How many names of a BatchGet refused as ANSWER_TOO_LARGE fit (at least 1), or -1 when
// `status` is not that refusal.
int AnswerFitsOf(const absl::Status& status);
// ResourceInfo.resource_name, or "".
std::string ResourceNameOf(const absl::Status& status);

}  // namespace imp::api

#endif  // IMP_COMMON_API_ERRORS_H_
