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
#include "google/protobuf/descriptor.h"

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

// What a field accepts: the operators allowed on it.
enum class FieldKind {
  kEquality,   // = and !=
  kOrdered,    // = != < <= > >= (dates)
  kRepeated,   // : (has)
  kExactDate,  // = only (e.g. in_force_on)
};

// What values a field accepts. ParseFilter checks every value against its field's type and
// replaces it by its canonical form, so that no unchecked byte of a filter reaches SQL and
// equal values compare equal in C++ exactly as they do in the database.
enum class FilterValue {
  kText,          // free text: valid UTF-8 without control characters, at most 200 bytes (city)
  kRegion,        // ISO 3166-2:UA code ("ua-46" -> "UA-46") or, abroad, kText of <= 100 bytes
  kCountry,       // ISO 3166-1 alpha-2 code, any case ("fr" -> "FR")
  kCode,          // codelist code: [a-z0-9-]{1,64}
  kEnum,          // enum value with or without its prefix ("ACTIVE" -> "STATE_ACTIVE")
  kResourceName,  // `{collection}/{id}` -> id
  kDate,          // YYYY-MM-DD between 1900 and 2200
};

struct FieldSpec {
  FieldKind kind = FieldKind::kEquality;
  FilterValue value = FilterValue::kText;
  // The column holds several values per row (an activity's institutions, an agreement's
  // parties, the dates an agreement is in force on): `=` / `:` terms accumulate ("all of")
  // instead of contradicting each other, and `!=` terms mean "none of".
  bool multi_valued = false;
  const google::protobuf::EnumDescriptor* enum_type = nullptr;  // kEnum
  const char* enum_prefix = "";                                 // kEnum, e.g. "STATE_"
  const char* collection = "";                                  // kResourceName, e.g. "agreements"
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

// For error messages: `value` quoted, cut to a short prefix (on a UTF-8 boundary) with its
// length noted when longer, control characters and invalid UTF-8 escaped. Never echoes
// unbounded input.
std::string QuoteValue(absl::string_view value);

// A codelist code (cooperation areas): [a-z0-9-]{1,64}.
bool IsCodelistCode(absl::string_view code);

// `value` as a quoted filter string ("..." with '"' and '\' escaped), for code that builds
// filters for another service.
std::string FilterString(absl::string_view value);

}  // namespace imp::api

#endif  // IMP_COMMON_API_FILTER_H_
