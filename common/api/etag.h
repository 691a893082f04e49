#ifndef IMP_COMMON_API_ETAG_H_
#define IMP_COMMON_API_ETAG_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

// AIP-154 entity tags, the same for every resource of every service: a stored row's revision
// (which every write increments) is its version.
namespace imp::api {

// The etag of a row at `revision`: "r<revision>".
std::string EtagOf(int64_t revision);

// OK when `requested` is empty (unconditional) or equals `current`; otherwise ABORTED
// ("etag: <name> has changed ...; read it again and retry") with reason ETAG_MISMATCH and the
// field etag, so that a client knows to read again and retry.
absl::Status CheckEtag(absl::string_view requested, absl::string_view current,
                       absl::string_view name);

// ABORTED with reason ETAG_MISMATCH for a resource that changed between a method's read and its
// write (methods that must not hold row locks across a call to another service).
absl::Status ChangedMeanwhile(absl::string_view name);

}  // namespace imp::api

#endif  // IMP_COMMON_API_ETAG_H_
