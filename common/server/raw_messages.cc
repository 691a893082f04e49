#include "common/server/raw_messages.h"

#include <grpcpp/support/slice.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace imp {

absl::Status ParseRawMessage(const grpc::ByteBuffer& bytes, google::protobuf::Message* out,
                             absl::string_view what) {
  std::vector<grpc::Slice> slices;
  grpc::Status dumped = bytes.Dump(&slices);
  std::string data;
  if (dumped.ok()) {
    data.reserve(bytes.Length());
    for (const auto& slice : slices) {
      data.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  if (!dumped.ok() || !out->ParseFromString(data)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": cannot be parsed as ", out->GetDescriptor()->full_name(),
        " (malformed bytes, or a string field that is not valid UTF-8); nothing was applied"));
  }
  return absl::OkStatus();
}

void SerializeRawMessage(const google::protobuf::Message& message, grpc::ByteBuffer* out) {
  const std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  *out = grpc::ByteBuffer(&slice, 1);
}

}  // namespace imp
