#include "registry-service/src/framework.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api/errors.h"
#include "common/api/resource_name.h"
#include "common/api/text.h"
#include "registry-service/src/statements.h"
#include "registry-service/src/validation.h"

namespace imp::registry {
namespace {

using v1::Agreement;

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

std::string IdOf(const std::string& name) { return name.substr(name.find('/') + 1); }

}  // namespace

absl::Status ValidateFrameworkFields(const Agreement& a) {
  const bool framework = a.kind() == Agreement::KIND_FRAMEWORK_AGREEMENT;
  if (a.declared_member_count() < 0 || a.declared_member_count() > limits::kMaxDeclaredMembers) {
    return Invalid("agreement.declared_member_count",
                   absl::StrCat("must be between 0 and ", limits::kMaxDeclaredMembers));
  }
  if (!framework && a.declared_member_count() != 0) {
    return Invalid("agreement.declared_member_count",
                   "only a KIND_FRAMEWORK_AGREEMENT declares members");
  }
  if (!framework && a.member_institutions_size() > 0) {
    return Invalid("agreement.member_institutions",
                   "only a KIND_FRAMEWORK_AGREEMENT has member institutions");
  }
  if (a.member_institutions_size() > a.declared_member_count()) {
    return Invalid(
        "agreement.member_institutions",
        absl::StrCat(a.member_institutions_size(), " members named but declared_member_count is ",
                     a.declared_member_count(), "; named members never exceed the declared count"));
  }
  absl::flat_hash_set<std::string> parties;
  for (const auto& party : a.parties()) parties.insert(party.institution());
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < a.member_institutions_size(); ++i) {
    const std::string field = absl::StrCat("agreement.member_institutions[", i, "]");
    const std::string& name = a.member_institutions(i);
    auto id = api::ParseResourceName(name, "institutions", field);
    if (!id.ok()) return id.status();
    if (!seen.insert(name).second) return Invalid(field, "is listed twice");
    if (parties.contains(name)) {
      return Invalid(field, absl::StrCat(name, " is a party of the framework, not a member"));
    }
  }
  if (!a.parent_agreement().empty()) {
    auto id =
        api::ParseResourceName(a.parent_agreement(), "agreements", "agreement.parent_agreement");
    if (!id.ok()) return id.status();
    if (framework) {
      return Invalid("agreement.parent_agreement",
                     "a KIND_FRAMEWORK_AGREEMENT has no parent (frameworks do not nest)");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<FrameworkLinks> LockFrameworkLinks(db::Connection& c, const std::string& id,
                                                  const Agreement& a) {
  FrameworkLinks links;
  if (!a.parent_agreement().empty()) {
    const std::string field = "agreement.parent_agreement";
    const std::string& name = a.parent_agreement();
    if (IdOf(name) == id) return Invalid(field, "an agreement cannot be its own parent");
    auto& ps = c.Prepare(stmt::kSelectAgreementForShare);
    ps.setString(1, IdOf(name));
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    if (!rs->next()) return api::InvalidReference(field, name, "does not exist");
    if (rs->getBoolean(2)) return api::InvalidReference(field, name, "is deleted");
    if (std::string(rs->getString(3)) !=
        Agreement::Kind_Name(Agreement::KIND_FRAMEWORK_AGREEMENT)) {
      return api::InvalidReference(field, name, "is not a KIND_FRAMEWORK_AGREEMENT");
    }
    links.parent_pk = rs->getInt64(1);
  }
  auto& ps = c.Prepare(stmt::kSelectPartyInstitutionForShare);
  for (int i = 0; i < a.member_institutions_size(); ++i) {
    const std::string field = absl::StrCat("agreement.member_institutions[", i, "]");
    const std::string& name = a.member_institutions(i);
    ps.setString(1, IdOf(name));
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    if (!rs->next()) return api::InvalidReference(field, name, "does not exist");
    if (rs->getBoolean(2)) return api::InvalidReference(field, name, "is deleted");
    links.member_pks.push_back(rs->getInt64(1));
  }
  return links;
}

void ReplaceMembers(db::Connection& c, int64_t agreement_pk, const std::vector<int64_t>& pks) {
  auto& del = c.Prepare(stmt::kDeleteMembersOfAgreement);
  del.setInt64(1, agreement_pk);
  del.executeUpdate();
  auto& ins = c.Prepare(stmt::kInsertMember);
  for (size_t i = 0; i < pks.size(); ++i) {
    ins.setInt64(1, agreement_pk);
    ins.setInt64(2, pks[i]);
    ins.setInt(3, static_cast<int>(i));
    ins.executeUpdate();
  }
}

void LoadMembers(db::Connection& c, store::AgreementRow& row) {
  auto& ps = c.Prepare(stmt::kSelectMembersOfAgreement);
  ps.setInt64(1, row.pk);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  row.agreement.clear_member_institutions();
  while (rs->next()) {
    row.agreement.add_member_institutions(store::InstitutionName(std::string(rs->getString(1))));
  }
}

absl::Status NoChildAgreements(db::Connection& c, const store::AgreementRow& row,
                               absl::string_view field, absl::string_view what) {
  if (row.agreement.kind() != Agreement::KIND_FRAMEWORK_AGREEMENT) return absl::OkStatus();
  auto& ps = c.Prepare(stmt::kSelectChildAgreements);
  ps.setInt64(1, row.pk);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  std::vector<std::string> children;
  while (rs->next()) children.push_back(store::AgreementName(std::string(rs->getString(1))));
  if (children.empty()) return absl::OkStatus();
  return api::FailedField(field, absl::StrCat(row.agreement.name(), " has agreements under it (",
                                              absl::StrJoin(children, ", "), "); ", what));
}

}  // namespace imp::registry
