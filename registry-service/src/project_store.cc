#include "registry-service/src/project_store.h"

#include <cppconn/prepared_statement.h>
#include <google/protobuf/util/json_util.h>

#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/api/errors.h"
#include "common/api/etag.h"
#include "common/api/money.h"
#include "common/api/proto_util.h"
#include "common/api/text.h"
#include "common/db/sql_time.h"
#include "registry-service/src/statements.h"
#include "registry-service/src/store.h"

namespace imp::registry::store {
namespace {

using v1::Project;

// What `body` holds: the project less its columns and everything derived or output only.
std::string BodyOf(const Project& p) {
  Project body = p;
  body.clear_name();
  body.clear_title();
  body.clear_local_title();
  body.clear_status();
  body.clear_cooperation_areas();
  body.clear_budget_totals();
  body.clear_create_time();
  body.clear_update_time();
  body.clear_delete_time();
  body.clear_etag();
  for (auto& d : *body.mutable_deliverables()) d.clear_delivered_quantity();
  return api::ToJson(body);
}

// Fills what is derived: delivered quantities and budget totals per currency.
void Derive(Project& p) {
  for (auto& d : *p.mutable_deliverables()) {
    int64_t delivered = 0;
    for (const auto& delivery : d.deliveries()) delivered += delivery.quantity();
    d.set_delivered_quantity(delivered);
  }
  std::vector<const google::type::Money*> amounts;
  for (const auto& line : p.budget()) amounts.push_back(&line.amount());
  p.clear_budget_totals();
  for (auto& total : api::TotalsPerCurrency(amounts)) *p.add_budget_totals() = std::move(total);
}

std::string IdOf(const std::string& name) { return name.substr(name.find('/') + 1); }

// Binds title, local_title, search_text, status, cooperation_areas and body from `first` on.
void Bind(sql::PreparedStatement& ps, int first, const Project& p) {
  ps.setString(first, p.title());
  ps.setString(first + 1, p.local_title());
  ps.setString(first + 2,
               std::string(api::Utf8Prefix(absl::StrCat(p.title(), " | ", p.local_title()), 1100)));
  ps.setString(first + 3, Project::Status_Name(p.status()));
  ps.setString(first + 4, api::StringsToJson(p.cooperation_areas()));
  ps.setString(first + 5, BodyOf(p));
}

}  // namespace

std::string ProjectName(absl::string_view id) { return absl::StrCat("projects/", id); }

ProjectRow ReadProject(sql::ResultSet& rs) {
  ProjectRow row;
  row.pk = rs.getInt64("pk");
  Project& p = row.project;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // a body written by a newer binary
  (void)google::protobuf::util::JsonStringToMessage(std::string(rs.getString("body")), &p, options);
  p.set_name(ProjectName(std::string(rs.getString("id"))));
  p.set_title(rs.getString("title"));
  p.set_local_title(rs.getString("local_title"));
  Project::Status status;
  if (Project::Status_Parse(std::string(rs.getString("status")), &status)) p.set_status(status);
  for (auto& a : api::StringsFromJson(std::string(rs.getString("cooperation_areas")))) {
    p.add_cooperation_areas(a);
  }
  row.revision = rs.getInt64("revision");
  p.set_etag(api::EtagOf(row.revision));
  *p.mutable_create_time() =
      api::ToTimestamp(db::TimeFromSql(std::string(rs.getString("create_time"))));
  *p.mutable_update_time() =
      api::ToTimestamp(db::TimeFromSql(std::string(rs.getString("update_time"))));
  if (!rs.isNull("delete_time")) {
    row.deleted = true;
    *p.mutable_delete_time() =
        api::ToTimestamp(db::TimeFromSql(std::string(rs.getString("delete_time"))));
  }
  Derive(p);
  return row;
}

std::optional<ProjectRow> FindProject(db::Connection& c, const std::string& id, bool for_update) {
  auto& ps = c.Prepare(for_update ? stmt::kSelectProjectByIdForUpdate : stmt::kSelectProjectById);
  ps.setString(1, id);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  if (!rs->next()) return std::nullopt;
  return ReadProject(*rs);
}

absl::StatusOr<ProjectLinks> LockProjectReferences(db::Connection& c, const Project& p) {
  ProjectLinks links;
  absl::flat_hash_map<std::string, int64_t> locked;  // institution name -> pk
  auto institution = [&](const std::string& name,
                         const std::string& field) -> absl::StatusOr<int64_t> {
    if (auto it = locked.find(name); it != locked.end()) return it->second;
    auto& ps = c.Prepare(stmt::kSelectPartyInstitutionForShare);
    ps.setString(1, IdOf(name));
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    if (!rs->next()) return api::InvalidReference(field, name, "does not exist");
    if (rs->getBoolean(2)) return api::InvalidReference(field, name, "is deleted");
    return locked[name] = rs->getInt64(1);
  };
  absl::flat_hash_set<std::string> allowed;  // who may provide or receive funds
  for (int i = 0; i < p.participants_size(); ++i) {
    const auto& participant = p.participants(i);
    auto pk = institution(participant.institution(),
                          absl::StrCat("project.participants[", i, "].institution"));
    if (!pk.ok()) return pk.status();
    links.institutions.emplace_back(*pk, v1::ProjectParticipant::Role_Name(participant.role()));
    allowed.insert(participant.institution());
  }
  for (int i = 0; i < p.locations_size(); ++i) {
    if (p.locations(i).site().empty()) continue;
    auto pk = institution(p.locations(i).site(), absl::StrCat("project.locations[", i, "].site"));
    if (!pk.ok()) return pk.status();
    links.institutions.emplace_back(*pk, "SITE");
  }
  for (int i = 0; i < p.agreements_size(); ++i) {
    const std::string& name = p.agreements(i);
    const std::string field = absl::StrCat("project.agreements[", i, "]");
    auto& ps = c.Prepare(stmt::kSelectAgreementForShare);
    ps.setString(1, IdOf(name));
    int64_t agreement_pk = 0;
    {
      std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
      if (!rs->next()) return api::InvalidReference(field, name, "does not exist");
      if (rs->getBoolean(2)) return api::InvalidReference(field, name, "is deleted");
      agreement_pk = rs->getInt64(1);
    }
    links.agreement_pks.push_back(agreement_pk);
    auto& parties = c.Prepare(stmt::kSelectPartyIdsOfAgreement);
    parties.setInt64(1, agreement_pk);
    std::unique_ptr<sql::ResultSet> rs(parties.executeQuery());
    while (rs->next()) allowed.insert(InstitutionName(std::string(rs->getString(1))));
  }
  for (int i = 0; i < p.transactions_size(); ++i) {
    const auto& t = p.transactions(i);
    for (const auto& [name, what] :
         {std::pair{&t.provider(), "provider"}, std::pair{&t.receiver(), "receiver"}}) {
      const std::string field = absl::StrCat("project.transactions[", i, "].", what);
      if (!allowed.contains(*name)) {
        return api::FailedField(
            field,
            absl::StrCat(*name,
                         " is neither a party of one of the project's agreements nor one "
                         "of its participants"),
            api::kPreconditionReference, api::kReasonReferenceInvalid);
      }
      auto pk = institution(*name, field);
      if (!pk.ok()) return pk.status();
      links.institutions.emplace_back(*pk, "TRANSACTION");
    }
  }
  return links;
}

int64_t WriteProject(db::Connection& c, int64_t pk, const std::string& id, const Project& p,
                     const ProjectLinks& links, absl::Time now) {
  if (pk == 0) {
    auto& ps = c.Prepare(stmt::kInsertProject);
    ps.setString(1, id);
    Bind(ps, 2, p);
    ps.setString(8, db::TimeToSql(now));
    ps.setString(9, db::TimeToSql(now));
    ps.executeUpdate();
    auto row = FindProject(c, id, false);
    pk = row ? row->pk : 0;
  } else {
    auto& ps = c.Prepare(stmt::kUpdateProject);
    Bind(ps, 1, p);
    ps.setString(7, db::TimeToSql(now));
    ps.setInt64(8, pk);
    ps.executeUpdate();
  }
  for (const auto* clear : {&stmt::kDeleteProjectAgreements, &stmt::kDeleteProjectInstitutions,
                            &stmt::kDeleteProjectLocations}) {
    auto& del = c.Prepare(*clear);
    del.setInt64(1, pk);
    del.executeUpdate();
  }
  auto& agreement = c.Prepare(stmt::kInsertProjectAgreement);
  for (int64_t agreement_pk : links.agreement_pks) {
    agreement.setInt64(1, pk);
    agreement.setInt64(2, agreement_pk);
    agreement.executeUpdate();
  }
  auto& institution = c.Prepare(stmt::kInsertProjectInstitution);
  for (const auto& [institution_pk, role] : links.institutions) {
    institution.setInt64(1, pk);
    institution.setInt64(2, institution_pk);
    institution.setString(3, role);
    institution.executeUpdate();
  }
  auto& location = c.Prepare(stmt::kInsertProjectLocation);
  for (int i = 0; i < p.locations_size(); ++i) {
    location.setInt64(1, pk);
    location.setInt(2, i);
    location.setString(3, p.locations(i).country());
    location.setString(4, p.locations(i).region());
    location.executeUpdate();
  }
  return pk;
}

void SetProjectDeleteTime(db::Connection& c, int64_t pk, std::optional<absl::Time> when,
                          absl::Time now) {
  auto& ps = c.Prepare(stmt::kSetProjectDeleteTime);
  if (when)
    ps.setString(1, db::TimeToSql(*when));
  else
    ps.setNull(1, 0);
  ps.setString(2, db::TimeToSql(now));
  ps.setInt64(3, pk);
  ps.executeUpdate();
}

}  // namespace imp::registry::store
