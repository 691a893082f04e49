#ifndef IMP_REGISTRY_FRAMEWORK_RULES_H_
#define IMP_REGISTRY_FRAMEWORK_RULES_H_

#include "absl/status/status.h"
#include "imp/registry/v1/registry.pb.h"

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

// The field rules above that need no database; messages name the field. The rules that need the
// stored agreements are in framework.h.
absl::Status ValidateFrameworkFields(const v1::Agreement& agreement);

}  // namespace imp::registry

#endif  // IMP_REGISTRY_FRAMEWORK_RULES_H_
