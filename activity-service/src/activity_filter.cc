#include "activity-service/src/activity_filter.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "activity-service/src/statements.h"
#include "common/api/filter.h"
#include "common/db/filter_sql.h"
#include "imp/activity/v1/activity.pb.h"

namespace imp::activity {
namespace {

using api::FieldKind;
using api::FieldSpec;
using api::FilterValue;
using v1::Activity;

const api::FilterSchema& Schema() {
  static const auto* const schema = new api::FilterSchema{
      {"kind", FieldSpec{FieldKind::kEquality, FilterValue::kEnum, false,
                         Activity::Kind_descriptor(), "KIND_"}},
      {"direction", FieldSpec{FieldKind::kEquality, FilterValue::kEnum, false,
                              Activity::Direction_descriptor(), "DIRECTION_"}},
      {"agreement", FieldSpec{FieldKind::kEquality, FilterValue::kResourceName, false, nullptr, "",
                              "agreements"}},
      // An activity involves several institutions (host, partners, participants' homes).
      {"institution", FieldSpec{FieldKind::kEquality, FilterValue::kResourceName, true, nullptr, "",
                                "institutions"}},
      {"country", FieldSpec{FieldKind::kEquality, FilterValue::kCountry}},
      {"region", FieldSpec{FieldKind::kEquality, FilterValue::kRegion}},
      {"cooperation_area", FieldSpec{FieldKind::kEquality, FilterValue::kCode}},
      {"start_date", FieldSpec{FieldKind::kOrdered, FilterValue::kDate}},
  };
  return *schema;
}

const char* Column(const std::string& field) {
  if (field == "kind") return stmt::kFilterKind;
  if (field == "direction") return stmt::kFilterDirection;
  if (field == "agreement") return stmt::kFilterAgreement;
  if (field == "country") return stmt::kFilterCountry;
  if (field == "region") return stmt::kFilterRegion;
  if (field == "cooperation_area") return stmt::kFilterCooperationArea;
  return stmt::kFilterStartDate;
}

void AppendInstitutions(const api::FieldCondition& c, db::Query& query) {
  if (!c.equal.empty()) {
    std::vector<db::Query::Value> values = db::Values(c.equal);
    values.emplace_back(static_cast<int64_t>(c.equal.size()));
    query.BindAll(absl::StrCat(stmt::kInvolvesAllInstitutionsOpen, db::Placeholders(c.equal.size()),
                               stmt::kInvolvesAllInstitutionsClose),
                  std::move(values));
  }
  if (!c.not_equal.empty()) {
    query.BindAll(
        absl::StrCat(stmt::kInvolvesNoInstitutionOpen, db::Placeholders(c.not_equal.size()),
                     stmt::kInvolvesNoInstitutionClose),
        db::Values(c.not_equal));
  }
}

}  // namespace

absl::StatusOr<api::CompiledFilter> CompileActivityFilter(absl::string_view filter) {
  return api::CompileFilter(filter, Schema());
}

absl::Status AppendActivityFilter(absl::string_view filter, db::Query& query) {
  auto compiled = CompileActivityFilter(filter);
  if (!compiled.ok()) return compiled.status();
  if (compiled->matches_nothing) {
    query.Sql(db::kNoRows);
    return absl::OkStatus();
  }
  db::AppendContains(query, stmt::kFilterTitle, compiled->search);
  for (const auto& [field, condition] : compiled->fields) {
    if (field == "institution") {
      AppendInstitutions(condition, query);
    } else {
      db::AppendScalarCondition(query, Column(field), condition);
    }
  }
  return absl::OkStatus();
}

}  // namespace imp::activity
