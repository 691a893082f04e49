#include "common/db/filter_sql.h"

#include "absl/strings/str_cat.h"

namespace imp::db {

std::string Placeholders(size_t n) {
  std::string out = "?";
  for (size_t i = 1; i < n; ++i) out += ", ?";
  return out;
}

std::vector<Query::Value> Values(const std::vector<std::string>& values) {
  return std::vector<Query::Value>(values.begin(), values.end());
}

void AppendScalarCondition(Query& query, absl::string_view column, const api::FieldCondition& c) {
  for (const auto& v : c.equal) query.Bind(absl::StrCat(" AND ", column, " = ?"), v);
  if (!c.not_equal.empty()) {
    query.BindAll(absl::StrCat(" AND ", column, " NOT IN (", Placeholders(c.not_equal.size()), ")"),
                  Values(c.not_equal));
  }
  if (c.lower) {
    query.Bind(absl::StrCat(" AND ", column, c.lower_inclusive ? " >= ?" : " > ?"), *c.lower);
  }
  if (c.upper) {
    query.Bind(absl::StrCat(" AND ", column, c.upper_inclusive ? " <= ?" : " < ?"), *c.upper);
  }
}

void AppendContains(Query& query, absl::string_view column,
                    const std::vector<std::string>& values) {
  for (const auto& v : values) {
    query.Bind(absl::StrCat(" AND ", column, " LIKE ?"), absl::StrCat("%", EscapeLike(v), "%"));
  }
}

}  // namespace imp::db
