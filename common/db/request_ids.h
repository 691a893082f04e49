#ifndef IMP_COMMON_DB_REQUEST_IDS_H_
#define IMP_COMMON_DB_REQUEST_IDS_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/db/connection.h"
#include "google/protobuf/message.h"

namespace imp::db {

// What a request said and who sent it, stored with its request id. Request ids are the caller's
// own (keyed by actor): the same id from another caller is another request and never collides,
// so nobody can claim an id another caller will use, and no error names another caller's
// resource. A caller reusing its id for another request is refused instead of silently answered
// with the first request's result.
struct RequestIdentity {
  std::string fingerprint;  // SHA-256 (hex) of the request, its request_id field left out
  std::string actor;

  // Fingerprints `request` by its deterministic serialization with the `request_id` field
  // cleared, so that only the content counts.
  static RequestIdentity Of(const google::protobuf::Message& request, absl::string_view actor);
};

// The fingerprint of a request that arrives in parts (a client stream): each part is added as it
// arrives (deterministic serialization, length-prefixed), so the stream is never held whole.
// Not thread-safe.
class Fingerprinter {
 public:
  Fingerprinter();
  ~Fingerprinter();
  Fingerprinter(const Fingerprinter&) = delete;
  Fingerprinter& operator=(const Fingerprinter&) = delete;

  void Add(const google::protobuf::Message& part);
  // SHA-256 (hex) of everything added; call once, at the end.
  std::string Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// OK when `stored` (an earlier request with the same id) is the same request from the same
// caller; INVALID_ARGUMENT naming request_id otherwise. Entries from before fingerprints or
// actors were kept (empty) are accepted.
absl::Status CheckSameRequest(const RequestIdentity& stored, const RequestIdentity& now,
                              absl::string_view earlier_resource = "");

// AIP-155 request ids, kept in each service's own `request_ids` table:
//   request_ids(method VARCHAR(64), request_id VARCHAR(64), resource_name VARCHAR(200),
//               create_time DATETIME(6), fingerprint CHAR(64), actor VARCHAR(200),
//               PRIMARY KEY (method, actor, request_id))
//
// Claim inside the creating transaction, before writing the resource. The primary key makes a
// concurrent claim of the same id wait for the first transaction: if it commits, the second
// claim returns the name the first one created; if it rolls back, the second claim succeeds.
// Either way exactly one resource exists per request id.
//
// Returns nullopt when the id is now ours (go on and create `resource_name`), the name of the
// resource an earlier identical request created, or INVALID_ARGUMENT (CheckSameRequest).
absl::StatusOr<std::optional<std::string>> ClaimRequestId(Connection& conn,
                                                          absl::string_view method,
                                                          absl::string_view request_id,
                                                          absl::string_view resource_name,
                                                          const RequestIdentity& identity);

// The resource an earlier identical request with this id created, without claiming the id. For
// callers that must not repeat side effects (such as reference checks) on a retry.
absl::StatusOr<std::optional<std::string>> FindRequestId(Connection& conn, absl::string_view method,
                                                         absl::string_view request_id,
                                                         const RequestIdentity& identity);

// The create skeleton's request-id step (AIP-155), inside the creating transaction and before
// anything is written. Without a request id: false (go on and create). Otherwise the id is
// claimed for `resource_name` (false: go on and create it), or an earlier identical request
// with this id created a resource: `replay(earlier_name)` fills the answer and the result is
// true (write nothing). INVALID_ARGUMENT REQUEST_ID_REUSED when the id was used for another
// request or by another caller (CheckSameRequest).
absl::StatusOr<bool> ClaimOrReplay(Connection& conn, absl::string_view method,
                                   absl::string_view request_id, absl::string_view resource_name,
                                   const RequestIdentity& identity,
                                   absl::FunctionRef<absl::Status(const std::string&)> replay);

// The same without claiming (FindRequestId): true when an earlier identical request was
// replayed. For creates that check references elsewhere before their write transaction.
absl::StatusOr<bool> Replay(Connection& conn, absl::string_view method,
                            absl::string_view request_id, const RequestIdentity& identity,
                            absl::FunctionRef<absl::Status(const std::string&)> replay);

}  // namespace imp::db

#endif  // IMP_COMMON_DB_REQUEST_IDS_H_
