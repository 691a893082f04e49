#ifndef IMP_COMMON_API_FILTER_H_
#define IMP_COMMON_API_FILTER_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/api/filter_value.h"

namespace imp::api {

// The subset of AIP-160 filters every List method (and GetActivityStats) accepts:
//   filter     := term { "AND" term }
//   term       := field op value | value          (a bare value is a name search)
//   op         := "=" | "!=" | "<" | "<=" | ">" | ">=" | ":"   (":" = "has", for repeated fields)
//   value      := "quoted string" | bare-word      (dates are written "YYYY-MM-DD")
// OR, NOT and parentheses are not supported and are rejected with a message saying so.
//
// Every filter is bounded before anything else looks at it, so that its cost in the parser and
// in MariaDB (statement size, placeholders, optimizer memory) has a fixed ceiling. The limits
// are far above what a person or a tool writes (the longest filter the suite itself builds
// has 4 terms) and are documented on every `filter` field of the API.
inline constexpr size_t kMaxFilterBytes = 4096;
inline constexpr size_t kMaxFilterTerms = 32;

enum class FilterOp { kEq, kNe, kLt, kLe, kGt, kGe, kHas, kSearch };

struct FilterTerm {
  std::string field;  // empty for kSearch
  FilterOp op;
  std::string value;  // checked and canonical (see FilterValue)
};

using FilterSchema = absl::flat_hash_map<std::string, FieldSpec>;

// Parses and checks `filter` against `schema`: at most kMaxFilterBytes and kMaxFilterTerms,
// known fields, allowed operators, and each value valid for its field. INVALID_ARGUMENT
// messages start with "filter:", name the offending field or token and quote at most a short
// prefix of a bad value.
absl::StatusOr<std::vector<FilterTerm>> ParseFilter(absl::string_view filter,
                                                    const FilterSchema& schema);

// Every term on one field, folded into one condition, so that the SQL a filter produces holds
// one predicate (or one subquery) per field however many terms name it.
struct FieldCondition {
  // Single-valued fields: the values the column must equal. At most one for fields whose
  // values compare exactly (codes, ids, enums, dates); free text (region, city) compares under
  // the database collation, which C++ cannot reproduce, so several distinct spellings stay
  // (each becomes a plain comparison). Multi-valued fields: the values a row must ALL have.
  std::vector<std::string> equal;
  // The values the column must not equal (single-valued) / the row must have NONE of.
  std::vector<std::string> not_equal;
  // Ordered fields: the tightest bounds (canonical dates compare as text).
  std::optional<std::string> lower, upper;
  bool lower_inclusive = true, upper_inclusive = true;
};

struct CompiledFilter {
  // The terms can never all hold (e.g. `kind = "TRAINING" kind = "EVENT"`): the query needs
  // no condition but a constant false.
  bool matches_nothing = false;
  std::vector<std::string> search;               // bare values, distinct
  std::map<std::string, FieldCondition> fields;  // by field name: deterministic SQL text
};

// ParseFilter, then folds the terms field by field as above.
absl::StatusOr<CompiledFilter> CompileFilter(absl::string_view filter, const FilterSchema& schema);

}  // namespace imp::api

#endif  // IMP_COMMON_API_FILTER_H_
