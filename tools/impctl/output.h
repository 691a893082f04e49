#ifndef IMP_TOOLS_IMPCTL_OUTPUT_H_
#define IMP_TOOLS_IMPCTL_OUTPUT_H_

#include <google/protobuf/message.h>

#include <string>

#include "google/type/money.pb.h"

namespace imp::impctl {

// Proto JSON for scripts: pretty-printed, proto field names, and fields at their default value
// included, so that a count of 0 reads as 0 rather than as a missing key. No trailing newline.
std::string Json(const google::protobuf::Message& message);

// Prints `message` as one JSON document on stdout.
void PrintJson(const google::protobuf::Message& message);

// An amount's number as people read it, without its currency: "35000000", "12.5" (the
// fraction without trailing zeros).
std::string DecimalText(const google::type::Money& amount);

// Parses proto JSON into `message`; false (with the parser's reason on stderr) when it is not one.
bool ParseJsonInto(const std::string& json, google::protobuf::Message* message);

}  // namespace imp::impctl

#endif  // IMP_TOOLS_IMPCTL_OUTPUT_H_
