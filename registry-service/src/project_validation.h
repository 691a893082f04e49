#ifndef IMP_REGISTRY_PROJECT_VALIDATION_H_
#define IMP_REGISTRY_PROJECT_VALIDATION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "google/type/date.pb.h"
#include "imp/registry/v1/project.pb.h"

namespace imp::registry {

// A project's serialized size at most: one project always fits a List page (3 MiB) and an
// audit snapshot, whatever its lists hold.
inline constexpr size_t kMaxProjectBytes = size_t{1} << 20;

// Checks a project as it would be stored (after an update mask is applied), field by field;
// messages name the field ("project.budget[0].amount.currency_code: ..."). `known_areas` is
// the cooperation-area codelist, `today` the current UTC date (actual dates, transactions and
// deliveries may not be after it). Whether references exist, and the transaction rule, are
// checked against the database (store::LockProjectReferences).
absl::Status ValidateProject(const v1::Project& project,
                             const absl::flat_hash_set<std::string>& known_areas,
                             const google::type::Date& today);

// The fields UpdateProject may change (the update mask's "*" and its allowed paths).
const std::vector<std::string>& UpdatableProjectFields();

// The current UTC date.
google::type::Date TodayUtc();

}  // namespace imp::registry

#endif  // IMP_REGISTRY_PROJECT_VALIDATION_H_
