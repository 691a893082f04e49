#ifndef IMP_TOOLS_IMPCTL_OUTPUT_H_
#define IMP_TOOLS_IMPCTL_OUTPUT_H_

#include <google/protobuf/message.h>

#include <string>

namespace imp::impctl {

// Proto JSON for scripts: pretty-printed, proto field names, and fields at their default value
// included, so that a count of 0 reads as 0 rather than as a missing key. No trailing newline.
std::string Json(const google::protobuf::Message& message);

// Prints `message` as one JSON document on stdout.
void PrintJson(const google::protobuf::Message& message);

// Parses proto JSON into `message`; false (with the parser's reason on stderr) when it is not one.
bool ParseJsonInto(const std::string& json, google::protobuf::Message* message);

}  // namespace imp::impctl

#endif  // IMP_TOOLS_IMPCTL_OUTPUT_H_
