#include "activity-service/src/activity_filter.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "activity-service/src/statements.h"
#include "common/api/filter.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"
#include "imp/activity/v1/activity.pb.h"

namespace imp::activity {
namespace {

using v1::Activity;

const api::FilterSchema& Schema() {
  static const auto* const schema = new api::FilterSchema{
      {"kind", api::FieldKind::kEquality},        {"agreement", api::FieldKind::kEquality},
      {"institution", api::FieldKind::kEquality}, {"country", api::FieldKind::kEquality},
      {"region", api::FieldKind::kEquality},      {"cooperation_area", api::FieldKind::kEquality},
      {"direction", api::FieldKind::kEquality},   {"start_date", api::FieldKind::kOrdered},
  };
  return *schema;
}

}  // namespace

absl::Status AppendActivityFilter(absl::string_view filter, db::Query& query) {
  auto terms = api::ParseFilter(filter, Schema());
  if (!terms.ok()) return terms.status();
  for (const auto& t : *terms) {
    if (t.op == api::FilterOp::kSearch) {
      query.Bind(" AND a.title LIKE ?", absl::StrCat("%", db::EscapeLike(t.value), "%"));
      continue;
    }
    const char* op = api::SqlComparison(t.op);
    if (t.field == "kind") {
      auto v = api::EnumValueName(Activity::Kind_descriptor(), "KIND_", t.value, "kind");
      if (!v.ok()) return v.status();
      query.Bind(absl::StrCat(" AND a.kind", op, "?"), *v);
    } else if (t.field == "direction") {
      auto v =
          api::EnumValueName(Activity::Direction_descriptor(), "DIRECTION_", t.value, "direction");
      if (!v.ok()) return v.status();
      query.Bind(absl::StrCat(" AND a.direction", op, "?"), *v);
    } else if (t.field == "agreement") {
      auto id = api::ParseResourceName(t.value, "agreements", "filter: agreement");
      if (!id.ok()) return id.status();
      query.Bind(absl::StrCat(" AND a.agreement_id", op, "?"), *id);
    } else if (t.field == "institution") {
      auto id = api::ParseResourceName(t.value, "institutions", "filter: institution");
      if (!id.ok()) return id.status();
      query.Bind(
          t.op == api::FilterOp::kNe ? stmt::kNotInvolvesInstitution : stmt::kInvolvesInstitution,
          *id);
    } else if (t.field == "start_date") {
      auto date = api::DateFromString(t.value, "filter: start_date");
      if (!date.ok()) return date.status();
      query.Bind(absl::StrCat(" AND a.start_date", op, "?"), api::DateToString(*date));
    } else {
      // country, region, cooperation_area: the column is named like the field.
      query.Bind(absl::StrCat(" AND a.", t.field, op, "?"), t.value);
    }
  }
  return absl::OkStatus();
}

}  // namespace imp::activity
