#ifndef IMP_REGISTRY_FRAMEWORK_H_
#define IMP_REGISTRY_FRAMEWORK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/db/connection.h"
#include "imp/registry/v1/registry.pb.h"
#include "registry-service/src/store.h"

// Framework agreements that bring in members (e.g. the MoH–GIZ memorandum of October 2025,
// which "integrates 17 more medical institutions from Germany" without naming them):
//   - only a KIND_FRAMEWORK_AGREEMENT declares members (declared_member_count, 0..100,000) or
//     names them (member_institutions);
//   - the named members never exceed the declared count (naming an 18th member of a framework
//     that declared 17 is refused: raise the declaration first, so the declared number stays
//     the programme's statement of record and "declared but not yet named" is never negative);
//   - a named member is not a party of the framework itself, and is named once;
//   - an agreement concluded under a framework names it as parent_agreement: the parent exists,
//     is not deleted, is a framework, and is not the agreement itself; frameworks do not nest
//     (a framework has no parent), so parent links never form a cycle;
//   - a framework with agreements under it (not deleted) keeps its kind and is not deleted.
namespace imp::registry {

// The field rules above that need no database; messages name the field.
absl::Status ValidateFrameworkFields(const v1::Agreement& agreement);

// The parent and named members of `agreement` (stored as `id`), resolved and locked in share
// mode; FAILED_PRECONDITION naming the field when one does not exist, is deleted, or the
// parent is not a framework.
struct FrameworkLinks {
  std::optional<int64_t> parent_pk;
  std::vector<int64_t> member_pks;
};
absl::StatusOr<FrameworkLinks> LockFrameworkLinks(db::Connection& c, const std::string& id,
                                                  const v1::Agreement& agreement);

// Replaces the agreement's named members (pks in order).
void ReplaceMembers(db::Connection& c, int64_t agreement_pk, const std::vector<int64_t>& pks);
// Loads the named members into the row's agreement.
void LoadMembers(db::Connection& c, store::AgreementRow& row);

// FAILED_PRECONDITION when agreements (not deleted) are concluded under the framework `row`;
// `what` says what that forbids, e.g. "it cannot be deleted".
absl::Status NoChildAgreements(db::Connection& c, const store::AgreementRow& row,
                               absl::string_view field, absl::string_view what);

}  // namespace imp::registry

#endif  // IMP_REGISTRY_FRAMEWORK_H_
