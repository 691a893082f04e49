#ifndef IMP_COMMON_SERVER_RAW_MESSAGES_H_
#define IMP_COMMON_SERVER_RAW_MESSAGES_H_

#include <grpcpp/support/byte_buffer.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace imp {

// Client streams are served raw (the generated WithRawCallbackMethod_ wrappers) and their
// messages parsed here, because a typed streaming handler reports a message that fails to
// parse (e.g. invalid UTF-8 in a string field) exactly like the end of the stream: an import
// would then apply the rows before the bad message and answer OK. Parsed here, the bad message
// is INVALID_ARGUMENT naming `what` (e.g. "rows: message 3 of the stream").
absl::Status ParseRawMessage(const grpc::ByteBuffer& bytes, google::protobuf::Message* out,
                             absl::string_view what);

// The serialized form of `message`, for a raw method's response.
void SerializeRawMessage(const google::protobuf::Message& message, grpc::ByteBuffer* out);

}  // namespace imp

#endif  // IMP_COMMON_SERVER_RAW_MESSAGES_H_
