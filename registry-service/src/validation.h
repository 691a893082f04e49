#ifndef IMP_REGISTRY_VALIDATION_H_
#define IMP_REGISTRY_VALIDATION_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "imp/registry/v1/registry.pb.h"

namespace imp::registry {

// Checks a whole institution as it would be stored (after an update mask is applied).
// Messages name the field as "institution.<field>".
absl::Status ValidateInstitution(const v1::Institution& institution);

// Checks an agreement's own fields. Whether parties exist is checked against the database.
// `known_areas` is the cooperation-area codelist.
absl::Status ValidateAgreement(const v1::Agreement& agreement,
                               const absl::flat_hash_set<std::string>& known_areas);

// The duplicate-detection key of a display name: lower-cased (ASCII and Cyrillic), with
// punctuation dropped and runs of white space folded to one space.
std::string NormalizeName(absl::string_view name);

// Agreement lifecycle (AIP-216): may an agreement move from `from` to `to`?
//   PROPOSED  -> ACTIVE | TERMINATED
//   ACTIVE    -> SUSPENDED | EXPIRED | TERMINATED
//   SUSPENDED -> ACTIVE | EXPIRED | TERMINATED
//   EXPIRED, TERMINATED: final.
bool IsAllowedTransition(v1::Agreement::State from, v1::Agreement::State to);

}  // namespace imp::registry

#endif  // IMP_REGISTRY_VALIDATION_H_
