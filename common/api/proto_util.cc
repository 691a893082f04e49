#include "common/api/proto_util.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cstdio>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/api/text.h"

namespace imp::api {
namespace {

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

}  // namespace

bool IsSet(const google::type::Date& date) {
  return date.year() != 0 || date.month() != 0 || date.day() != 0;
}

absl::Status ValidateDate(const google::type::Date& date, absl::string_view field) {
  if (date.year() < 1900 || date.year() > 2200 || date.month() < 1 || date.month() > 12 ||
      date.day() < 1 || date.day() > DaysInMonth(date.year(), date.month())) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: %04d-%02d-%02d is not a complete calendar date between 1900 and 2200",
                        field, date.year(), date.month(), date.day()));
  }
  return absl::OkStatus();
}

std::string DateToString(const google::type::Date& date) {
  return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(), date.day());
}

absl::StatusOr<google::type::Date> DateFromString(absl::string_view text, absl::string_view field) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      !absl::SimpleAtoi(text.substr(0, 4), &y) || !absl::SimpleAtoi(text.substr(5, 2), &m) ||
      !absl::SimpleAtoi(text.substr(8, 2), &d)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", QuoteForMessage(text), " is not a date in the form YYYY-MM-DD"));
  }
  google::type::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  absl::Status valid = ValidateDate(date, field);
  if (!valid.ok()) return valid;
  return date;
}

int CompareDates(const google::type::Date& a, const google::type::Date& b) {
  // Field by field: callers may compare dates they have not validated yet, whose year can be
  // anything an int32 holds (year * 10000 would overflow).
  const auto key = [](const google::type::Date& x) {
    return std::make_tuple(x.year(), x.month(), x.day());
  };
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t micros = absl::ToUnixMicros(t);
  ts.set_seconds(micros / 1000000);
  ts.set_nanos(static_cast<int32_t>((micros % 1000000) * 1000));
  return ts;
}

std::string StringsToJson(const google::protobuf::RepeatedPtrField<std::string>& values) {
  google::protobuf::ListValue list;
  for (const auto& v : values) list.add_values()->set_string_value(v);
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(list, &json);
  return json;
}

std::vector<std::string> StringsFromJson(absl::string_view json) {
  google::protobuf::ListValue list;
  std::vector<std::string> out;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &list).ok()) return out;
  for (const auto& v : list.values()) out.push_back(v.string_value());
  return out;
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

absl::StatusOr<std::vector<std::string>> ResolveUpdateMask(
    const google::protobuf::FieldMask& mask, const google::protobuf::Message& patch,
    const std::vector<std::string>& updatable) {
  std::vector<std::string> paths;
  if (mask.paths_size() == 0) {
    // AIP-134: no mask means every field the client populated.
    const auto* reflection = patch.GetReflection();
    std::vector<const google::protobuf::FieldDescriptor*> set_fields;
    reflection->ListFields(patch, &set_fields);
    for (const auto* f : set_fields) {
      if (std::find(updatable.begin(), updatable.end(), f->name()) != updatable.end()) {
        paths.push_back(f->name());
      }
    }
    return paths;
  }
  for (const std::string& path : mask.paths()) {
    if (path == "*") return updatable;
    if (std::find(updatable.begin(), updatable.end(), path) == updatable.end()) {
      const bool exists = patch.GetDescriptor()->FindFieldByName(path) != nullptr;
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: ", QuoteForMessage(path), " ",
                       exists ? "cannot be updated (output only or changed by another method)"
                              : "is not a field of the resource",
                       "; updatable: ", absl::StrJoin(updatable, ", ")));
    }
    paths.push_back(path);
  }
  return paths;
}

void ApplyUpdateMask(const std::vector<std::string>& paths, const google::protobuf::Message& patch,
                     google::protobuf::Message* target) {
  google::protobuf::FieldMask mask;
  for (const auto& p : paths) mask.add_paths(p);
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(patch, mask, options, target);
}

}  // namespace imp::api
