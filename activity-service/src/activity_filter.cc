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

const char* SqlOp(api::FilterOp op) {
  switch (op) {
    case api::FilterOp::kNe: return " <> ";
    case api::FilterOp::kLt: return " < ";
    case api::FilterOp::kLe: return " <= ";
    case api::FilterOp::kGt: return " > ";
    case api::FilterOp::kGe: return " >= ";
    default: return " = ";
  }
}

// "TRAINING" or "KIND_TRAINING" -> "KIND_TRAINING", checked against the enum.
template <typename Parse>
absl::StatusOr<std::string> EnumValue(absl::string_view value, absl::string_view prefix,
                                      absl::string_view field, Parse parse) {
  std::string name = absl::AsciiStrToUpper(value);
  if (!absl::StartsWith(name, prefix)) name = absl::StrCat(prefix, name);
  if (!parse(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter: ", field, " '", value, "' is not valid"));
  }
  return name;
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
    const char* op = SqlOp(t.op);
    if (t.field == "kind") {
      auto v = EnumValue(t.value, "KIND_", "kind", [](const std::string& n) {
        Activity::Kind k;
        return Activity::Kind_Parse(n, &k) && k != Activity::KIND_UNSPECIFIED;
      });
      if (!v.ok()) return v.status();
      query.Bind(absl::StrCat(" AND a.kind", op, "?"), *v);
    } else if (t.field == "direction") {
      auto v = EnumValue(t.value, "DIRECTION_", "direction", [](const std::string& n) {
        Activity::Direction d;
        return Activity::Direction_Parse(n, &d) && d != Activity::DIRECTION_UNSPECIFIED;
      });
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
