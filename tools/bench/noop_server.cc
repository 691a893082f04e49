#include "tools/bench/noop_server.h"

#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/impl/service_type.h>
#include <grpcpp/support/server_callback.h>

#include <cstdio>
#include <cstdlib>

#include "absl/synchronization/mutex.h"

namespace imp::bench {

// A grpc::Service whose methods are named at run time, each a raw unary callback method: the
// same registration the generated WithRawCallbackMethod_* classes make, for any method name.
class NoopServer::Service : public grpc::Service {
 public:
  explicit Service(const std::vector<std::string>& methods)
      : names_(methods.begin(), methods.end()), answers_(methods.size()) {
    static const grpc::ByteBuffer kEmpty;
    for (size_t i = 0; i < names_.size(); ++i) {
      answers_[i].store(&kEmpty);
      AddMethod(new grpc::internal::RpcServiceMethod(
          names_[i].c_str(), grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
      auto* answer = &answers_[i];
      MarkMethodRawCallback(
          static_cast<int>(i),
          new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
              [answer](grpc::CallbackServerContext* ctx, const grpc::ByteBuffer*,
                       grpc::ByteBuffer* response) {
                // A copy of a ByteBuffer shares its slices: no bytes are copied.
                *response = *answer->load(std::memory_order_acquire);
                auto* reactor = ctx->DefaultReactor();
                reactor->Finish(grpc::Status::OK);
                return reactor;
              }));
    }
  }

  void Set(const std::string& method, const grpc::ByteBuffer& response) {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] != method) continue;
      absl::MutexLock lock(&mu_);
      kept_.push_back(std::make_unique<grpc::ByteBuffer>(response));
      answers_[i].store(kept_.back().get(), std::memory_order_release);
      return;
    }
    std::fprintf(stderr, "imp_bench: the no-op server does not serve %s\n", method.c_str());
    std::exit(1);
  }

 private:
  const std::deque<std::string> names_;  // RpcServiceMethod keeps the char pointers
  std::deque<std::atomic<const grpc::ByteBuffer*>> answers_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<grpc::ByteBuffer>> kept_ ABSL_GUARDED_BY(mu_);
};

NoopServer::NoopServer(const std::vector<std::string>& methods,
                       std::shared_ptr<grpc::ServerCredentials> credentials)
    : service_(std::make_unique<Service>(methods)) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", std::move(credentials), &port_);
  builder.SetMaxSendMessageSize(32 << 20);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    std::fprintf(stderr, "imp_bench: cannot start the no-op server\n");
    std::exit(1);
  }
}

NoopServer::~NoopServer() {
  server_->Shutdown();
  server_->Wait();
}

void NoopServer::SetResponse(const std::string& method, const grpc::ByteBuffer& response) {
  service_->Set(method, response);
}

}  // namespace imp::bench
