#ifndef IMP_REGISTRY_REGISTRY_FILTER_H_
#define IMP_REGISTRY_REGISTRY_FILTER_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/db/query.h"

namespace imp::registry {

// Parse a ListInstitutions / ListAgreements filter (bounded, every value checked: see
// api::ParseFilter) and append its conditions (on institutions aliased `i`, agreements aliased
// `a`) to `query`: at most one condition per field, whatever the number of terms.
// INVALID_ARGUMENT messages start with "filter:".
absl::Status AppendInstitutionFilter(absl::string_view filter, db::Query& query);
absl::Status AppendAgreementFilter(absl::string_view filter, db::Query& query);
// ListProjects (projects aliased `p`).
absl::Status AppendProjectFilter(absl::string_view filter, db::Query& query);

}  // namespace imp::registry

#endif  // IMP_REGISTRY_REGISTRY_FILTER_H_
