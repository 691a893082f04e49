#ifndef IMP_COMMON_DB_REQUEST_IDS_H_
#define IMP_COMMON_DB_REQUEST_IDS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "common/db/connection.h"

namespace imp::db {

// AIP-155 request ids, kept in each service's own `request_ids` table:
//   request_ids(method VARCHAR(64), request_id VARCHAR(64), resource_name VARCHAR(200),
//               create_time DATETIME(6), PRIMARY KEY (method, request_id))
//
// Claim inside the creating transaction, before writing the resource. The primary key makes a
// concurrent claim of the same id wait for the first transaction: if it commits, the second
// claim returns the name the first one created; if it rolls back, the second claim succeeds.
// Either way exactly one resource exists per request id.
//
// Returns nullopt when the id is now ours (go on and create `resource_name`), or the name of the
// resource an earlier request with this id created.
std::optional<std::string> ClaimRequestId(Connection& conn, absl::string_view method,
                                          absl::string_view request_id,
                                          absl::string_view resource_name);

// The resource an earlier request with this id created, without claiming the id. For callers
// that must not repeat side effects (such as reference checks) on a retry.
std::optional<std::string> FindRequestId(Connection& conn, absl::string_view method,
                                         absl::string_view request_id);

}  // namespace imp::db

#endif  // IMP_COMMON_DB_REQUEST_IDS_H_
