#ifndef IMP_COMMON_API_RESOURCE_NAME_H_
#define IMP_COMMON_API_RESOURCE_NAME_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imp::api {

// AIP-122 resource ids: ^[a-z][a-z0-9-]{0,62}$ (and not ending in '-').
bool IsValidResourceId(absl::string_view id);

// "institutions/okhmatdyt" with collection "institutions" -> "okhmatdyt". INVALID_ARGUMENT
// naming `field` when the name is malformed or of another collection.
absl::StatusOr<std::string> ParseResourceName(absl::string_view name, absl::string_view collection,
                                              absl::string_view field);

// A fresh server-generated id: a letter followed by 15 random lowercase hex digits.
std::string GenerateResourceId();

// AIP-155 request ids: at most 64 printable ASCII characters (UUIDs recommended).
bool IsValidRequestId(absl::string_view request_id);
// INVALID_ARGUMENT naming "request_id" unless IsValidRequestId.
absl::Status ValidateRequestId(absl::string_view request_id);

// The id of a resource being created (AIP-133): `requested` when it is a valid id, a generated
// one when it is empty, INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<std::string> NewResourceId(absl::string_view requested, absl::string_view field);

}  // namespace imp::api

#endif  // IMP_COMMON_API_RESOURCE_NAME_H_
