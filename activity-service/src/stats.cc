// Activities::GetActivityStats: totals and grouped totals computed by the database. Every
// query is bounded by the period on start_date (indexed), so its cost follows the activities in
// the period and filters rather than the size of the table.
#include <cppconn/resultset.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "activity-service/src/activities.h"
#include "activity-service/src/activity_filter.h"
#include "activity-service/src/statements.h"
#include "activity-service/src/validation.h"
#include "common/api/proto_util.h"

namespace imp::activity {
namespace {

using v1::GroupBy;

// The SQL expression for a grouping dimension; GROUP_BY_INSTITUTION needs the join to
// activity_institutions (alias gi).
absl::StatusOr<const char*> GroupExpression(GroupBy g) {
  switch (g) {
    case v1::GROUP_BY_MONTH: return "DATE_FORMAT(a.start_date, '%Y-%m')";
    case v1::GROUP_BY_QUARTER: return "CONCAT(YEAR(a.start_date), '-Q', QUARTER(a.start_date))";
    case v1::GROUP_BY_YEAR: return "CAST(YEAR(a.start_date) AS CHAR)";
    case v1::GROUP_BY_KIND: return "a.kind";
    case v1::GROUP_BY_COUNTRY: return "a.country";
    case v1::GROUP_BY_REGION: return "a.region";
    case v1::GROUP_BY_INSTITUTION: return "CONCAT('institutions/', gi.institution_id)";
    case v1::GROUP_BY_AGREEMENT: return "IFNULL(CONCAT('agreements/', a.agreement_id), '')";
    default: break;
  }
  return absl::InvalidArgumentError("group_by: each entry must be a GROUP_BY_ value");
}

struct StatsQuery {
  std::vector<std::string> keys;  // group expressions
  bool join_institutions = false;
};

// SELECT <keys>, <what> FROM activities a [JOIN gi] [JOIN ai] WHERE period AND filter
// GROUP BY keys ORDER BY keys.
absl::StatusOr<db::Query> BuildQuery(const StatsQuery& sq, const char* what, const char* extra_join,
                                     const v1::GetActivityStatsRequest& req) {
  std::string keys = absl::StrJoin(sq.keys, ", ");
  db::Query q(absl::StrCat("SELECT ", keys, keys.empty() ? "" : ", ", what, " FROM activities a",
                           sq.join_institutions ? stmt::kJoinPrimaryInvolvement : "", extra_join,
                           " WHERE a.delete_time IS NULL"));
  if (api::IsSet(req.start_date())) {
    absl::Status s = api::ValidateDate(req.start_date(), "start_date");
    if (!s.ok()) return s;
    q.Bind(" AND a.start_date >= ?", api::DateToString(req.start_date()));
  }
  if (api::IsSet(req.end_date())) {
    absl::Status s = api::ValidateDate(req.end_date(), "end_date");
    if (!s.ok()) return s;
    q.Bind(" AND a.start_date <= ?", api::DateToString(req.end_date()));
  }
  absl::Status filtered = AppendActivityFilter(req.filter(), q);
  if (!filtered.ok()) return filtered;
  if (!keys.empty()) q.Sql(absl::StrCat(" GROUP BY ", keys, " ORDER BY ", keys));
  return q;
}

void ReadTotals(sql::ResultSet& rs, int first, v1::ActivityTotals* t) {
  int i = first;
  t->set_activities(rs.getInt64(i++));
  t->set_trainings(rs.getInt64(i++));
  t->set_events(rs.getInt64(i++));
  t->set_participants(rs.getInt64(i++));
  t->set_doctors(rs.getInt64(i++));
  t->set_operations(rs.getInt64(i++));
  t->set_patients_treated(rs.getInt64(i++));
  t->set_visits(rs.getInt64(i++));
  t->set_specialists(rs.getInt64(i++));
  t->set_consultations(rs.getInt64(i++));
  t->set_telemedicine_patients(rs.getInt64(i++));
}

// Joins every activity to each distinct institution it involves, for COUNT(DISTINCT).
constexpr char kJoinAnyInvolvement[] = " JOIN activity_institutions ai ON ai.activity_pk = a.pk";
constexpr char kDistinctInstitutions[] = "COUNT(DISTINCT ai.institution_id)";

}  // namespace

absl::Status Activities::GetActivityStats(const RequestContext& ctx,
                                          const v1::GetActivityStatsRequest& req,
                                          v1::GetActivityStatsResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  if (api::IsSet(req.start_date()) && api::IsSet(req.end_date()) &&
      api::CompareDates(req.end_date(), req.start_date()) < 0) {
    return absl::InvalidArgumentError("end_date: must not be before start_date");
  }
  StatsQuery grouped;
  for (int i = 0; i < req.group_by_size(); ++i) {
    auto expr = GroupExpression(req.group_by(i));
    if (!expr.ok())
      return absl::InvalidArgumentError(absl::StrCat("group_by[", i, "]: not a dimension"));
    grouped.keys.push_back(*expr);
    if (req.group_by(i) == v1::GROUP_BY_INSTITUTION) grouped.join_institutions = true;
  }
  auto totals_q = BuildQuery(StatsQuery{}, stmt::kTotalsColumns, "", req);
  if (!totals_q.ok()) return totals_q.status();
  auto distinct_q = BuildQuery(StatsQuery{}, kDistinctInstitutions, kJoinAnyInvolvement, req);
  if (!distinct_q.ok()) return distinct_q.status();
  std::optional<db::Query> groups_q, group_distinct_q;
  if (!grouped.keys.empty()) {
    auto g = BuildQuery(grouped, stmt::kTotalsColumns, "", req);
    if (!g.ok()) return g.status();
    groups_q = std::move(*g);
    auto gd = BuildQuery(grouped, kDistinctInstitutions, kJoinAnyInvolvement, req);
    if (!gd.ok()) return gd.status();
    group_distinct_q = std::move(*gd);
  }
  const int nkeys = static_cast<int>(grouped.keys.size());
  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    out->Clear();
    {
      auto rs = totals_q->Execute(c);
      if (rs->next()) ReadTotals(*rs, 1, out->mutable_totals());
    }
    {
      auto rs = distinct_q->Execute(c);
      if (rs->next()) out->mutable_totals()->set_distinct_institutions(rs->getInt64(1));
    }
    if (!groups_q) return absl::OkStatus();
    absl::flat_hash_map<std::string, v1::StatsGroup*> by_key;
    {
      auto rs = groups_q->Execute(c);
      while (rs->next()) {
        auto* group = out->add_groups();
        std::vector<std::string> parts;
        for (int k = 0; k < nkeys; ++k) {
          auto* key = group->add_keys();
          key->set_dimension(req.group_by(k));
          key->set_value(rs->getString(k + 1));
          parts.push_back(key->value());
        }
        ReadTotals(*rs, nkeys + 1, group->mutable_totals());
        by_key[absl::StrJoin(parts, "\x1f")] = group;
      }
    }
    auto rs = group_distinct_q->Execute(c);
    while (rs->next()) {
      std::vector<std::string> parts;
      for (int k = 0; k < nkeys; ++k) parts.push_back(rs->getString(k + 1));
      auto it = by_key.find(absl::StrJoin(parts, "\x1f"));
      if (it != by_key.end())
        it->second->mutable_totals()->set_distinct_institutions(rs->getInt64(nkeys + 1));
    }
    return absl::OkStatus();
  });
}

}  // namespace imp::activity
