// PlanPeriod: which days of a statistics period come from the rollups (whole months) and which
// from the activity rows (partial months).
#include <algorithm>

#include "activity-service/src/stats.h"

namespace imp::activity {
namespace {

bool IsLastDayOfMonth(absl::CivilDay d) { return (d + 1).day() == 1; }

absl::CivilDay LastDay(absl::CivilMonth m) { return absl::CivilDay(m + 1) - 1; }

}  // namespace

PeriodPlan PlanPeriod(std::optional<absl::CivilDay> from, std::optional<absl::CivilDay> to,
                      std::vector<absl::CivilDay> excluded) {
  PeriodPlan plan;
  if (from && to && *from > *to) return plan;  // nothing can match
  std::optional<absl::CivilMonth> first, last;
  if (from) first = absl::CivilMonth(*from) + (from->day() == 1 ? 0 : 1);
  if (to) last = absl::CivilMonth(*to) - (IsLastDayOfMonth(*to) ? 0 : 1);
  if (first && last && *first > *last) {
    // No whole month inside: [from, to] lies within one month or two adjacent partial ones.
    plan.raw.emplace_back(*from, *to);
    return plan;
  }
  plan.months = true;
  plan.first_month = first;
  plan.last_month = last;
  if (from && from->day() != 1) plan.raw.emplace_back(*from, LastDay(absl::CivilMonth(*from)));
  if (to && !IsLastDayOfMonth(*to))
    plan.raw.emplace_back(absl::CivilDay(absl::CivilMonth(*to)), *to);
  std::sort(excluded.begin(), excluded.end());
  for (absl::CivilDay d : excluded) {
    const absl::CivilMonth m(d);
    if ((first && m < *first) || (last && m > *last)) continue;  // a partial month: raw anyway
    if (!plan.excluded_months.empty() && plan.excluded_months.back() == m) continue;
    plan.excluded_months.push_back(m);
    plan.raw.emplace_back(absl::CivilDay(m), LastDay(m));
  }
  return plan;
}

}  // namespace imp::activity
