#include "tools/impctl/output.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace imp::impctl {

std::string Json(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  // Printing a message the binary itself built cannot fail.
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string DecimalText(const google::type::Money& amount) {
  std::string text = absl::StrCat(amount.units());
  if (amount.nanos() != 0) {
    std::string fraction = absl::StrFormat("%09d", amount.nanos());
    while (fraction.back() == '0') fraction.pop_back();
    absl::StrAppend(&text, ".", fraction);
  }
  return text;
}

void PrintJson(const google::protobuf::Message& message) {
  std::printf("%s\n", Json(message).c_str());
}

bool ParseJsonInto(const std::string& json, google::protobuf::Message* message) {
  auto status = google::protobuf::util::JsonStringToMessage(json, message);
  if (status.ok()) return true;
  std::fprintf(stderr, "impctl: the input is not a %s in proto JSON: %s\n",
               message->GetTypeName().c_str(), status.ToString().c_str());
  return false;
}

}  // namespace imp::impctl
