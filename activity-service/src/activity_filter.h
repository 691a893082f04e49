#ifndef IMP_ACTIVITY_ACTIVITY_FILTER_H_
#define IMP_ACTIVITY_ACTIVITY_FILTER_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/api/filter.h"
#include "common/db/query.h"

namespace imp::activity {

// Parses a ListActivities / GetActivityStats filter (bounded, every value checked: see
// api::ParseFilter) and appends its conditions (on the activities table aliased `a`) to
// `query`: at most one condition per field, whatever the number of terms. INVALID_ARGUMENT
// messages start with "filter:".
absl::Status AppendActivityFilter(absl::string_view filter, db::Query& query);

// The same filter parsed and folded field by field (api::CompileFilter with the activity
// fields), for queries over other tables than activities (the statistics rollups).
absl::StatusOr<api::CompiledFilter> CompileActivityFilter(absl::string_view filter);

}  // namespace imp::activity

#endif  // IMP_ACTIVITY_ACTIVITY_FILTER_H_
