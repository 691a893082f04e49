#ifndef IMP_GATEWAY_FACADE_H_
#define IMP_GATEWAY_FACADE_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/status.h"
#include "common/worker_pool.h"
#include "gateway/src/auth.h"
#include "gateway/src/backends.h"
#include "imp/activity/v1/activity.grpc.pb.h"
#include "imp/registry/v1/registry.grpc.pb.h"

namespace imp::gateway {

// What the facade's services share: the token store, the backends, and the one way every
// forwarded unary call goes: authenticate, authorise by role, check a scoped editor's scope
// (which may read the stored resource first), then forward with the non-blocking client API
// and pass the backend's status through unchanged.
class Facade {
 public:
  Facade(const TokenStore* tokens, Backends* backends) : tokens_(tokens), backends_(backends) {}

  Backends& backends() { return *backends_; }
  const TokenStore& tokens() const { return *tokens_; }

  // Calls done(status) once, perhaps after reading from a backend.
  template <typename Req>
  using ScopeCheck = std::function<void(Facade&, grpc::CallbackServerContext*, const Principal&,
                                        const Req&, std::function<void(absl::Status)> done)>;
  template <typename Req, typename Resp>
  using Invoke = std::function<void(grpc::ClientContext*, const Req*, Resp*,
                                    std::function<void(grpc::Status)>)>;

  template <typename Req, typename Resp>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx, const char* method,
                                  const Req* req, Resp* resp, ScopeCheck<Req> scope,
                                  Invoke<Req, Resp> invoke) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    absl::StatusOr<Principal> who = tokens_->Authenticate(ctx->client_metadata());
    absl::Status allowed = who.ok() ? Authorize(*who, AccessOf(method), method) : who.status();
    if (!allowed.ok()) {
      reactor->Finish(ToGrpcStatus(allowed));
      return reactor;
    }
    auto forward = [this, ctx, req, resp, reactor, invoke,
                    actor = who->actor](absl::Status scoped) {
      if (!scoped.ok()) {
        reactor->Finish(ToGrpcStatus(scoped));
        return;
      }
      grpc::ClientContext* client = backends_->ContextFor(ctx, actor).release();
      invoke(client, req, resp, [reactor, client](grpc::Status status) {
        delete client;
        reactor->Finish(ForwardedStatus(status));  // the backend's details, byte for byte
      });
    };
    if (scope && who->scoped()) {
      scope(*this, ctx, *who, *req, std::move(forward));
    } else {
      forward(absl::OkStatus());
    }
    return reactor;
  }

 private:
  const TokenStore* tokens_;
  Backends* backends_;
};

// The institutions an activity involves: host, partners, participants' home institutions.
std::vector<std::string> InvolvedInstitutions(const activity::v1::Activity& activity);

// imp.registry.v1.RegistryService on the gateway, forwarded to registry-service.
class RegistryFacade final : public registry::v1::RegistryService::CallbackService {
 public:
  explicit RegistryFacade(Facade* facade) : facade_(facade) {}

#define IMP_FACADE_METHOD(Method, Request, Response)                                               \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx,                               \
                                   const registry::v1::Request* req, registry::v1::Response* resp) \
      override;
#include "gateway/src/registry_methods.inc"
#undef IMP_FACADE_METHOD

 private:
  Facade* facade_;
};

// imp.activity.v1.ActivityService on the gateway, forwarded to activity-service.
class ActivityFacade final : public activity::v1::ActivityService::CallbackService {
 public:
  ActivityFacade(Facade* facade, WorkerPool* workers) : facade_(facade), workers_(workers) {}

#define IMP_FACADE_METHOD(Method, Request, Response)                                               \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx,                               \
                                   const activity::v1::Request* req, activity::v1::Response* resp) \
      override;
#include "gateway/src/activity_methods.inc"
#undef IMP_FACADE_METHOD

  grpc::ServerReadReactor<activity::v1::ImportActivitiesRequest>* ImportActivities(
      grpc::CallbackServerContext* ctx, activity::v1::ImportActivitiesResponse* resp) override;

 private:
  Facade* facade_;
  WorkerPool* workers_;
};

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_FACADE_H_
