#include "registry-service/src/framework.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api/errors.h"
#include "registry-service/src/statements.h"

namespace imp::registry {
namespace {

using v1::Agreement;

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

std::string IdOf(const std::string& name) { return name.substr(name.find('/') + 1); }

}  // namespace

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
