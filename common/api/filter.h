#ifndef IMP_COMMON_API_FILTER_H_
#define IMP_COMMON_API_FILTER_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace imp::api {

// The subset of AIP-160 filters every List method accepts:
//   filter     := term { "AND" term }
//   term       := field op value | value          (a bare value is a name search)
//   op         := "=" | "!=" | "<" | "<=" | ">" | ">=" | ":"   (":" = "has", for repeated fields)
//   value      := "quoted string" | bare-word      (dates are written "YYYY-MM-DD")
// OR, NOT and parentheses are not supported and are rejected with a message saying so.
enum class FilterOp { kEq, kNe, kLt, kLe, kGt, kGe, kHas, kSearch };

struct FilterTerm {
  std::string field;  // empty for kSearch
  FilterOp op;
  std::string value;
};

// What a field accepts: the operators allowed on it.
enum class FieldKind {
  kEquality,   // = and !=
  kOrdered,    // = != < <= > >= (dates)
  kRepeated,   // : (has)
  kExactDate,  // = only (e.g. in_force_on)
};

using FilterSchema = absl::flat_hash_map<std::string, FieldKind>;

// Parses and checks `filter` against `schema`. INVALID_ARGUMENT messages start with "filter:"
// and name the offending field or token.
absl::StatusOr<std::vector<FilterTerm>> ParseFilter(absl::string_view filter,
                                                    const FilterSchema& schema);

// A filter value naming an enum value, with or without its prefix ("ACTIVE" or "STATE_ACTIVE"),
// as the full value name; INVALID_ARGUMENT "filter: <field> '<value>' is not valid" otherwise.
// The zero (_UNSPECIFIED) value is never valid.
absl::StatusOr<std::string> EnumValueName(const google::protobuf::EnumDescriptor* descriptor,
                                          absl::string_view prefix, absl::string_view value,
                                          absl::string_view field);

// The SQL comparison for a term's operator (" = ", " <> ", " < ", ...), for services that
// translate terms into SQL. kHas and kSearch have none and map to " = ".
const char* SqlComparison(FilterOp op);

}  // namespace imp::api

#endif  // IMP_COMMON_API_FILTER_H_
