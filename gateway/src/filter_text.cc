#include "gateway/src/filter_text.h"

#include "absl/strings/str_cat.h"

namespace imp::gateway {

std::string QuoteFilterValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out.push_back('"');
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string FilterTerm(absl::string_view field, absl::string_view op, absl::string_view value) {
  return absl::StrCat(field, " ", op, " ", QuoteFilterValue(value));
}

}  // namespace imp::gateway
