#include "activity-service/src/rollups.h"

#include <algorithm>
#include <utility>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "activity-service/src/statements.h"
#include "activity-service/src/store.h"
#include "activity-service/src/validation.h"
#include "common/db/migrations.h"
#include "common/db/query.h"

namespace imp::activity::rollups {
namespace {

using v1::Activity;

// Rows per multi-row statement: at most 16 values a row keeps a statement far below MariaDB's
// 65,535 placeholders and its packet size, and a typical write needs one statement per table.
constexpr size_t kRowsPerStatement = 1000;

// Rows of stats_versions per month (0005_stats_versions.sql): concurrent writers of one month
// bump one of them each, picked at random, so they rarely queue on the same row.
constexpr int kStatsVersionShards = 16;

int RandomShard() {
  thread_local absl::InsecureBitGen bits;
  return absl::Uniform(bits, 0, kStatsVersionShards);
}

std::string MonthOf(const google::type::Date& d) {
  return absl::StrFormat("%04d-%02d-01", d.year(), d.month());
}

Dimensions DimensionsOf(const Activity& a) {
  return {Activity::Kind_Name(KindOf(a)),
          a.location().country(),
          a.location().region(),
          a.agreement().empty() ? std::string() : store::IdOf(a.agreement()),
          a.cooperation_area(),
          Activity::Direction_Name(a.direction())};
}

Sums SumsOf(const Activity& a) {
  const Counters n = CountersOf(a);
  Sums s;
  s.activities = 1;
  s.participants = n.participants;
  s.doctors = n.doctors;
  s.operations = n.operations;
  s.patients_treated = n.patients_treated;
  s.specialists = n.specialists;
  s.consultations = n.consultations;
  s.telemedicine_patients = n.telemedicine_patients;
  return s;
}

void AppendKey(std::vector<db::Query::Value>& values, const Dimensions& d) {
  for (const auto& v : d) values.emplace_back(v);
}

void AppendSums(std::vector<db::Query::Value>& values, const Sums& s) {
  for (int64_t v : {s.activities, s.participants, s.doctors, s.operations, s.patients_treated,
                    s.specialists, s.consultations, s.telemedicine_patients}) {
    values.emplace_back(v);
  }
}

// Runs `open` + one `row` fragment per entry (at most kRowsPerStatement per statement) +
// `close`, binding what `values_of` appends for each entry.
template <typename Entries, typename ValuesOf>
void RunMultiRow(db::Connection& c, const Entries& entries, const char* open, const char* row,
                 const char* close, ValuesOf values_of) {
  for (size_t from = 0; from < entries.size(); from += kRowsPerStatement) {
    db::Query q(open);
    const size_t to = std::min(entries.size(), from + kRowsPerStatement);
    for (size_t i = from; i < to; ++i) {
      std::vector<db::Query::Value> values;
      values_of(*entries[i], values);
      q.BindAll(i == from ? row : absl::StrCat(stmt::kComma, row), std::move(values));
    }
    q.Sql(close);
    q.ExecuteUpdate(c);
  }
}

}  // namespace

void Sums::Add(const Sums& o, int sign) {
  activities += sign * o.activities;
  participants += sign * o.participants;
  doctors += sign * o.doctors;
  operations += sign * o.operations;
  patients_treated += sign * o.patients_treated;
  specialists += sign * o.specialists;
  consultations += sign * o.consultations;
  telemedicine_patients += sign * o.telemedicine_patients;
}

bool Sums::zero() const {
  return activities == 0 && participants == 0 && doctors == 0 && operations == 0 &&
         patients_treated == 0 && specialists == 0 && consultations == 0 &&
         telemedicine_patients == 0;
}

std::string TeamId(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return db::Sha256Hex(absl::StrJoin(ids, ",")).substr(0, 32);
}

void Deltas::Add(const Activity& a, int sign) {
  std::vector<std::string> institutions;
  for (const Involvement& inv : InvolvedInstitutions(a))
    institutions.push_back(store::IdOf(inv.institution));
  const std::string team = TeamId(institutions);
  const std::string month = MonthOf(a.start_date());
  const Dimensions dims = DimensionsOf(a);
  const Sums sums = SumsOf(a);
  months_[MonthKey{month, dims}].Add(sums, sign);
  teams_[TeamKey{month, team, dims}].Add(sums, sign);
  if (sign > 0 && members_.count(team) == 0) {
    std::sort(institutions.begin(), institutions.end());
    institutions.erase(std::unique(institutions.begin(), institutions.end()), institutions.end());
    members_.emplace(team, std::move(institutions));
  }
}

void Deltas::Apply(db::Connection& c) {
  // 1. Add the deltas, in key order; rows whose deltas cancel out (an update that moved
  //    nothing statistics count) are neither written nor locked.
  std::vector<const std::pair<const MonthKey, Sums>*> months, emptied_months;
  for (const auto& entry : months_) {
    if (entry.second.zero()) continue;
    months.push_back(&entry);
    if (entry.second.activities < 0) emptied_months.push_back(&entry);
  }
  std::vector<const std::pair<const TeamKey, Sums>*> teams, emptied_teams;
  for (const auto& entry : teams_) {
    if (entry.second.zero()) continue;
    teams.push_back(&entry);
    if (entry.second.activities < 0) emptied_teams.push_back(&entry);
  }
  RunMultiRow(c, months, stmt::kUpsertMonthsOpen, stmt::kMonthRowValues, stmt::kUpsertClose,
              [](const auto& e, std::vector<db::Query::Value>& v) {
                v.emplace_back(std::get<0>(e.first));
                AppendKey(v, std::get<1>(e.first));
                AppendSums(v, e.second);
              });
  RunMultiRow(c, teams, stmt::kUpsertTeamsOpen, stmt::kTeamRowValues, stmt::kUpsertClose,
              [](const auto& e, std::vector<db::Query::Value>& v) {
                v.emplace_back(std::get<0>(e.first));
                v.emplace_back(std::get<1>(e.first));
                AppendKey(v, std::get<2>(e.first));
                AppendSums(v, e.second);
              });

  // 2. The members of teams seen for the first time. Known teams are found by a plain
  //    (non-locking) read, so the common case writes and locks nothing here.
  if (!members_.empty()) {
    std::vector<const std::string*> ids;
    for (const auto& [team, institutions] : members_) ids.push_back(&team);
    absl::flat_hash_set<std::string> known;
    for (size_t from = 0; from < ids.size(); from += kRowsPerStatement) {
      db::Query q(stmt::kSelectKnownTeamsOpen);
      const size_t to = std::min(ids.size(), from + kRowsPerStatement);
      for (size_t i = from; i < to; ++i)
        q.Bind(i == from ? stmt::kIdPlaceholder : absl::StrCat(stmt::kComma, stmt::kIdPlaceholder),
               *ids[i]);
      q.Sql(stmt::kClose);
      auto rs = q.Execute(c);
      while (rs->next()) known.insert(std::string(rs->getString("team_id")));
    }
    std::vector<std::pair<const std::string*, const std::string*>> rows;
    for (const auto& [team, institutions] : members_) {
      if (known.contains(team)) continue;
      for (const auto& institution : institutions) rows.emplace_back(&team, &institution);
    }
    std::vector<const std::pair<const std::string*, const std::string*>*> row_ptrs;
    for (const auto& r : rows) row_ptrs.push_back(&r);
    RunMultiRow(c, row_ptrs, stmt::kInsertTeamMembersOpen, stmt::kTeamMemberValues, "",
                [](const auto& r, std::vector<db::Query::Value>& v) {
                  v.emplace_back(*r.first);
                  v.emplace_back(*r.second);
                });
  }

  // 3. Rows no activity counts in any more go: only rows this transaction decreased (and
  //    therefore already holds locked) can have reached zero.
  RunMultiRow(c, emptied_months, stmt::kDeleteEmptyMonthsOpen, stmt::kMonthKey, stmt::kClose,
              [](const auto& e, std::vector<db::Query::Value>& v) {
                v.emplace_back(std::get<0>(e.first));
                AppendKey(v, std::get<1>(e.first));
              });
  RunMultiRow(c, emptied_teams, stmt::kDeleteEmptyTeamsOpen, stmt::kTeamKey, stmt::kClose,
              [](const auto& e, std::vector<db::Query::Value>& v) {
                v.emplace_back(std::get<0>(e.first));
                v.emplace_back(std::get<1>(e.first));
                AppendKey(v, std::get<2>(e.first));
              });
  // 4. One more version for every month this write touched, also where its deltas cancel out
  //    (a kept answer may only be reused while nothing was written in its months; being
  //    invalidated by a title change is cheaper than reasoning about which changes show).
  absl::btree_set<std::string> touched;
  for (const auto& entry : months_) touched.insert(std::get<0>(entry.first));
  std::vector<const std::string*> versions;
  for (const std::string& month : touched) versions.push_back(&month);
  const int shard = RandomShard();
  RunMultiRow(c, versions, stmt::kBumpStatsVersionsOpen, stmt::kStatsVersionRowValues,
              stmt::kBumpStatsVersionsClose,
              [shard](const std::string& month, std::vector<db::Query::Value>& v) {
                v.emplace_back(month);
                v.emplace_back(static_cast<int64_t>(shard));
              });
  months_.clear();
  teams_.clear();
  members_.clear();
}

}  // namespace imp::activity::rollups
