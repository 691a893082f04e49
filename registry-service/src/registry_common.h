#ifndef IMP_REGISTRY_REGISTRY_COMMON_H_
#define IMP_REGISTRY_REGISTRY_COMMON_H_

#include <google/protobuf/message.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/db/changes.h"
#include "common/db/connection.h"
#include "common/server/request_context.h"

// Pieces the institution and agreement halves of Registry share.
namespace imp::registry {

// AIP-154: an etag in a request must match the stored one; "" means unconditional.
absl::Status CheckEtag(absl::string_view requested, absl::string_view current,
                       absl::string_view name);

// Records an audit entry for `resource` (already carrying its new revision/etag) and appends the
// change to the change feed (store::AppendToFeed). Every write path calls it as the last step of
// its transaction, so a committed change is in the audit trail and the feed, or in neither.
void Audit(db::Connection& c, const RequestContext& ctx, const std::string& name, int64_t revision,
           absl::string_view action, const std::vector<std::string>& fields,
           const google::protobuf::Message& resource, absl::Time now);

// The request-id method keys (one namespace per Create method).
inline constexpr char kCreateInstitutionMethod[] = "CreateInstitution";
inline constexpr char kCreateAgreementMethod[] = "CreateAgreement";

// The current time truncated to microseconds, as DATETIME(6) stores it, so that what a write
// returns equals what a later read returns.
absl::Time NowMicros();

}  // namespace imp::registry

#endif  // IMP_REGISTRY_REGISTRY_COMMON_H_
