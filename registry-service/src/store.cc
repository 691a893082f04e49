#include "registry-service/src/store.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/api/etag.h"
#include "common/api/proto_util.h"
#include "common/api/text.h"
#include "common/db/query.h"
#include "common/db/sql_time.h"
#include "registry-service/src/statements.h"
#include "registry-service/src/validation.h"

namespace imp::registry::store {
namespace {

using v1::Agreement;
using v1::Institution;

std::string SearchText(const Institution& in) {
  std::string text = absl::StrCat(in.display_name(), " | ", in.local_name());
  for (const auto& s : in.short_names()) absl::StrAppend(&text, " | ", s);
  return std::string(api::Utf8Prefix(text, 2000));  // never half a character (MariaDB 1366)
}

// Binds a date parameter, or NULL when the date is unset.
void SetDate(sql::PreparedStatement& ps, int index, const google::type::Date& date) {
  if (api::IsSet(date)) {
    ps.setString(index, api::DateToString(date));
  } else {
    ps.setNull(index, 0);
  }
}

void ReadDate(sql::ResultSet& rs, int column, google::type::Date* date) {
  if (rs.isNull(column)) return;
  auto parsed = api::DateFromString(std::string(rs.getString(column)), "date");
  if (parsed.ok()) *date = *parsed;
}

std::string FormsToJson(const Agreement& a) {
  google::protobuf::RepeatedPtrField<std::string> names;
  for (int form : a.cooperation_forms()) {
    *names.Add() = v1::CooperationForm_Name(static_cast<v1::CooperationForm>(form));
  }
  return api::StringsToJson(names);
}

}  // namespace

std::string InstitutionName(absl::string_view id) { return absl::StrCat("institutions/", id); }
std::string AgreementName(absl::string_view id) { return absl::StrCat("agreements/", id); }
std::string Etag(int64_t revision) { return api::EtagOf(revision); }

InstitutionRow ReadInstitution(sql::ResultSet& rs) {
  InstitutionRow row;
  row.pk = rs.getInt64(1);
  Institution& in = row.institution;
  in.set_name(InstitutionName(std::string(rs.getString(2))));
  in.set_display_name(rs.getString(3));
  in.set_local_name(rs.getString(4));
  for (auto& s : api::StringsFromJson(std::string(rs.getString(5)))) in.add_short_names(s);
  Institution::Kind kind;
  if (Institution::Kind_Parse(std::string(rs.getString(6)), &kind)) in.set_kind(kind);
  in.set_country(rs.getString(7));
  in.set_region(rs.getString(8));
  in.set_city(rs.getString(9));
  in.set_website(rs.getString(10));
  in.set_notes(rs.getString(11));
  row.revision = rs.getInt64(12);
  in.set_etag(Etag(row.revision));
  *in.mutable_create_time() = api::ToTimestamp(db::TimeFromSql(std::string(rs.getString(13))));
  *in.mutable_update_time() = api::ToTimestamp(db::TimeFromSql(std::string(rs.getString(14))));
  if (!rs.isNull(15)) {
    row.deleted = true;
    *in.mutable_delete_time() = api::ToTimestamp(db::TimeFromSql(std::string(rs.getString(15))));
  }
  return row;
}

std::optional<InstitutionRow> FindInstitution(db::Connection& c, const std::string& id,
                                              bool for_update) {
  auto& ps =
      c.Prepare(for_update ? stmt::kSelectInstitutionByIdForUpdate : stmt::kSelectInstitutionById);
  ps.setString(1, id);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  if (!rs->next()) return std::nullopt;
  return ReadInstitution(*rs);
}

absl::flat_hash_map<std::string, InstitutionRow> FindInstitutions(
    db::Connection& c, const std::vector<std::string>& ids) {
  absl::flat_hash_map<std::string, InstitutionRow> found;
  if (ids.empty()) return found;
  db::Query q(stmt::kSelectInstitutionsByIdIn);
  q.BindInList(ids).Sql(stmt::kInListClose);
  auto rs = q.Execute(c);
  while (rs->next()) {
    InstitutionRow row = ReadInstitution(*rs);
    std::string id(rs->getString("id"));
    found.emplace(std::move(id), std::move(row));
  }
  return found;
}

std::optional<InstitutionRow> FindInstitutionByPk(db::Connection& c, int64_t pk) {
  auto& ps = c.Prepare(stmt::kSelectInstitutionByPk);
  ps.setInt64(1, pk);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  if (!rs->next()) return std::nullopt;
  return ReadInstitution(*rs);
}

std::optional<std::string> FindInstitutionIdByKey(db::Connection& c, const std::string& country,
                                                  const std::string& normalized_name) {
  auto& ps = c.Prepare(stmt::kSelectInstitutionIdByCountryName);
  ps.setString(1, country);
  ps.setString(2, normalized_name);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  if (!rs->next()) return std::nullopt;
  return std::string(rs->getString(1));
}

int64_t InsertInstitution(db::Connection& c, const std::string& id, const Institution& in,
                          absl::Time now) {
  auto& ps = c.Prepare(stmt::kInsertInstitution);
  ps.setString(1, id);
  ps.setString(2, in.display_name());
  ps.setString(3, NormalizeName(in.display_name()));
  ps.setString(4, in.local_name());
  ps.setString(5, api::StringsToJson(in.short_names()));
  ps.setString(6, SearchText(in));
  ps.setString(7, Institution::Kind_Name(in.kind()));
  ps.setString(8, in.country());
  ps.setString(9, in.region());
  ps.setString(10, in.city());
  ps.setString(11, in.website());
  ps.setString(12, in.notes());
  ps.setString(13, db::TimeToSql(now));
  ps.setString(14, db::TimeToSql(now));
  ps.executeUpdate();
  auto found = FindInstitution(c, id, false);
  return found ? found->pk : 0;
}

void UpdateInstitution(db::Connection& c, int64_t pk, const Institution& in, absl::Time now) {
  auto& ps = c.Prepare(stmt::kUpdateInstitution);
  ps.setString(1, in.display_name());
  ps.setString(2, NormalizeName(in.display_name()));
  ps.setString(3, in.local_name());
  ps.setString(4, api::StringsToJson(in.short_names()));
  ps.setString(5, SearchText(in));
  ps.setString(6, Institution::Kind_Name(in.kind()));
  ps.setString(7, in.country());
  ps.setString(8, in.region());
  ps.setString(9, in.city());
  ps.setString(10, in.website());
  ps.setString(11, in.notes());
  ps.setString(12, db::TimeToSql(now));
  ps.setInt64(13, pk);
  ps.executeUpdate();
}

void SetInstitutionDeleteTime(db::Connection& c, int64_t pk, std::optional<absl::Time> when,
                              absl::Time now) {
  auto& ps = c.Prepare(stmt::kSetInstitutionDeleteTime);
  if (when)
    ps.setString(1, db::TimeToSql(*when));
  else
    ps.setNull(1, 0);
  ps.setString(2, db::TimeToSql(now));
  ps.setInt64(3, pk);
  ps.executeUpdate();
}

std::vector<std::string> BindingAgreementIds(db::Connection& c, int64_t institution_pk) {
  auto& ps = c.Prepare(stmt::kSelectBindingAgreementsOfInstitution);
  ps.setInt64(1, institution_pk);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  std::vector<std::string> ids;
  while (rs->next()) ids.push_back(rs->getString(1));
  return ids;
}

AgreementRow ReadAgreement(sql::ResultSet& rs) {
  AgreementRow row;
  row.pk = rs.getInt64(1);
  Agreement& a = row.agreement;
  a.set_name(AgreementName(std::string(rs.getString(2))));
  a.set_title(rs.getString(3));
  Agreement::Kind kind;
  if (Agreement::Kind_Parse(std::string(rs.getString(4)), &kind)) a.set_kind(kind);
  Agreement::State state;
  if (Agreement::State_Parse(std::string(rs.getString(5)), &state)) a.set_state(state);
  ReadDate(rs, 6, a.mutable_signed_on());
  ReadDate(rs, 7, a.mutable_valid_from());
  ReadDate(rs, 8, a.mutable_valid_until());
  a.set_signing_event(rs.getString(9));
  for (auto& s : api::StringsFromJson(std::string(rs.getString(10)))) a.add_cooperation_areas(s);
  for (auto& s : api::StringsFromJson(std::string(rs.getString(11)))) {
    v1::CooperationForm form;
    if (v1::CooperationForm_Parse(s, &form)) a.add_cooperation_forms(form);
  }
  for (auto& s : api::StringsFromJson(std::string(rs.getString(12)))) a.add_funders(s);
  a.set_document_uri(rs.getString(13));
  a.set_notes(rs.getString(14));
  row.revision = rs.getInt64(15);
  a.set_etag(Etag(row.revision));
  *a.mutable_create_time() = api::ToTimestamp(db::TimeFromSql(std::string(rs.getString(16))));
  *a.mutable_update_time() = api::ToTimestamp(db::TimeFromSql(std::string(rs.getString(17))));
  if (!rs.isNull(18)) {
    row.deleted = true;
    *a.mutable_delete_time() = api::ToTimestamp(db::TimeFromSql(std::string(rs.getString(18))));
  }
  a.set_declared_member_count(rs.getInt(19));
  if (!rs.isNull(20)) a.set_parent_agreement(AgreementName(std::string(rs.getString(20))));
  return row;
}

void LoadMembers(db::Connection& c, AgreementRow& row) {
  auto& ps = c.Prepare(stmt::kSelectMembersOfAgreement);
  ps.setInt64(1, row.pk);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  row.agreement.clear_member_institutions();
  while (rs->next()) {
    row.agreement.add_member_institutions(InstitutionName(std::string(rs->getString(1))));
  }
}

void LoadParties(db::Connection& c, AgreementRow& row) {
  auto& ps = c.Prepare(stmt::kSelectPartiesOfAgreement);
  ps.setInt64(1, row.pk);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  row.agreement.clear_parties();
  while (rs->next()) {
    auto* party = row.agreement.add_parties();
    party->set_institution(InstitutionName(std::string(rs->getString(1))));
    v1::Party::Role role;
    if (v1::Party::Role_Parse(std::string(rs->getString(2)), &role)) party->set_role(role);
  }
}

std::optional<AgreementRow> FindAgreement(db::Connection& c, const std::string& id,
                                          bool for_update) {
  auto& ps =
      c.Prepare(for_update ? stmt::kSelectAgreementByIdForUpdate : stmt::kSelectAgreementById);
  ps.setString(1, id);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  if (!rs->next()) return std::nullopt;
  AgreementRow row = ReadAgreement(*rs);
  rs.reset();
  LoadParties(c, row);
  LoadMembers(c, row);
  return row;
}

void LoadPartiesOf(db::Connection& c, std::vector<AgreementRow*> rows) {
  if (rows.empty()) return;
  absl::flat_hash_map<int64_t, AgreementRow*> by_pk;
  std::vector<int64_t> pks;
  for (AgreementRow* row : rows) {
    row->agreement.clear_parties();
    by_pk[row->pk] = row;
    pks.push_back(row->pk);
  }
  db::Query parties(stmt::kSelectPartiesOfAgreementsIn);
  parties.BindInList(pks).Sql(stmt::kPartiesOfAgreementsOrder);
  auto rs = parties.Execute(c);
  while (rs->next()) {
    auto it = by_pk.find(rs->getInt64("agreement_pk"));
    if (it == by_pk.end()) continue;
    auto* party = it->second->agreement.add_parties();
    party->set_institution(InstitutionName(std::string(rs->getString("id"))));
    v1::Party::Role role;
    if (v1::Party::Role_Parse(std::string(rs->getString("role")), &role)) party->set_role(role);
  }
}

absl::flat_hash_map<std::string, AgreementRow> FindAgreements(db::Connection& c,
                                                              const std::vector<std::string>& ids) {
  absl::flat_hash_map<std::string, AgreementRow> found;
  if (ids.empty()) return found;
  {
    db::Query q(stmt::kSelectAgreementsByIdIn);
    q.BindInList(ids).Sql(stmt::kInListClose);
    auto rs = q.Execute(c);
    while (rs->next()) {
      AgreementRow row = ReadAgreement(*rs);
      std::string id(rs->getString("id"));
      found.emplace(std::move(id), std::move(row));
    }
  }
  std::vector<AgreementRow*> rows;
  for (auto& [id, row] : found) rows.push_back(&row);
  LoadPartiesOf(c, rows);
  for (AgreementRow* row : rows) LoadMembers(c, *row);
  return found;
}

namespace {
void BindAgreement(sql::PreparedStatement& ps, int first, const Agreement& a,
                   std::optional<int64_t> parent_pk) {
  ps.setString(first + 0, a.title());
  ps.setString(first + 1, Agreement::Kind_Name(a.kind()));
  ps.setString(first + 2, Agreement::State_Name(a.state()));
  SetDate(ps, first + 3, a.signed_on());
  SetDate(ps, first + 4, a.valid_from());
  SetDate(ps, first + 5, a.valid_until());
  ps.setString(first + 6, a.signing_event());
  ps.setString(first + 7, api::StringsToJson(a.cooperation_areas()));
  ps.setString(first + 8, FormsToJson(a));
  ps.setString(first + 9, api::StringsToJson(a.funders()));
  ps.setString(first + 10, a.document_uri());
  ps.setString(first + 11, a.notes());
  ps.setInt(first + 12, a.declared_member_count());
  if (parent_pk) {
    ps.setInt64(first + 13, *parent_pk);
  } else {
    ps.setNull(first + 13, 0);
  }
}
}  // namespace

int64_t InsertAgreement(db::Connection& c, const std::string& id, const Agreement& a,
                        std::optional<int64_t> parent_pk, absl::Time now) {
  auto& ps = c.Prepare(stmt::kInsertAgreement);
  ps.setString(1, id);
  BindAgreement(ps, 2, a, parent_pk);
  ps.setString(16, db::TimeToSql(now));
  ps.setString(17, db::TimeToSql(now));
  ps.executeUpdate();
  auto& select = c.Prepare(stmt::kSelectAgreementById);
  select.setString(1, id);
  std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
  return rs->next() ? rs->getInt64(1) : 0;
}

void UpdateAgreement(db::Connection& c, int64_t pk, const Agreement& a,
                     std::optional<int64_t> parent_pk, absl::Time now) {
  auto& ps = c.Prepare(stmt::kUpdateAgreement);
  BindAgreement(ps, 1, a, parent_pk);
  ps.setString(15, db::TimeToSql(now));
  ps.setInt64(16, pk);
  ps.executeUpdate();
}

std::optional<int64_t> ParentPk(db::Connection& c, int64_t agreement_pk) {
  auto& ps = c.Prepare(stmt::kSelectParentPkOfAgreement);
  ps.setInt64(1, agreement_pk);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  if (!rs->next() || rs->isNull(1)) return std::nullopt;
  return rs->getInt64(1);
}

void SetAgreementDeleteTime(db::Connection& c, int64_t pk, std::optional<absl::Time> when,
                            absl::Time now) {
  auto& ps = c.Prepare(stmt::kSetAgreementDeleteTime);
  if (when)
    ps.setString(1, db::TimeToSql(*when));
  else
    ps.setNull(1, 0);
  ps.setString(2, db::TimeToSql(now));
  ps.setInt64(3, pk);
  ps.executeUpdate();
}

void ReplaceParties(db::Connection& c, int64_t agreement_pk, const Agreement& a,
                    const std::vector<int64_t>& party_pks) {
  auto& del = c.Prepare(stmt::kDeletePartiesOfAgreement);
  del.setInt64(1, agreement_pk);
  del.executeUpdate();
  auto& ins = c.Prepare(stmt::kInsertParty);
  for (int i = 0; i < a.parties_size(); ++i) {
    ins.setInt64(1, agreement_pk);
    ins.setInt64(2, party_pks[i]);
    ins.setString(3, v1::Party::Role_Name(a.parties(i).role()));
    ins.setInt(4, i);
    ins.executeUpdate();
  }
}

absl::StatusOr<std::vector<int64_t>> LockParties(db::Connection& c, const Agreement& a) {
  std::vector<int64_t> pks;
  auto& ps = c.Prepare(stmt::kSelectPartyInstitutionForShare);
  for (int i = 0; i < a.parties_size(); ++i) {
    const std::string& name = a.parties(i).institution();
    ps.setString(1, name.substr(name.find('/') + 1));
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    if (!rs->next()) {
      return absl::FailedPreconditionError(
          absl::StrCat("agreement.parties[", i, "].institution: ", name, " does not exist"));
    }
    if (rs->getBoolean(2)) {
      return absl::FailedPreconditionError(
          absl::StrCat("agreement.parties[", i, "].institution: ", name, " is deleted"));
    }
    pks.push_back(rs->getInt64(1));
  }
  return pks;
}

void AppendToFeed(db::Connection& c, const std::string& resource_name, int64_t revision,
                  absl::Time now) {
  c.Prepare(stmt::kFeedNextSequence).executeUpdate();
  auto& ps = c.Prepare(stmt::kFeedAppend);
  ps.setString(1, resource_name);
  ps.setInt64(2, revision);
  ps.setString(3, db::TimeToSql(now));
  ps.executeUpdate();
}

FeedHeadRow FeedHead(db::Connection& c) {
  auto& ps = c.Prepare(stmt::kFeedHead);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  FeedHeadRow head;
  if (rs->next()) {
    head.sequence = rs->getInt64("seq");
    head.epoch = rs->getString("epoch");
  }
  return head;
}

std::vector<FeedEntry> ReadFeed(db::Connection& c, int64_t after, int64_t through, int limit) {
  auto& ps = c.Prepare(stmt::kFeedAfter);
  ps.setInt64(1, after);
  ps.setInt64(2, through);
  ps.setInt(3, limit);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  std::vector<FeedEntry> entries;
  while (rs->next()) {
    FeedEntry e;
    e.sequence = rs->getInt64("seq");
    e.resource_name = rs->getString("resource_name");
    e.revision = rs->getInt64("revision");
    entries.push_back(std::move(e));
  }
  return entries;
}

absl::flat_hash_map<std::string, std::string> CooperationAreas(db::Connection& c) {
  auto& ps = c.Prepare(stmt::kSelectCooperationAreaCodes);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  absl::flat_hash_map<std::string, std::string> areas;
  while (rs->next()) areas.emplace(rs->getString(1), rs->getString(2));
  return areas;
}

}  // namespace imp::registry::store
