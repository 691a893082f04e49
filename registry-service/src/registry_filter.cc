#include "registry-service/src/registry_filter.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/api/filter.h"
#include "common/db/filter_sql.h"
#include "imp/registry/v1/registry.pb.h"
#include "registry-service/src/statements.h"

namespace imp::registry {
namespace {

using api::FieldKind;
using api::FieldSpec;
using api::FilterValue;
using v1::Agreement;
using v1::Institution;

const api::FilterSchema& InstitutionSchema() {
  static const auto* const schema = new api::FilterSchema{
      {"country", FieldSpec{FieldKind::kEquality, FilterValue::kCountry}},
      {"region", FieldSpec{FieldKind::kEquality, FilterValue::kRegion}},
      {"kind", FieldSpec{FieldKind::kEquality, FilterValue::kEnum, false,
                         Institution::Kind_descriptor(), "KIND_"}},
      {"city", FieldSpec{FieldKind::kEquality, FilterValue::kText}},
  };
  return *schema;
}

const api::FilterSchema& AgreementSchema() {
  static const auto* const schema = new api::FilterSchema{
      {"state", FieldSpec{FieldKind::kEquality, FilterValue::kEnum, false,
                          Agreement::State_descriptor(), "STATE_"}},
      {"kind", FieldSpec{FieldKind::kEquality, FilterValue::kEnum, false,
                         Agreement::Kind_descriptor(), "KIND_"}},
      {"cooperation_areas", FieldSpec{FieldKind::kRepeated, FilterValue::kCode}},
      {"cooperation_forms", FieldSpec{FieldKind::kRepeated, FilterValue::kEnum, false,
                                      v1::CooperationForm_descriptor(), "COOPERATION_FORM_"}},
      {"parties", FieldSpec{FieldKind::kRepeated, FilterValue::kResourceName, false, nullptr, "",
                            "institutions"}},
      {"party_country", FieldSpec{FieldKind::kRepeated, FilterValue::kCountry}},
      {"party_region", FieldSpec{FieldKind::kRepeated, FilterValue::kRegion}},
      {"signed_on", FieldSpec{FieldKind::kOrdered, FilterValue::kDate}},
      // An agreement is in force on many dates: several terms mean "on each of them".
      {"in_force_on", FieldSpec{FieldKind::kExactDate, FilterValue::kDate, true}},
      {"parent_agreement", FieldSpec{FieldKind::kEquality, FilterValue::kResourceName, false,
                                     nullptr, "", "agreements"}},
  };
  return *schema;
}

const api::FilterSchema& ProjectSchema() {
  auto names = [](const char* collection) {
    return FieldSpec{
        FieldKind::kRepeated, FilterValue::kResourceName, false, nullptr, "", collection};
  };
  static const auto* const schema = new api::FilterSchema{
      {"status", FieldSpec{FieldKind::kEquality, FilterValue::kEnum, false,
                           v1::Project::Status_descriptor(), "STATUS_"}},
      {"institution", names("institutions")},
      {"funder", names("institutions")},
      {"agreement", names("agreements")},
      {"country", FieldSpec{FieldKind::kRepeated, FilterValue::kCountry}},
      {"oblast", FieldSpec{FieldKind::kRepeated, FilterValue::kRegion}},
      {"area", FieldSpec{FieldKind::kRepeated, FilterValue::kCode}},
  };
  return *schema;
}

const char* InstitutionColumn(const std::string& field) {
  if (field == "country") return stmt::kFilterInstitutionCountry;
  if (field == "region") return stmt::kFilterInstitutionRegion;
  if (field == "kind") return stmt::kFilterInstitutionKind;
  return stmt::kFilterInstitutionCity;
}

// <open> ?, ?, ... <close> binding the values (and their count when `counted`).
void AppendInList(const char* open, const char* close, const std::vector<std::string>& values,
                  bool counted, db::Query& query) {
  std::vector<db::Query::Value> bound = db::Values(values);
  if (counted) bound.emplace_back(static_cast<int64_t>(values.size()));
  query.BindAll(absl::StrCat(open, db::Placeholders(values.size()), close), std::move(bound));
}

void AppendAgreementCondition(const std::string& field, const api::FieldCondition& c,
                              db::Query& query) {
  const bool set_field =
      field != "state" && field != "kind" && field != "signed_on" && field != "parent_agreement";
  if (set_field && c.equal.empty()) return;  // only `:` / `=` terms reach set fields
  if (field == "state") {
    db::AppendScalarCondition(query, stmt::kFilterAgreementState, c);
  } else if (field == "kind") {
    db::AppendScalarCondition(query, stmt::kFilterAgreementKind, c);
  } else if (field == "signed_on") {
    db::AppendScalarCondition(query, stmt::kFilterAgreementSignedOn, c);
  } else if (field == "cooperation_areas") {
    AppendInList(stmt::kHasAllCooperationAreasOpen, stmt::kHasAllClose, c.equal, false, query);
  } else if (field == "cooperation_forms") {
    AppendInList(stmt::kHasAllCooperationFormsOpen, stmt::kHasAllClose, c.equal, false, query);
  } else if (field == "parties") {
    AppendInList(stmt::kHasAllPartiesOpen, stmt::kHasAllPartiesClose, c.equal, true, query);
  } else if (field == "party_country") {
    AppendInList(stmt::kHasAllPartyCountriesOpen, stmt::kHasAllPartyCountriesClose, c.equal, true,
                 query);
  } else if (field == "party_region") {
    AppendInList(stmt::kHasAllPartyRegionsOpen, stmt::kHasAllPartyRegionsHaving, c.equal, false,
                 query);
    for (const auto& region : c.equal) query.Bind(stmt::kPartyRegionMatched, region);
    query.Sql(stmt::kSubqueryClose);
  } else if (field == "parent_agreement") {
    db::AppendScalarCondition(query, stmt::kFilterAgreementParent, c);
  } else if (field == "in_force_on") {
    // Sorted canonical dates: in force on the first and the last means on every one.
    const std::string& first = c.equal.front();
    const std::string& last = c.equal.back();
    query.BindAll(stmt::kAgreementInForceOn, {first, first, last});
  }
}

void AppendProjectCondition(const std::string& field, const api::FieldCondition& c,
                            db::Query& query) {
  if (field == "status") return db::AppendScalarCondition(query, stmt::kFilterProjectStatus, c);
  if (c.equal.empty()) return;  // only `:` terms reach the set fields
  if (field == "institution") {
    AppendInList(stmt::kHasAllProjectInstitutionsOpen, stmt::kHasAllProjectInstitutionsClose,
                 c.equal, true, query);
  } else if (field == "funder") {
    AppendInList(stmt::kHasAllProjectFundersOpen, stmt::kHasAllProjectInstitutionsClose, c.equal,
                 true, query);
  } else if (field == "agreement") {
    AppendInList(stmt::kHasAllProjectAgreementsOpen, stmt::kHasAllProjectAgreementsClose, c.equal,
                 true, query);
  } else if (field == "country") {
    AppendInList(stmt::kHasAllProjectCountriesOpen, stmt::kHasAllProjectCountriesClose, c.equal,
                 true, query);
  } else if (field == "oblast") {
    AppendInList(stmt::kHasAllProjectOblastsOpen, stmt::kHasAllProjectOblastsClose, c.equal, true,
                 query);
  } else if (field == "area") {
    AppendInList(stmt::kHasAllProjectAreasOpen, stmt::kHasAllClose, c.equal, false, query);
  }
}

}  // namespace

absl::Status AppendProjectFilter(absl::string_view filter, db::Query& query) {
  auto compiled = api::CompileFilter(filter, ProjectSchema());
  if (!compiled.ok()) return compiled.status();
  if (compiled->matches_nothing) {
    query.Sql(db::kNoRows);
    return absl::OkStatus();
  }
  db::AppendContains(query, stmt::kFilterProjectSearch, compiled->search);
  for (const auto& [field, condition] : compiled->fields) {
    AppendProjectCondition(field, condition, query);
  }
  return absl::OkStatus();
}

absl::Status AppendInstitutionFilter(absl::string_view filter, db::Query& query) {
  auto compiled = api::CompileFilter(filter, InstitutionSchema());
  if (!compiled.ok()) return compiled.status();
  if (compiled->matches_nothing) {
    query.Sql(db::kNoRows);
    return absl::OkStatus();
  }
  db::AppendContains(query, stmt::kFilterInstitutionSearch, compiled->search);
  for (const auto& [field, condition] : compiled->fields) {
    db::AppendScalarCondition(query, InstitutionColumn(field), condition);
  }
  return absl::OkStatus();
}

absl::Status AppendAgreementFilter(absl::string_view filter, db::Query& query) {
  auto compiled = api::CompileFilter(filter, AgreementSchema());
  if (!compiled.ok()) return compiled.status();
  if (compiled->matches_nothing) {
    query.Sql(db::kNoRows);
    return absl::OkStatus();
  }
  db::AppendContains(query, stmt::kFilterAgreementTitle, compiled->search);
  for (const auto& [field, condition] : compiled->fields) {
    AppendAgreementCondition(field, condition, query);
  }
  return absl::OkStatus();
}

}  // namespace imp::registry
