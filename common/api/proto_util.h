#ifndef IMP_COMMON_API_PROTO_UTIL_H_
#define IMP_COMMON_API_PROTO_UTIL_H_

#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/type/date.pb.h"

namespace imp::api {

// google.type.Date <-> "YYYY-MM-DD" (the text MariaDB's DATE columns take and return).
bool IsSet(const google::type::Date& date);
// INVALID_ARGUMENT naming `field` unless the date is a complete, real calendar date.
absl::Status ValidateDate(const google::type::Date& date, absl::string_view field);
std::string DateToString(const google::type::Date& date);
absl::StatusOr<google::type::Date> DateFromString(absl::string_view text, absl::string_view field);
int CompareDates(const google::type::Date& a, const google::type::Date& b);

google::protobuf::Timestamp ToTimestamp(absl::Time t);

// A list of strings <-> a JSON array (for JSON columns), through google.protobuf.ListValue.
std::string StringsToJson(const google::protobuf::RepeatedPtrField<std::string>& values);
std::vector<std::string> StringsFromJson(absl::string_view json);

// The proto JSON of `message` (for audit snapshots).
std::string ToJson(const google::protobuf::Message& message);

// AIP-134 update masks. `updatable` lists the paths a client may change; every other field of
// the resource is output only or immutable. An empty mask means "the fields set in `patch`";
// "*" means every updatable field. Returns the effective paths, or INVALID_ARGUMENT naming
// the offending path.
absl::StatusOr<std::vector<std::string>> ResolveUpdateMask(
    const google::protobuf::FieldMask& mask, const google::protobuf::Message& patch,
    const std::vector<std::string>& updatable);

// Copies the fields named by `paths` (top-level fields) from `patch` into `target`, replacing
// repeated fields rather than appending to them.
void ApplyUpdateMask(const std::vector<std::string>& paths, const google::protobuf::Message& patch,
                     google::protobuf::Message* target);

}  // namespace imp::api

#endif  // IMP_COMMON_API_PROTO_UTIL_H_
