// Activities::GetActivityStats: totals and grouped totals. The whole months of the period come
// from the rollups (migrations/0004_rollups.sql), whose size follows the number of months and
// of distinct (kind, place, agreement, area, direction, team) combinations, not the number of
// activities; only the partial months at the edges of the period are read from the activity
// rows. Each query unites both sources in a derived table and groups and orders the union, so
// keys of either source compare, group and sort exactly as the activity columns do (the
// rollup columns have the same types and collations).
#include "activity-service/src/stats.h"

#include <cppconn/resultset.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "activity-service/src/activities.h"
#include "activity-service/src/activity_filter.h"
#include "activity-service/src/statements.h"
#include "activity-service/src/validation.h"
#include "common/api/errors.h"
#include "common/api/proto_util.h"
#include "common/db/filter_sql.h"

namespace imp::activity {
namespace {

// What every query of one call shares.
struct Call {
  const v1::GetActivityStatsRequest& req;
  const api::CompiledFilter& filter;
  const PeriodPlan& plan;
};

std::string Day(absl::CivilDay d) { return absl::FormatCivilTime(d); }
std::string FirstDay(absl::CivilMonth m) { return Day(absl::CivilDay(m)); }

std::optional<absl::CivilDay> ParseDay(const std::string& text) {
  absl::CivilDay d;
  if (!absl::ParseCivilTime(text, &d)) return std::nullopt;
  return d;
}

// The rollup column a filter field compares, or nullptr for the fields handled otherwise
// (start_date by the period plan, institution by teams).
const char* RollupColumn(const std::string& field) {
  if (field == "kind") return stmt::kFilterKind;
  if (field == "direction") return stmt::kFilterDirection;
  if (field == "agreement") return stmt::kRollupFilterAgreement;
  if (field == "country") return stmt::kFilterCountry;
  if (field == "region") return stmt::kFilterRegion;
  if (field == "cooperation_area") return stmt::kFilterCooperationArea;
  return nullptr;
}

std::string KeyList(int n) {
  std::vector<std::string> keys;
  for (int k = 0; k < n; ++k) keys.push_back(absl::StrCat("k", k));
  return absl::StrJoin(keys, stmt::kComma);
}

// The select list of a part: its keys (from `expressions`), then either the sums and no
// institution, or no sums and each institution involved (for the distinct count). Sets
// *institution_keys when a key is an institution (join gi).
std::string PartColumns(const Call& call, bool grouped, bool distinct,
                        const char* const* expressions, const char* sums, bool* institution_keys) {
  std::vector<std::string> columns;
  *institution_keys = false;
  for (int i = 0; grouped && i < call.req.group_by_size(); ++i) {
    columns.push_back(absl::StrCat(expressions[call.req.group_by(i)], stmt::kAs, "k", i));
    if (call.req.group_by(i) == v1::GROUP_BY_INSTITUTION) *institution_keys = true;
  }
  columns.push_back(distinct ? stmt::kNoSums : sums);
  columns.push_back(distinct ? stmt::kRawInstitution : stmt::kNoInstitution);
  return absl::StrCat(distinct ? stmt::kSelectDistinct : stmt::kSelect,
                      absl::StrJoin(columns, stmt::kComma));
}

// The whole months of the period, from the rollups.
void AppendRollupPart(db::Query& q, const Call& call, bool grouped, bool distinct) {
  bool institution_keys = false;
  q.Sql(PartColumns(call, grouped, distinct, stmt::kRollupGroupKeys, stmt::kRollupSums,
                    &institution_keys));
  // stats_months answers everything but institutions; they need the teams.
  const bool teams = distinct || institution_keys || call.filter.fields.count("institution") > 0;
  q.Sql(teams ? stmt::kFromStatsTeams : stmt::kFromStatsMonths);
  if (institution_keys) q.Sql(stmt::kJoinTeamForGroups);
  if (distinct) q.Sql(stmt::kJoinTeamForDistinct);
  q.Sql(stmt::kWhereAll);
  const PeriodPlan& plan = call.plan;
  if (plan.first_month) q.Bind(stmt::kMonthFrom, FirstDay(*plan.first_month));
  if (plan.last_month) q.Bind(stmt::kMonthTo, FirstDay(*plan.last_month));
  if (!plan.excluded_months.empty()) {
    std::vector<db::Query::Value> months;
    for (absl::CivilMonth m : plan.excluded_months) months.emplace_back(FirstDay(m));
    q.BindAll(
        absl::StrCat(stmt::kMonthsExcludedOpen, db::Placeholders(months.size()), stmt::kClose),
        std::move(months));
  }
  for (const auto& [field, condition] : call.filter.fields) {
    if (field == "institution") {
      if (!condition.equal.empty()) {
        std::vector<db::Query::Value> values = db::Values(condition.equal);
        values.emplace_back(static_cast<int64_t>(condition.equal.size()));
        q.BindAll(absl::StrCat(stmt::kTeamHasAllOpen, db::Placeholders(condition.equal.size()),
                               stmt::kTeamHasAllClose),
                  std::move(values));
      }
      if (!condition.not_equal.empty()) {
        q.BindAll(absl::StrCat(stmt::kTeamHasNoneOpen, db::Placeholders(condition.not_equal.size()),
                               stmt::kTeamHasNoneClose),
                  db::Values(condition.not_equal));
      }
    } else if (const char* column = RollupColumn(field)) {
      db::AppendScalarCondition(q, column, condition);
    }
  }
  if (grouped && !distinct) q.Sql(absl::StrCat(stmt::kGroupBy, KeyList(call.req.group_by_size())));
}

// The partial months of the period, from the activity rows (the whole filter applies).
void AppendRawPart(db::Query& q, const Call& call, bool grouped, bool distinct) {
  bool institution_keys = false;
  q.Sql(
      PartColumns(call, grouped, distinct, stmt::kRawGroupKeys, stmt::kRawSums, &institution_keys));
  q.Sql(stmt::kFromLiveActivities);
  if (institution_keys) q.Sql(stmt::kJoinPrimaryInvolvement);
  if (distinct) q.Sql(stmt::kJoinAnyInvolvement);
  q.Sql(stmt::kWhereLive);
  q.Sql(stmt::kStartDateRangesOpen);
  for (size_t i = 0; i < call.plan.raw.size(); ++i) {
    q.BindAll(absl::StrCat(i == 0 ? "" : stmt::kOr, stmt::kStartDateRange),
              {Day(call.plan.raw[i].first), Day(call.plan.raw[i].second)});
  }
  q.Sql(stmt::kClose);
  (void)AppendActivityFilter(call.req.filter(), q);  // validated by GetActivityStats
  if (grouped && !distinct) q.Sql(absl::StrCat(stmt::kGroupBy, KeyList(call.req.group_by_size())));
}

// SELECT [keys,] <sums>, <distinct institutions> FROM (<parts>) u [GROUP BY keys ORDER BY
// keys], where the parts are the sums and the institutions of the rollups and of the partial
// months. Sums and distinct counts come from one grouping, so a group's key is the same for
// both (two values the collation holds equal, e.g. regions "Kyiv" and "kyiv", are one group).
db::Query BuildQuery(const Call& call, bool grouped) {
  const std::string keys = grouped ? KeyList(call.req.group_by_size()) : "";
  db::Query q(absl::StrCat(stmt::kSelect, keys, keys.empty() ? "" : stmt::kComma, stmt::kPartsSums,
                           stmt::kComma, stmt::kPartsDistinctInstitutions, stmt::kFromPartsOpen));
  bool first = true;
  for (bool distinct : {false, true}) {
    if (call.plan.months) {
      if (!first) q.Sql(stmt::kUnionAll);
      AppendRollupPart(q, call, grouped, distinct);
      first = false;
    }
    if (!call.plan.raw.empty()) {
      if (!first) q.Sql(stmt::kUnionAll);
      AppendRawPart(q, call, grouped, distinct);
      first = false;
    }
  }
  q.Sql(stmt::kFromPartsClose);
  if (!keys.empty()) q.Sql(absl::StrCat(stmt::kGroupBy, keys, stmt::kOrderBy, keys));
  return q;
}

void ReadRow(sql::ResultSet& rs, v1::ActivityTotals* t) {
  t->set_activities(rs.getInt64("activities"));
  t->set_trainings(rs.getInt64("trainings"));
  t->set_events(rs.getInt64("events"));
  t->set_participants(rs.getInt64("participants"));
  t->set_doctors(rs.getInt64("doctors"));
  t->set_distinct_institutions(rs.getInt64("distinct_institutions"));
  t->set_operations(rs.getInt64("operations"));
  t->set_patients_treated(rs.getInt64("patients_treated"));
  t->set_visits(rs.getInt64("visits"));
  t->set_specialists(rs.getInt64("specialists"));
  t->set_consultations(rs.getInt64("consultations"));
  t->set_telemedicine_patients(rs.getInt64("telemedicine_patients"));
}

// The period the request and the filter's start_date terms leave, and the days the filter
// excludes, as whole and partial months.
PeriodPlan Plan(const v1::GetActivityStatsRequest& req, const api::CompiledFilter& filter) {
  std::optional<absl::CivilDay> from, to;
  if (api::IsSet(req.start_date())) from = ParseDay(api::DateToString(req.start_date()));
  if (api::IsSet(req.end_date())) to = ParseDay(api::DateToString(req.end_date()));
  std::vector<absl::CivilDay> excluded;
  auto it = filter.fields.find("start_date");
  if (it != filter.fields.end()) {
    const api::FieldCondition& c = it->second;
    auto tighten = [](std::optional<absl::CivilDay>& bound, absl::CivilDay d, bool lower) {
      if (!bound || (lower ? d > *bound : d < *bound)) bound = d;
    };
    for (const auto& v : c.equal) {
      if (auto d = ParseDay(v)) {
        tighten(from, *d, true);
        tighten(to, *d, false);
      }
    }
    if (c.lower) {
      if (auto d = ParseDay(*c.lower)) tighten(from, c.lower_inclusive ? *d : *d + 1, true);
    }
    if (c.upper) {
      if (auto d = ParseDay(*c.upper)) tighten(to, c.upper_inclusive ? *d : *d - 1, false);
    }
    for (const auto& v : c.not_equal) {
      if (auto d = ParseDay(v)) excluded.push_back(*d);
    }
  }
  return PlanPeriod(from, to, std::move(excluded));
}

// The version of the statistics of every month the period touches, whole or partial
// (stats_versions): it changes with every write to those months.
db::Query VersionQuery(const PeriodPlan& plan) {
  std::optional<absl::CivilMonth> from, to;
  bool open_from = false, open_to = false;
  if (plan.months) {
    if (plan.first_month)
      from = *plan.first_month;
    else
      open_from = true;
    if (plan.last_month)
      to = *plan.last_month;
    else
      open_to = true;
  }
  for (const auto& [first, last] : plan.raw) {
    if (!open_from && (!from || absl::CivilMonth(first) < *from)) from = absl::CivilMonth(first);
    if (!open_to && (!to || absl::CivilMonth(last) > *to)) to = absl::CivilMonth(last);
  }
  db::Query q(stmt::kSelectStatsVersion);
  if (from && !open_from) q.Bind(stmt::kMonthFrom, FirstDay(*from));
  if (to && !open_to) q.Bind(stmt::kMonthTo, FirstDay(*to));
  return q;
}

absl::Status ComputeStats(db::Connection& c, const v1::GetActivityStatsRequest& req,
                          const db::Query& totals, const std::optional<db::Query>& groups,
                          v1::GetActivityStatsResponse* out);

}  // namespace

absl::Status Activities::GetActivityStats(const RequestContext& ctx,
                                          const v1::GetActivityStatsRequest& req,
                                          v1::GetActivityStatsResponse* out) {
  // The call's cost budget: its statements run under the nearer of the caller's deadline and
  // the budget (max_statement_time, database.h), so one caller's expensive statistics hold a
  // worker and a connection for the budget at most, whatever deadline it sets.
  const absl::Time budget_end = absl::Now() + stats_budget_;
  if (budget_end >= ctx.deadline) return StatsWithinDeadline(ctx, req, out);
  RequestContext budgeted = ctx;
  budgeted.deadline = budget_end;
  absl::Status s = StatsWithinDeadline(budgeted, req, out);
  if (s.code() == absl::StatusCode::kDeadlineExceeded && absl::Now() < ctx.deadline) {
    out->Clear();
    return api::WithReason(
        absl::ResourceExhaustedError(absl::StrCat(
            "filter: the statistics ran past their budget of ", absl::FormatDuration(stats_budget_),
            " of database time per call; narrow the filter, the period or group_by")),
        api::kReasonQueryTooExpensive);
  }
  return s;
}

absl::Status Activities::StatsWithinDeadline(const RequestContext& ctx,
                                             const v1::GetActivityStatsRequest& req,
                                             v1::GetActivityStatsResponse* out) {
  // The checks, in the order clients have always seen them.
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  if (api::IsSet(req.start_date()) && api::IsSet(req.end_date()) &&
      api::CompareDates(req.end_date(), req.start_date()) < 0) {
    return absl::InvalidArgumentError("end_date: must not be before start_date");
  }
  for (int i = 0; i < req.group_by_size(); ++i) {
    if (req.group_by(i) < v1::GROUP_BY_MONTH || req.group_by(i) > v1::GROUP_BY_AGREEMENT)
      return absl::InvalidArgumentError(absl::StrCat("group_by[", i, "]: not a dimension"));
  }
  if (api::IsSet(req.start_date())) {
    absl::Status s = api::ValidateDate(req.start_date(), "start_date");
    if (!s.ok()) return s;
  }
  if (api::IsSet(req.end_date())) {
    absl::Status s = api::ValidateDate(req.end_date(), "end_date");
    if (!s.ok()) return s;
  }
  auto filter = CompileActivityFilter(req.filter());
  if (!filter.ok()) return filter.status();

  // A search on titles has no rollup (and a filter that can never hold is answered at once):
  // the activity rows answer those.
  if (!filter->search.empty() || filter->matches_nothing) {
    return db_->InTransaction(ctx,
                              [&](db::Connection& c) { return StatsFromActivities(c, req, out); });
  }
  const PeriodPlan plan = Plan(req, *filter);
  if (!plan.months && plan.raw.empty()) {  // an empty period
    out->Clear();
    out->mutable_totals();
    return absl::OkStatus();
  }
  const Call call{req, *filter, plan};
  const db::Query totals = BuildQuery(call, false);
  std::optional<db::Query> groups;
  if (req.group_by_size() > 0) groups = BuildQuery(call, true);
  const db::Query version = VersionQuery(plan);
  const std::string key = req.SerializeAsString();
  // One transaction, as before the rollups. Each query is one statement and reads one snapshot
  // (its sums and distinct counts agree); under READ COMMITTED the two queries may see a write
  // committed between them. The version of the period's months is read first (stats_cache.h
  // says why an answer computed after it may be kept with it).
  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    out->Clear();
    int64_t months_version = 0;
    {
      auto rs = version.Execute(c);
      if (rs->next()) months_version = rs->getInt64("version");
    }
    if (stats_cache_.Find(key, months_version, out)) return absl::OkStatus();
    out->Clear();
    absl::Status computed = ComputeStats(c, req, totals, groups, out);
    if (computed.ok()) stats_cache_.Store(key, months_version, *out);
    return computed;
  });
}

namespace {

absl::Status ComputeStats(db::Connection& c, const v1::GetActivityStatsRequest& req,
                          const db::Query& totals, const std::optional<db::Query>& groups,
                          v1::GetActivityStatsResponse* out) {
  {
    auto rs = totals.Execute(c);
    if (rs->next()) ReadRow(*rs, out->mutable_totals());
  }
  if (!groups) return absl::OkStatus();
  auto rs = groups->Execute(c);
  while (rs->next()) {
    auto* group = out->add_groups();
    for (int k = 0; k < req.group_by_size(); ++k) {
      auto* key = group->add_keys();
      key->set_dimension(req.group_by(k));
      key->set_value(rs->getString(absl::StrCat("k", k)));
    }
    ReadRow(*rs, group->mutable_totals());
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace imp::activity
