#include "activity-service/src/store.h"

#include <cppconn/prepared_statement.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "activity-service/src/statements.h"
#include "activity-service/src/validation.h"
#include "common/api/etag.h"
#include "common/api/proto_util.h"
#include "common/db/query.h"
#include "common/db/sql_time.h"

namespace imp::activity::store {
namespace {

using v1::Activity;

// The details oneof alone, as JSON: {"training": {...}}.
std::string DetailsJson(const Activity& a) {
  Activity details_only;
  switch (a.details_case()) {
    case Activity::kTraining: *details_only.mutable_training() = a.training(); break;
    case Activity::kOperation: *details_only.mutable_operation() = a.operation(); break;
    case Activity::kVisit: *details_only.mutable_visit() = a.visit(); break;
    case Activity::kTelemedicine: *details_only.mutable_telemedicine() = a.telemedicine(); break;
    case Activity::kEvent: *details_only.mutable_event() = a.event(); break;
    case Activity::DETAILS_NOT_SET: break;
  }
  return api::ToJson(details_only);
}

std::string EndDate(const Activity& a) {
  return api::DateToString(api::IsSet(a.end_date()) ? a.end_date() : a.start_date());
}

// The 21 column values shared by insert and update, in statement order.
std::vector<db::Query::Value> ActivityValues(const Activity& a) {
  const Counters n = CountersOf(a);
  db::Query::Value agreement;
  if (!a.agreement().empty()) agreement = IdOf(a.agreement());
  return {Activity::Kind_Name(KindOf(a)),
          a.title(),
          agreement,
          IdOf(a.host_institution()),
          api::DateToString(a.start_date()),
          EndDate(a),
          a.location().country(),
          a.location().region(),
          a.location().city(),
          Activity::Direction_Name(a.direction()),
          a.cooperation_area(),
          a.notes(),
          DetailsJson(a),
          n.participants,
          n.doctors,
          n.operations,
          n.patients_treated,
          n.specialists,
          n.consultations,
          n.telemedicine_patients,
          a.external_reference().empty() ? db::Query::Value() : a.external_reference()};
}

void BindValues(sql::PreparedStatement& ps, int first,
                const std::vector<db::Query::Value>& values) {
  for (size_t k = 0; k < values.size(); ++k) {
    const int index = first + static_cast<int>(k);
    if (const auto* s = std::get_if<std::string>(&values[k])) {
      ps.setString(index, *s);
    } else if (const auto* v = std::get_if<int64_t>(&values[k])) {
      ps.setInt64(index, *v);
    } else {
      ps.setNull(index, 0);
    }
  }
}

// Binds the 21 columns shared by insert and update, from `first`.
void BindActivity(sql::PreparedStatement& ps, int first, const Activity& a) {
  BindValues(ps, first, ActivityValues(a));
}

// One multi-row INSERT of the activity's involvements; `pk` unset: the activity this connection
// inserted last.
void InsertInvolvements(db::Connection& c, std::optional<int64_t> pk, const Activity& a) {
  db::Query insert(stmt::kBulkInsertInvolvements);
  const std::string start = api::DateToString(a.start_date());
  absl::flat_hash_set<std::string> seen;
  bool first = true;
  for (const Involvement& inv : InvolvedInstitutions(a)) {
    std::vector<db::Query::Value> values;
    if (pk) values.emplace_back(*pk);
    values.emplace_back(IdOf(inv.institution));
    values.emplace_back(std::string(inv.role));
    values.emplace_back(int64_t{seen.insert(inv.institution).second ? 1 : 0});
    values.emplace_back(start);
    const char* row = pk ? stmt::kInvolvementValues : stmt::kInvolvementValuesOfLastInsert;
    insert.BindAll(first ? std::string(row) : absl::StrCat(", ", row), std::move(values));
    first = false;
  }
  if (!first) insert.ExecuteUpdate(c);
}

void ReplaceInvolvements(db::Connection& c, int64_t pk, const Activity& a) {
  auto& del = c.Prepare(stmt::kDeleteInvolvements);
  del.setInt64(1, pk);
  del.executeUpdate();
  InsertInvolvements(c, pk, a);
}

void ReadDate(sql::ResultSet& rs, const char* column, google::type::Date* date) {
  auto parsed = api::DateFromString(std::string(rs.getString(column)), "date");
  if (parsed.ok()) *date = *parsed;
}

absl::Time ReadTime(sql::ResultSet& rs, const char* column) {
  return db::TimeFromSql(std::string(rs.getString(column)));
}

}  // namespace

std::string ActivityName(absl::string_view id) { return absl::StrCat("activities/", id); }

std::string IdOf(absl::string_view name) {
  const size_t slash = name.find('/');
  return std::string(slash == absl::string_view::npos ? name : name.substr(slash + 1));
}

ActivityRow ReadActivity(sql::ResultSet& rs) {
  ActivityRow row;
  row.pk = rs.getInt64("pk");
  Activity& a = row.activity;
  (void)google::protobuf::util::JsonStringToMessage(std::string(rs.getString("details")), &a);
  a.set_name(ActivityName(std::string(rs.getString("id"))));
  a.set_kind(KindOf(a));
  a.set_title(rs.getString("title"));
  if (!rs.isNull("agreement_id"))
    a.set_agreement(absl::StrCat("agreements/", std::string(rs.getString("agreement_id"))));
  a.set_host_institution(
      absl::StrCat("institutions/", std::string(rs.getString("host_institution_id"))));
  ReadDate(rs, "start_date", a.mutable_start_date());
  ReadDate(rs, "end_date", a.mutable_end_date());
  a.mutable_location()->set_country(rs.getString("country"));
  a.mutable_location()->set_region(rs.getString("region"));
  a.mutable_location()->set_city(rs.getString("city"));
  Activity::Direction direction;
  if (Activity::Direction_Parse(std::string(rs.getString("direction")), &direction))
    a.set_direction(direction);
  a.set_cooperation_area(rs.getString("cooperation_area"));
  a.set_notes(rs.getString("notes"));
  if (!rs.isNull("external_reference"))
    a.set_external_reference(rs.getString("external_reference"));
  row.revision = rs.getInt64("revision");
  a.set_etag(api::EtagOf(row.revision));
  *a.mutable_create_time() = api::ToTimestamp(ReadTime(rs, "create_time"));
  *a.mutable_update_time() = api::ToTimestamp(ReadTime(rs, "update_time"));
  if (!rs.isNull("delete_time")) {
    row.deleted = true;
    *a.mutable_delete_time() = api::ToTimestamp(ReadTime(rs, "delete_time"));
  }
  return row;
}

void LoadPartners(db::Connection& c, ActivityRow& row) {
  auto& ps = c.Prepare(stmt::kSelectPartnersOfActivity);
  ps.setInt64(1, row.pk);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  row.activity.clear_partner_institutions();
  while (rs->next()) {
    row.activity.add_partner_institutions(
        absl::StrCat("institutions/", std::string(rs->getString(1))));
  }
}

void LoadPartnersOf(db::Connection& c, const std::vector<ActivityRow*>& rows) {
  if (rows.empty()) return;
  absl::flat_hash_map<int64_t, ActivityRow*> by_pk;
  std::vector<int64_t> pks;
  for (ActivityRow* row : rows) {
    row->activity.clear_partner_institutions();
    by_pk[row->pk] = row;
    pks.push_back(row->pk);
  }
  db::Query q(stmt::kSelectPartnersOfActivitiesIn);
  q.BindInList(pks).Sql(stmt::kPartnersOfActivitiesOrder);
  auto rs = q.Execute(c);
  while (rs->next()) {
    auto it = by_pk.find(rs->getInt64("activity_pk"));
    if (it == by_pk.end()) continue;
    it->second->activity.add_partner_institutions(
        absl::StrCat("institutions/", std::string(rs->getString("institution_id"))));
  }
}

std::optional<ActivityRow> FindActivity(db::Connection& c, const std::string& id, bool for_update) {
  auto& ps = c.Prepare(for_update ? stmt::kSelectActivityByIdForUpdate : stmt::kSelectActivityById);
  ps.setString(1, id);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  if (!rs->next()) return std::nullopt;
  ActivityRow row = ReadActivity(*rs);
  rs.reset();
  LoadPartners(c, row);
  return row;
}

void InsertActivity(db::Connection& c, const std::string& id, const Activity& a, absl::Time now) {
  auto& ps = c.Prepare(stmt::kInsertActivity);
  ps.setString(1, id);
  BindActivity(ps, 2, a);
  ps.setString(23, db::TimeToSql(now));
  ps.setString(24, db::TimeToSql(now));
  ps.executeUpdate();
  InsertInvolvements(c, std::nullopt, a);
}

ActivityRow AsInserted(const std::string& id, const Activity& a, absl::Time now) {
  ActivityRow row;
  row.revision = 1;
  Activity& stored = row.activity;
  stored = a;
  stored.DiscardUnknownFields();
  stored.set_name(ActivityName(id));
  stored.set_kind(KindOf(a));
  if (!api::IsSet(stored.end_date())) *stored.mutable_end_date() = stored.start_date();
  std::sort(stored.mutable_partner_institutions()->begin(),
            stored.mutable_partner_institutions()->end());
  *stored.mutable_create_time() = api::ToTimestamp(now);
  *stored.mutable_update_time() = api::ToTimestamp(now);
  stored.clear_delete_time();
  stored.set_etag(absl::StrCat("r", row.revision));
  return row;
}

void UpdateActivity(db::Connection& c, int64_t pk, const Activity& a, absl::Time now) {
  auto& ps = c.Prepare(stmt::kUpdateActivity);
  BindActivity(ps, 1, a);
  ps.setString(22, db::TimeToSql(now));
  ps.setInt64(23, pk);
  ps.executeUpdate();
  ReplaceInvolvements(c, pk, a);
}

absl::flat_hash_map<std::string, int64_t> PksOf(db::Connection& c,
                                                const std::vector<std::string>& ids) {
  absl::flat_hash_map<std::string, int64_t> pks;
  if (ids.empty()) return pks;
  db::Query q(stmt::kSelectPksByIds);
  for (size_t i = 0; i < ids.size(); ++i) q.Bind(i == 0 ? "?" : ", ?", ids[i]);
  q.Sql(")");
  auto rs = q.Execute(c);
  while (rs->next()) pks.emplace(rs->getString(1), rs->getInt64(2));
  return pks;
}

absl::flat_hash_map<std::string, int64_t> InsertActivities(
    db::Connection& c, const std::vector<std::string>& ids,
    const std::vector<const Activity*>& activities, absl::Time now) {
  if (ids.empty()) return {};
  const std::string time = db::TimeToSql(now);
  db::Query insert(stmt::kBulkInsertActivities);
  for (size_t i = 0; i < ids.size(); ++i) {
    std::vector<db::Query::Value> values = {ids[i]};
    for (auto& v : ActivityValues(*activities[i])) values.push_back(std::move(v));
    values.push_back(time);
    values.push_back(time);
    insert.BindAll(i == 0 ? stmt::kActivityValues : absl::StrCat(", ", stmt::kActivityValues),
                   std::move(values));
  }
  insert.ExecuteUpdate(c);
  auto pks = PksOf(c, ids);
  db::Query involvements(stmt::kBulkInsertInvolvements);
  bool first = true;
  for (size_t i = 0; i < ids.size(); ++i) {
    const Activity& a = *activities[i];
    const std::string start = api::DateToString(a.start_date());
    absl::flat_hash_set<std::string> seen;
    for (const Involvement& inv : InvolvedInstitutions(a)) {
      involvements.BindAll(
          first ? stmt::kInvolvementValues : absl::StrCat(", ", stmt::kInvolvementValues),
          {pks[ids[i]], IdOf(inv.institution), std::string(inv.role),
           int64_t{seen.insert(inv.institution).second ? 1 : 0}, start});
      first = false;
    }
  }
  if (!first) involvements.ExecuteUpdate(c);
  return pks;
}

absl::flat_hash_map<std::string, ActivityRow> FindByExternalReferences(
    db::Connection& c, const std::string& host_id, const std::vector<std::string>& references) {
  absl::flat_hash_map<std::string, ActivityRow> found;
  if (references.empty()) return found;
  db::Query q(stmt::kSelectByExternalReferences);
  q.BindAll("", {host_id});  // the fragment holds its placeholder
  for (size_t i = 0; i < references.size(); ++i) q.Bind(i == 0 ? "?" : ", ?", references[i]);
  q.Sql(stmt::kSelectByExternalReferencesClose);
  std::vector<ActivityRow> rows;
  {
    auto rs = q.Execute(c);
    while (rs->next()) rows.push_back(ReadActivity(*rs));
  }
  std::vector<ActivityRow*> loading;
  for (auto& row : rows) loading.push_back(&row);
  LoadPartnersOf(c, loading);
  for (auto& row : rows) {
    std::string key = row.activity.external_reference();
    found.emplace(std::move(key), std::move(row));
  }
  return found;
}

std::optional<std::string> FindIdByExternalReference(db::Connection& c, const std::string& host_id,
                                                     const std::string& reference) {
  auto& ps = c.Prepare(stmt::kSelectIdByExternalReference);
  ps.setString(1, host_id);
  ps.setString(2, reference);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  if (!rs->next()) return std::nullopt;
  return std::string(rs->getString("id"));
}

bool SameContent(const ActivityRow& stored, const Activity& a) {
  if (ActivityValues(stored.activity) != ActivityValues(a)) return false;
  std::vector<std::string> before(stored.activity.partner_institutions().begin(),
                                  stored.activity.partner_institutions().end());
  std::vector<std::string> after(a.partner_institutions().begin(), a.partner_institutions().end());
  std::sort(before.begin(), before.end());
  std::sort(after.begin(), after.end());
  return before == after;
}

void SetActivityDeleteTime(db::Connection& c, int64_t pk, std::optional<absl::Time> when,
                           absl::Time now) {
  auto& ps = c.Prepare(stmt::kSetActivityDeleteTime);
  if (when) {
    ps.setString(1, db::TimeToSql(*when));
  } else {
    ps.setNull(1, 0);
  }
  ps.setString(2, db::TimeToSql(now));
  ps.setInt64(3, pk);
  ps.executeUpdate();
}

}  // namespace imp::activity::store
