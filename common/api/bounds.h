#ifndef IMP_COMMON_API_BOUNDS_H_
#define IMP_COMMON_API_BOUNDS_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <cstddef>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/api/text.h"

// Size limits on every string and repeated field of a request, checked by reflection before a
// method does anything else: what a client sends is bounded field by field, so no request can
// make a row, a response page, an error message or a log line unboundedly large.
namespace imp::api {

// The limits of one field.
struct FieldLimit {
  size_t max_bytes = 0;    // a string field: its value; a repeated string field: each element
  size_t max_entries = 0;  // a repeated field: how many elements
  // A string field (not bytes): which layout characters it may hold (CheckStoredText).
  TextLines lines = TextLines::kOne;
};

// Limits by the field's full name, e.g. "imp.registry.v1.Institution.display_name".
using FieldLimits = absl::flat_hash_map<std::string, FieldLimit>;

// The limits every service's standard methods share (AIP fields of every request); each service
// brings them into its own `limits` namespace and adds its resources' limits there.
namespace standard_limits {
inline constexpr size_t kMaxResourceNameBytes = 200;  // collection/{id}
inline constexpr size_t kMaxResourceIdBytes = 63;     // the *_id of a Create
inline constexpr size_t kMaxEtagBytes = 64;
inline constexpr size_t kMaxRequestIdBytes = 64;
inline constexpr size_t kMaxPageTokenBytes = 8192;
inline constexpr size_t kMaxOrderByBytes = 100;
inline constexpr size_t kMaxBatchNames = 1000;
inline constexpr size_t kMaxUpdateMaskPaths = 50;
inline constexpr size_t kMaxUpdateMaskPathBytes = 100;
}  // namespace standard_limits

// What a field missing from a FieldLimits table gets (a field added to a proto later is bounded
// before anyone chooses its limit; the services' tests check that none is missing).
inline constexpr FieldLimit kDefaultFieldLimit{1000, 100};

// Checks every string and repeated field set in `message`, and in the messages inside it, against
// `limits`: sizes, counts, and no control characters in a string field (CheckStoredText, by the
// field's `lines`). INVALID_ARGUMENT names the field by its path below `prefix`:
//   "institution.short_names[3]: at most 100 bytes (got 15360)"
//   "activity.training.participant_groups: at most 1000 entries (got 150000)"
//   "project.title: control character U+001B at byte 7 is not allowed (a single-line field)"
absl::Status CheckBounds(const google::protobuf::Message& message, absl::string_view prefix,
                         const FieldLimits& limits);

// The full names of the string and repeated fields reachable from `root` (through message
// fields, well-known types included) that `limits` does not list, sorted. For tests.
std::vector<std::string> UnlistedFields(const google::protobuf::Descriptor* root,
                                        const FieldLimits& limits);

}  // namespace imp::api

#endif  // IMP_COMMON_API_BOUNDS_H_
