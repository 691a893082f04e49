#include "tools/impctl/mapping_cells.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/api/proto_util.h"
#include "common/api/text.h"

namespace imp::impctl::cells {

std::vector<std::string> SplitList(const std::string& cell) {
  if (absl::StripAsciiWhitespace(cell).empty()) return {};
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(cell, '|'))
    out.emplace_back(absl::StripAsciiWhitespace(part));
  return out;
}

absl::Status Bad(absl::string_view column, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(column, ": ", reason));
}

// "HOSPITAL" -> the value of `prefix`HOSPITAL in `descriptor`; empty -> 0.
absl::StatusOr<int> EnumFromCell(const google::protobuf::EnumDescriptor* descriptor,
                                 absl::string_view prefix, const std::string& cell,
                                 absl::string_view column) {
  const std::string value(absl::StripAsciiWhitespace(cell));
  if (value.empty()) return 0;
  std::string name = absl::AsciiStrToUpper(value);
  if (!absl::StartsWith(name, prefix)) name = absl::StrCat(prefix, name);
  const auto* v = descriptor->FindValueByName(name);
  if (v == nullptr || v->number() == 0) {
    std::vector<std::string> allowed;
    for (int i = 1; i < descriptor->value_count(); ++i) {
      allowed.push_back(descriptor->value(i)->name().substr(prefix.size()));
    }
    return Bad(column, absl::StrCat(api::QuoteForMessage(value), " is not one of ",
                                    absl::StrJoin(allowed, ", ")));
  }
  return v->number();
}

std::string EnumToCell(const google::protobuf::EnumDescriptor* descriptor, absl::string_view prefix,
                       int number) {
  const auto* v = descriptor->FindValueByNumber(number);
  if (v == nullptr || number == 0) return "";
  return absl::StartsWith(v->name(), prefix) ? v->name().substr(prefix.size()) : v->name();
}

absl::Status DateFromCell(const std::string& cell, absl::string_view column,
                          google::type::Date* out) {
  const std::string value(absl::StripAsciiWhitespace(cell));
  if (value.empty()) return absl::OkStatus();
  // The services' own parser, so a date the file accepts is one the API accepts.
  auto date = api::DateFromString(value, column);
  if (!date.ok()) return date.status();
  *out = *date;
  return absl::OkStatus();
}

std::string DateToCell(const google::type::Date& d) {
  return api::IsSet(d) ? api::DateToString(d) : "";
}

absl::StatusOr<int> IntFromCell(const std::string& cell, absl::string_view column) {
  const std::string value(absl::StripAsciiWhitespace(cell));
  if (value.empty()) return 0;
  int n = 0;
  if (!absl::SimpleAtoi(value, &n))
    return Bad(column, absl::StrCat(api::QuoteForMessage(value), " is not a whole number"));
  return n;
}

// The parser guarantees as many cells as header columns; a caller that built the cells itself
// gets an error rather than an out-of-range read.
absl::Status CheckWidth(const std::vector<std::string>& fields,
                        const std::vector<std::string>& columns) {
  if (fields.size() == columns.size()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(fields.size(), " cells where ", columns.size(), " columns are expected"));
}

std::string IntToCell(int n) { return n == 0 ? "" : absl::StrCat(n); }

std::string Name(absl::string_view collection, const std::string& id) {
  return id.empty() ? "" : absl::StrCat(collection, "/", id);
}

}  // namespace imp::impctl::cells
