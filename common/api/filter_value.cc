#include "common/api/filter_value.h"

#include "common/api/text.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/api/iso3166.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"

namespace imp::api {
namespace {

// Longest prefix of a bad value an error message quotes.
constexpr size_t kMaxTextBytes = 200;    // institutions.city, activities.city
constexpr size_t kMaxRegionBytes = 100;  // the region columns

absl::Status Invalid(absl::string_view field, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat("filter: ", field, ": ", reason));
}

}  // namespace

bool IsValidUtf8(absl::string_view in) {
  for (size_t i = 0; i < in.size();) {
    const size_t n = Utf8SequenceLength(in, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

namespace {

bool HasControlCharacters(absl::string_view in) {
  return std::any_of(in.begin(), in.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

absl::StatusOr<std::string> CheckText(absl::string_view field, absl::string_view value,
                                      size_t max_bytes) {
  if (value.size() > max_bytes)
    return Invalid(field, absl::StrCat("at most ", max_bytes, " bytes"));
  if (!IsValidUtf8(value) || HasControlCharacters(value)) {
    return Invalid(field, absl::StrCat(QuoteForMessage(value),
                                       " is not text (valid UTF-8 without control characters)"));
  }
  return std::string(value);
}

absl::StatusOr<std::string> CheckEnum(const FieldSpec& spec, absl::string_view field,
                                      absl::string_view value) {
  std::string name = absl::AsciiStrToUpper(value);
  if (!absl::StartsWith(name, spec.enum_prefix)) name = absl::StrCat(spec.enum_prefix, name);
  const auto* v = spec.enum_type->FindValueByName(name);
  if (v != nullptr && v->number() != 0) return name;
  std::vector<std::string> allowed;
  for (int i = 0; i < spec.enum_type->value_count(); ++i) {
    const auto* e = spec.enum_type->value(i);
    if (e->number() != 0) {
      allowed.push_back(std::string(absl::StripPrefix(e->name(), spec.enum_prefix)));
    }
  }
  return Invalid(field,
                 absl::StrCat(QuoteForMessage(value), " is not one of ", absl::StrJoin(allowed, ", ")));
}

}  // namespace

absl::StatusOr<std::string> CheckFilterValue(const FieldSpec& spec, absl::string_view field,
                                             absl::string_view value) {
  switch (spec.value) {
    case FilterValue::kText: return CheckText(field, value, kMaxTextBytes);
    case FilterValue::kRegion: {
      if (absl::StartsWithIgnoreCase(value, "UA-")) {
        std::string code = absl::AsciiStrToUpper(value);
        if (IsUkrainianRegionCode(code)) return code;
        return Invalid(
            field, absl::StrCat(QuoteForMessage(value), " is not an ISO 3166-2:UA code (e.g. UA-46)"));
      }
      return CheckText(field, value, kMaxRegionBytes);
    }
    case FilterValue::kCountry: {
      std::string code = absl::AsciiStrToUpper(value);
      if (IsIsoCountryCode(code)) return code;
      return Invalid(field, absl::StrCat(QuoteForMessage(value),
                                         " is not an ISO 3166-1 alpha-2 code (e.g. UA, FR)"));
    }
    case FilterValue::kCode:
      if (IsCodelistCode(value)) return std::string(value);
      return Invalid(field, absl::StrCat(QuoteForMessage(value),
                                         " is not a codelist code ([a-z0-9-], 1 to 64 characters; "
                                         "see ListCooperationAreas)"));
    case FilterValue::kEnum: return CheckEnum(spec, field, value);
    case FilterValue::kResourceName: {
      const std::string prefix = absl::StrCat(spec.collection, "/");
      if (absl::StartsWith(value, prefix) && IsValidResourceId(value.substr(prefix.size()))) {
        return std::string(value.substr(prefix.size()));
      }
      return Invalid(field, absl::StrCat(QuoteForMessage(value), " is not a resource name ", prefix,
                                         "{id} (id: [a-z][a-z0-9-]{0,62})"));
    }
    case FilterValue::kDate: {
      bool shaped = value.size() == 10;
      for (size_t k = 0; shaped && k < value.size(); ++k) {
        shaped = (k == 4 || k == 7) ? value[k] == '-'
                                    : absl::ascii_isdigit(static_cast<unsigned char>(value[k]));
      }
      if (!shaped) {
        return Invalid(field, absl::StrCat(QuoteForMessage(value), " is not a date YYYY-MM-DD"));
      }
      auto date = DateFromString(value, absl::StrCat("filter: ", field));
      if (!date.ok()) return date.status();
      return DateToString(*date);
    }
  }
  return absl::InternalError("filter: unknown value type");
}

bool IsCodelistCode(absl::string_view code) {
  if (code.empty() || code.size() > 64) return false;
  return std::all_of(code.begin(), code.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return absl::ascii_islower(u) || absl::ascii_isdigit(u) || c == '-';
  });
}

}  // namespace imp::api
