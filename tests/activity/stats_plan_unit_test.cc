// PlanPeriod: which days of a statistics period are read from the rollups (whole months) and
// which from the activity rows (partial months). No database.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "activity-service/src/stats.h"
#include "gtest/gtest.h"

namespace imp::activity {
namespace {

using absl::CivilDay;
using absl::CivilMonth;

std::string Describe(const PeriodPlan& p) {
  std::vector<std::string> raw;
  for (const auto& [from, to] : p.raw)
    raw.push_back(absl::StrCat(absl::FormatCivilTime(from), "..", absl::FormatCivilTime(to)));
  std::string months = "none";
  if (p.months) {
    months = absl::StrCat(p.first_month ? absl::FormatCivilTime(*p.first_month) : "*", "..",
                          p.last_month ? absl::FormatCivilTime(*p.last_month) : "*");
    for (CivilMonth m : p.excluded_months) absl::StrAppend(&months, " -", absl::FormatCivilTime(m));
  }
  return absl::StrCat("rollups ", months, "; rows ",
                      raw.empty() ? "none" : absl::StrJoin(raw, ", "));
}

TEST(PlanPeriod, WholeMonthsComeFromRollupsAlone) {
  EXPECT_EQ(Describe(PlanPeriod(CivilDay(2024, 2, 1), CivilDay(2024, 6, 30), {})),
            "rollups 2024-02..2024-06; rows none");
  EXPECT_EQ(Describe(PlanPeriod(CivilDay(2024, 2, 1), CivilDay(2024, 2, 29), {})),
            "rollups 2024-02..2024-02; rows none");
  EXPECT_EQ(Describe(PlanPeriod(std::nullopt, std::nullopt, {})), "rollups *..*; rows none");
  EXPECT_EQ(Describe(PlanPeriod(std::nullopt, CivilDay(2023, 12, 31), {})),
            "rollups *..2023-12; rows none");
}

TEST(PlanPeriod, PartialMonthsAtTheEdgesComeFromActivityRows) {
  // The brief's example: 15-31 January from the rows, February-June from the rollups.
  EXPECT_EQ(Describe(PlanPeriod(CivilDay(2024, 1, 15), CivilDay(2024, 6, 30), {})),
            "rollups 2024-02..2024-06; rows 2024-01-15..2024-01-31");
  EXPECT_EQ(Describe(PlanPeriod(CivilDay(2024, 1, 15), CivilDay(2024, 6, 2), {})),
            "rollups 2024-02..2024-05; rows 2024-01-15..2024-01-31, 2024-06-01..2024-06-02");
  EXPECT_EQ(Describe(PlanPeriod(std::nullopt, CivilDay(2025, 11, 26), {})),
            "rollups *..2025-10; rows 2025-11-01..2025-11-26");
  EXPECT_EQ(Describe(PlanPeriod(CivilDay(2024, 2, 29), std::nullopt, {})),
            "rollups 2024-03..*; rows 2024-02-29..2024-02-29");
}

TEST(PlanPeriod, PeriodsWithoutAWholeMonthComeFromActivityRowsAlone) {
  EXPECT_EQ(Describe(PlanPeriod(CivilDay(2024, 4, 2), CivilDay(2024, 4, 30), {})),
            "rollups none; rows 2024-04-02..2024-04-30");
  EXPECT_EQ(Describe(PlanPeriod(CivilDay(2024, 4, 15), CivilDay(2024, 5, 14), {})),
            "rollups none; rows 2024-04-15..2024-05-14");
  EXPECT_EQ(Describe(PlanPeriod(CivilDay(2024, 4, 1), CivilDay(2024, 4, 1), {})),
            "rollups none; rows 2024-04-01..2024-04-01");
  EXPECT_EQ(Describe(PlanPeriod(CivilDay(2024, 4, 2), CivilDay(2024, 4, 1), {})),
            "rollups none; rows none");
}

TEST(PlanPeriod, AMonthWithAnExcludedDayComesFromActivityRows) {
  EXPECT_EQ(Describe(PlanPeriod(CivilDay(2024, 1, 1), CivilDay(2024, 6, 30),
                                {CivilDay(2024, 3, 8), CivilDay(2024, 3, 9), CivilDay(2023, 5, 1),
                                 CivilDay(2024, 5, 1)})),
            "rollups 2024-01..2024-06 -2024-03 -2024-05; rows 2024-03-01..2024-03-31, "
            "2024-05-01..2024-05-31");
  // An excluded day in a partial month: the rows of that month are read anyway.
  EXPECT_EQ(
      Describe(PlanPeriod(CivilDay(2024, 1, 15), CivilDay(2024, 3, 31), {CivilDay(2024, 1, 20)})),
      "rollups 2024-02..2024-03; rows 2024-01-15..2024-01-31");
}

}  // namespace
}  // namespace imp::activity
