#ifndef IMP_ACTIVITY_STATS_H_
#define IMP_ACTIVITY_STATS_H_

#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "common/db/connection.h"
#include "imp/activity/v1/activity.pb.h"

// GetActivityStats, its two ways of computing, and the split of a period between them.
//
// Statistics come from the rollups (migrations/0004_rollups.sql) for the whole months of the
// period and from the activity rows for its partial months only (stats.cc); filters the
// rollups cannot answer exactly use the activity rows for the whole period (stats_raw.cc).
// Both give the same answer on the same data: that is what VerifyStatistics and the rollup
// tests check.
namespace imp::activity {

// How a period [from, to] (inclusive days; nullopt: unbounded) is read.
struct PeriodPlan {
  // Day ranges (inclusive) read from the activity rows: the partial months at the edges, and
  // the months of days the filter excludes (`start_date != d`).
  std::vector<std::pair<absl::CivilDay, absl::CivilDay>> raw;
  // Whether some whole months are read from the rollups: those from first_month to last_month
  // (nullopt: unbounded on that side) but excluded_months.
  bool months = false;
  std::optional<absl::CivilMonth> first_month, last_month;
  std::vector<absl::CivilMonth> excluded_months;
};

// Splits [from, to] into whole months and partial ones; `excluded` are days the filter leaves
// out (their months are read from the activity rows, which the filter then applies to).
PeriodPlan PlanPeriod(std::optional<absl::CivilDay> from, std::optional<absl::CivilDay> to,
                      std::vector<absl::CivilDay> excluded);

// GetActivityStats computed from the activity rows alone, as before the rollups existed: the
// definition the rollups must reproduce. Runs on `c` (the caller's transaction, so its
// queries see one snapshot); the request must have been validated (see GetActivityStats).
// Throws sql::SQLException.
absl::Status StatsFromActivities(db::Connection& c, const v1::GetActivityStatsRequest& req,
                                 v1::GetActivityStatsResponse* out);

}  // namespace imp::activity

#endif  // IMP_ACTIVITY_STATS_H_
