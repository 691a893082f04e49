#ifndef IMP_COMMON_DB_FILTER_SQL_H_
#define IMP_COMMON_DB_FILTER_SQL_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/api/filter.h"
#include "common/db/query.h"

namespace imp::db {

// Turning a compiled filter (api::CompileFilter) into SQL. Each service names its columns and
// subqueries in its statements.h; the comparisons every service shares are here. Every value
// is bound, and each folded field yields a bounded number of predicates.

// "?, ?, ?" for n values (n >= 1), for IN lists of a service's fragments.
std::string Placeholders(size_t n);

// The values as bound parameters, for Query::BindAll.
std::vector<Query::Value> Values(const std::vector<std::string>& values);

// A single-valued column: " AND column = ?" per value in `equal` (one, unless the field is free
// text), " AND column NOT IN (?, ...)", and the bounds (" AND column >= ?", ...).
void AppendScalarCondition(Query& query, absl::string_view column, const api::FieldCondition& c);

// Bare search values: " AND column LIKE ?" per value, matching it anywhere, literally.
void AppendContains(Query& query, absl::string_view column, const std::vector<std::string>& values);

// " AND 1 = 0": for filters whose terms can never all hold.
inline constexpr char kNoRows[] = " AND 1 = 0";

}  // namespace imp::db

#endif  // IMP_COMMON_DB_FILTER_SQL_H_
