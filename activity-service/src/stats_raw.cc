// StatsFromActivities: statistics computed from the activity rows alone (the way every call was
// answered before the rollups). Used for filters the rollups cannot answer (a search on titles)
// and by the tests as the definition the rollups must match. Every query is bounded by the
// period on start_date (indexed), so its cost follows the activities of the period.
#include <cppconn/resultset.h>

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "activity-service/src/activity_filter.h"
#include "activity-service/src/statements.h"
#include "activity-service/src/stats.h"
#include "common/api/proto_util.h"
#include "common/db/query.h"

namespace imp::activity {
namespace {

// SELECT <keys>, <what> FROM activities a [JOIN gi] [extra join] WHERE live AND period AND
// filter GROUP BY keys ORDER BY keys.
db::Query BuildQuery(const v1::GetActivityStatsRequest& req, bool grouped, const char* what,
                     const char* extra_join) {
  std::vector<std::string> keys;
  bool join_institutions = false;
  for (int i = 0; grouped && i < req.group_by_size(); ++i) {
    keys.push_back(absl::StrCat(stmt::kRawGroupKeys[req.group_by(i)], stmt::kAs, "k", i));
    if (req.group_by(i) == v1::GROUP_BY_INSTITUTION) join_institutions = true;
  }
  db::Query q(absl::StrCat(stmt::kSelect, absl::StrJoin(keys, stmt::kComma),
                           keys.empty() ? "" : stmt::kComma, what, stmt::kFromLiveActivities,
                           join_institutions ? stmt::kJoinPrimaryInvolvement : "", extra_join,
                           stmt::kWhereLive));
  if (api::IsSet(req.start_date()))
    q.Bind(stmt::kStartDateFrom, api::DateToString(req.start_date()));
  if (api::IsSet(req.end_date())) q.Bind(stmt::kStartDateTo, api::DateToString(req.end_date()));
  (void)AppendActivityFilter(req.filter(), q);  // validated by GetActivityStats
  if (!keys.empty()) {
    std::vector<std::string> aliases;
    for (size_t k = 0; k < keys.size(); ++k) aliases.push_back(absl::StrCat("k", k));
    const std::string list = absl::StrJoin(aliases, stmt::kComma);
    q.Sql(absl::StrCat(stmt::kGroupBy, list, stmt::kOrderBy, list));
  }
  return q;
}

// The sums of a statistics row, by name.
void ReadTotals(sql::ResultSet& rs, v1::ActivityTotals* t) {
  t->set_activities(rs.getInt64("activities"));
  t->set_trainings(rs.getInt64("trainings"));
  t->set_events(rs.getInt64("events"));
  t->set_participants(rs.getInt64("participants"));
  t->set_doctors(rs.getInt64("doctors"));
  t->set_operations(rs.getInt64("operations"));
  t->set_patients_treated(rs.getInt64("patients_treated"));
  t->set_visits(rs.getInt64("visits"));
  t->set_specialists(rs.getInt64("specialists"));
  t->set_consultations(rs.getInt64("consultations"));
  t->set_telemedicine_patients(rs.getInt64("telemedicine_patients"));
}

// Runs the four queries of a call (totals, distinct institutions, and with group_by the
// groups, ordered by their keys, and their distinct institutions) and fills `out`.
void RunStatsQueries(db::Connection& c, const v1::GetActivityStatsRequest& req,
                     const db::Query& totals, const db::Query& distinct, const db::Query* groups,
                     const db::Query* group_distinct, v1::GetActivityStatsResponse* out) {
  out->Clear();
  {
    auto rs = totals.Execute(c);
    if (rs->next()) ReadTotals(*rs, out->mutable_totals());
  }
  {
    auto rs = distinct.Execute(c);
    if (rs->next())
      out->mutable_totals()->set_distinct_institutions(rs->getInt64("distinct_institutions"));
  }
  if (groups == nullptr) return;
  const int nkeys = req.group_by_size();
  auto key_of = [nkeys](sql::ResultSet& rs) {
    std::vector<std::string> parts;
    for (int k = 0; k < nkeys; ++k) parts.push_back(rs.getString(absl::StrCat("k", k)));
    return parts;
  };
  absl::flat_hash_map<std::string, v1::StatsGroup*> by_key;
  {
    auto rs = groups->Execute(c);
    while (rs->next()) {
      auto* group = out->add_groups();
      std::vector<std::string> parts = key_of(*rs);
      for (int k = 0; k < nkeys; ++k) {
        auto* key = group->add_keys();
        key->set_dimension(req.group_by(k));
        key->set_value(parts[k]);
      }
      ReadTotals(*rs, group->mutable_totals());
      by_key[absl::StrJoin(parts, "\x1f")] = group;
    }
  }
  auto rs = group_distinct->Execute(c);
  while (rs->next()) {
    auto it = by_key.find(absl::StrJoin(key_of(*rs), "\x1f"));
    if (it != by_key.end())
      it->second->mutable_totals()->set_distinct_institutions(
          rs->getInt64("distinct_institutions"));
  }
}

}  // namespace

absl::Status StatsFromActivities(db::Connection& c, const v1::GetActivityStatsRequest& req,
                                 v1::GetActivityStatsResponse* out) {
  const db::Query totals = BuildQuery(req, false, stmt::kRawSums, "");
  const db::Query distinct =
      BuildQuery(req, false, stmt::kRawDistinctInstitutions, stmt::kJoinAnyInvolvement);
  if (req.group_by_size() == 0) {
    RunStatsQueries(c, req, totals, distinct, nullptr, nullptr, out);
    return absl::OkStatus();
  }
  const db::Query groups = BuildQuery(req, true, stmt::kRawSums, "");
  const db::Query group_distinct =
      BuildQuery(req, true, stmt::kRawDistinctInstitutions, stmt::kJoinAnyInvolvement);
  RunStatsQueries(c, req, totals, distinct, &groups, &group_distinct, out);
  return absl::OkStatus();
}

}  // namespace imp::activity
