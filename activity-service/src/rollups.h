#ifndef IMP_ACTIVITY_ROLLUPS_H_
#define IMP_ACTIVITY_ROLLUPS_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "common/db/connection.h"
#include "imp/activity/v1/activity.pb.h"

// The statistics rollups (migrations/0004_rollups.sql) kept with the data: every write that
// changes what statistics count collects what it adds and removes here and applies it on its
// own transaction, so the rollups change exactly when the activities do.
namespace imp::activity::rollups {

// The sums a rollup row holds, in the tables' column order.
struct Sums {
  int64_t activities = 0;
  int64_t participants = 0;
  int64_t doctors = 0;
  int64_t operations = 0;
  int64_t patients_treated = 0;
  int64_t specialists = 0;
  int64_t consultations = 0;
  int64_t telemedicine_patients = 0;

  void Add(const Sums& other, int sign);
  bool zero() const;
};

// kind, country, region, agreement_id ('' when none), cooperation_area, direction: the values
// of the activities columns of the same names.
using Dimensions = std::array<std::string, 6>;
// stats_months: (month, dimensions). stats_teams: (month, team, dimensions).
using MonthKey = std::tuple<std::string, Dimensions>;
using TeamKey = std::tuple<std::string, std::string, Dimensions>;

// The id of the set of institution ids `ids` (any order, repeats ignored): the first 32 hex
// digits of SHA-256 of the sorted distinct ids joined by ','. The migration and
// VerifyStatistics compute the same in SQL (SHA2 of GROUP_CONCAT ... ORDER BY ... SEPARATOR ',').
std::string TeamId(std::vector<std::string> ids);

// What a set of writes adds to and removes from the rollups. Not thread-safe (one per
// transaction).
class Deltas {
 public:
  // Counts `activity` (complete, as stored: kind, location, direction, details, institutions)
  // once more (sign +1) or once less (sign -1). A deleted activity counts nowhere: callers
  // pass only live ones.
  void Add(const v1::Activity& activity, int sign);

  // Distinct rollup rows touched so far.
  size_t size() const { return months_.size() + teams_.size(); }
  bool empty() const { return months_.empty() && teams_.empty(); }

  // Writes everything collected on `c` (inside the caller's transaction) and clears it: one
  // multi-row upsert per table in key order (rows whose deltas cancel out are left alone), the
  // members of teams not stored yet, then deletes the rows that no activity counts in any more.
  // Throws sql::SQLException.
  void Apply(db::Connection& c);

 private:
  std::map<MonthKey, Sums> months_;
  std::map<TeamKey, Sums> teams_;
  std::map<std::string, std::vector<std::string>> members_;  // team id -> institution ids
};

}  // namespace imp::activity::rollups

#endif  // IMP_ACTIVITY_ROLLUPS_H_
