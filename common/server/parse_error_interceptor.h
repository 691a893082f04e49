#ifndef IMP_COMMON_SERVER_PARSE_ERROR_INTERCEPTOR_H_
#define IMP_COMMON_SERVER_PARSE_ERROR_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>

namespace imp {

// The answer to a unary request that protobuf refused to parse: INVALID_ARGUMENT with a message
// that says so, instead of gRPC's UNIMPLEMENTED with an empty message.
//
// Why it is needed (gRPC 1.51, callback API): the server parses a unary request before any
// handler runs (CallbackUnaryHandler::Deserialize). When parsing fails -- a string field that is
// not valid UTF-8, which proto3 refuses, or bytes that are not a protobuf message at all -- the
// handler is never called and RunHandler finishes the call with
// Status(UNIMPLEMENTED, "") (grpcpp/impl/codegen/server_callback_handlers.h, "if
// deserialization or reactor creator failed"); the parse error itself is dropped. Interceptors
// still run: at POST_RECV_MESSAGE they see no request message, and at PRE_SEND_STATUS they may
// change the status. This interceptor does exactly that, for unary methods only (a
// client-streaming read that fails to parse looks like the end of the stream to the reactor;
// see docs/design/h-bounds.md).
//
// Register it before the request log interceptor so the log line shows the status sent.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeParseErrorInterceptor();

}  // namespace imp

#endif  // IMP_COMMON_SERVER_PARSE_ERROR_INTERCEPTOR_H_
