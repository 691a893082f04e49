#include "registry-service/src/framework_rules.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/api/resource_name.h"
#include "registry-service/src/validation.h"

namespace imp::registry {
namespace {

using v1::Agreement;

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

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

}  // namespace imp::registry
