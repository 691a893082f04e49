#ifndef IMP_GATEWAY_AUTH_H_
#define IMP_GATEWAY_AUTH_H_

#include <grpcpp/support/string_ref.h>

#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace imp::gateway {

enum class Role { kViewer = 1, kEditor = 2, kAdmin = 3 };

// Roles: a viewer reads; an editor also creates and updates; an admin also deletes and
// undeletes. An editor whose token lists institutions (its scope S) is a *scoped editor* and may
// write only what belongs to S (scope.h implements this; the facade applies it):
//   - institutions: update only institutions in S; never create (nor delete: admin only);
//   - agreements: create only with a party in S; update only when the stored agreement has a
//     party in S AND the agreement as it will be (after the update mask) has a party in S;
//     Activate/Suspend/Expire/Terminate only when the stored agreement has a party in S;
//   - activities belong to their host institution: create only with the host in S; update only
//     when the stored host is in S AND the host after the update is in S; whenever the activity
//     after the write names an agreement, that agreement (read from the registry) must have a
//     party in S (PERMISSION_DENIED naming `activity.agreement` otherwise). Being a partner or
//     sending participants grants no write access;
//   - what a write links to, checked for what the write adds (links already stored stay): each
//     agreement a project is linked to, and the framework an agreement is concluded under
//     (parent_agreement), must have a party in S; each framework member named must be in S.
// The stored record is read from the backend at request time, never taken from the client. A
// write authorised on a stored record is forwarded with the client's etag when it sent one (the
// service catches a change since the client's read) and otherwise with the etag of the record
// the gateway authorised on, so a change between the check and the write fails ABORTED.
// A write method without a rule is refused to scoped editors (fail closed).

// Who a bearer token stands for.
struct Principal {
  std::string actor;  // recorded in the services' audit trails
  Role role = Role::kViewer;
  // For a scoped editor, the institutions (names) it may change; empty means unscoped.
  absl::flat_hash_set<std::string> scope;
  // When the token stops being accepted (`expires=` in the tokens file); never by default.
  absl::Time expires = absl::InfiniteFuture();
  bool scoped() const { return role == Role::kEditor && !scope.empty(); }
  bool InScope(absl::string_view institution) const { return scope.contains(institution); }
};

// What a method needs.
enum class Access { kRead, kWrite, kAdmin };

// The bearer tokens the gateway accepts, from a file that stores only SHA-256 hashes:
//   # comment
//   <sha256-hex of the token> <viewer|editor|admin> <actor> [institutions/<id> ...]
//       [expires=<RFC 3339 time, e.g. 2027-01-31T00:00:00Z>]
class TokenStore {
 public:
  static absl::StatusOr<TokenStore> Load(const std::string& path);
  static absl::StatusOr<TokenStore> Parse(absl::string_view text);

  // UNAUTHENTICATED unless `authorization` metadata carries "Bearer <known token>" that has not
  // expired at `now`.
  absl::StatusOr<Principal> Authenticate(
      const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
      absl::Time now = absl::Now()) const;

  size_t size() const { return by_hash_.size(); }

 private:
  absl::flat_hash_map<std::string, Principal> by_hash_;
};

// PERMISSION_DENIED unless `who` may make a call needing `access`.
absl::Status Authorize(const Principal& who, Access access, absl::string_view method);

// The access a RegistryService/ActivityService method needs, by its name: reads (Get, List,
// BatchGet, stats, history) need viewer; Delete, Undelete and VerifyStatistics need admin; the
// rest need editor.
Access AccessOf(absl::string_view method);

// The institutions a scoped editor must have at least one of; PERMISSION_DENIED naming them
// otherwise. (A building block; the write policy itself is in scope.h.)
absl::Status CheckScope(const Principal& who, const std::vector<std::string>& institutions,
                        absl::string_view what);

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_AUTH_H_
