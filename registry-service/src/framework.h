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

// The framework-agreement rules that need the stored agreements (the rules themselves are
// described in framework_rules.h): links resolved and locked, named members replaced, children.
namespace imp::registry {

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

// FAILED_PRECONDITION when agreements (not deleted) are concluded under the framework `row`;
// `what` says what that forbids, e.g. "it cannot be deleted".
absl::Status NoChildAgreements(db::Connection& c, const store::AgreementRow& row,
                               absl::string_view field, absl::string_view what);

}  // namespace imp::registry

#endif  // IMP_REGISTRY_FRAMEWORK_H_
