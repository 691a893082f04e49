#include "common/server/parse_error_interceptor.h"

namespace imp {
namespace {

using grpc::experimental::InterceptionHookPoints;

class ParseErrorInterceptor : public grpc::experimental::Interceptor {
 public:
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      unparsed_ = methods->GetRecvMessage() == nullptr;
    }
    if (unparsed_ && methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        methods->GetSendStatus().error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      methods->ModifySendStatus(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          "request: cannot be parsed as the method's request message (every string field must "
          "be valid UTF-8)"));
    }
    methods->Proceed();
  }

 private:
  // Written at POST_RECV_MESSAGE and read at PRE_SEND_STATUS, which gRPC runs one after the
  // other for a call (the handler starts only after the first and the status follows it).
  bool unparsed_ = false;
};

class ParseErrorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // Only a unary (or server-streaming) request is parsed before the handler; for streams
    // from the client a missing message at POST_RECV_MESSAGE is also the end of the stream.
    if (info->type() != grpc::experimental::ServerRpcInfo::Type::UNARY &&
        info->type() != grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING) {
      return nullptr;
    }
    return new ParseErrorInterceptor;
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeParseErrorInterceptor() {
  return std::make_unique<ParseErrorFactory>();
}

}  // namespace imp
