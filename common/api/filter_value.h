#ifndef IMP_COMMON_API_FILTER_VALUE_H_
#define IMP_COMMON_API_FILTER_VALUE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace imp::api {

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

// `value` checked for `spec` (the field `field` of a filter) and put in canonical form;
// INVALID_ARGUMENT "filter: <field>: <value quoted by QuoteForMessage> is not ..." otherwise.
absl::StatusOr<std::string> CheckFilterValue(const FieldSpec& spec, absl::string_view field,
                                             absl::string_view value);


// Well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
bool IsValidUtf8(absl::string_view text);

// A codelist code (cooperation areas): [a-z0-9-]{1,64}.
bool IsCodelistCode(absl::string_view code);

}  // namespace imp::api

#endif  // IMP_COMMON_API_FILTER_VALUE_H_
