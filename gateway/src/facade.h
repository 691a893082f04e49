#ifndef IMP_GATEWAY_FACADE_H_
#define IMP_GATEWAY_FACADE_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/worker_pool.h"
#include "gateway/src/agreement_parties.h"
#include "gateway/src/auth.h"
#include "gateway/src/backends.h"
#include "gateway/src/read_model.h"
#include "gateway/src/request_limits.h"
#include "gateway/src/scope.h"
#include "gateway/src/token_source.h"
#include "imp/activity/v1/activity.grpc.pb.h"
#include "imp/registry/v1/registry.grpc.pb.h"

namespace imp::gateway {

// What the facade's services share: the tokens, the backends, and the one way every
// forwarded unary call goes: authenticate, authorise by role, check a scoped editor's scope
// (which may read the stored resource first, see scope.h), then forward with the non-blocking
// client API and pass the backend's status through unchanged.
class Facade {
 public:
  Facade(const TokenSource* tokens, Backends* backends) : tokens_(tokens), backends_(backends) {}

  Backends& backends() { return *backends_; }
  // Authenticate() reads the snapshot in force at the time of the call (see TokenSource).
  const TokenSource& tokens() const { return *tokens_; }

  // How a scope check answers: the status, and optionally the request to forward instead of
  // the caller's (the same request with the etag of the record the check authorised on, so that
  // the write fails ABORTED if the record changed after the check).
  template <typename Req>
  using Verdict = std::function<void(absl::Status, std::shared_ptr<const Req> rewritten)>;
  // Calls done once, perhaps after reading from a backend; never blocks.
  template <typename Req>
  using ScopeCheck = std::function<void(Facade&, grpc::CallbackServerContext*, const Principal&,
                                        const Req&, Verdict<Req> done)>;
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
    if (absl::Status sized = CheckRequestSize(method, *req); !sized.ok()) {
      reactor->Finish(ToGrpcStatus(sized));
      return reactor;
    }
    // Fields this gateway's schema does not know (padding, or a newer client's) are dropped at
    // every depth, never forwarded: the gateway forwards what it understands. The request is this
    // call's own object, const only in the generated signature.
    const_cast<Req*>(req)->DiscardUnknownFields();
    if (who->scoped() && !scope && AccessOf(method) != Access::kRead) {
      // Fail closed: a write method without a scope rule is not open to scoped editors.
      reactor->Finish(ToGrpcStatus(absl::PermissionDeniedError(
          absl::StrCat(method, " has no rule for editors scoped to institutions; ", who->actor,
                       " cannot call it"))));
      return reactor;
    }
    auto forward = [this, ctx, req, resp, reactor, invoke, actor = who->actor](
                       absl::Status scoped, std::shared_ptr<const Req> rewritten) {
      if (!scoped.ok()) {
        reactor->Finish(ToGrpcStatus(scoped));
        return;
      }
      grpc::ClientContext* client = backends_->ContextFor(ctx, actor).release();
      // `rewritten` (when set) lives until the backend has answered.
      invoke(client, rewritten != nullptr ? rewritten.get() : req, resp,
             [reactor, client, rewritten](grpc::Status status) {
               delete client;
               reactor->Finish(ForwardedStatus(status));  // the backend's details, byte for byte
             });
    };
    if (scope && who->scoped()) {
      scope(*this, ctx, *who, *req, std::move(forward));
    } else {
      forward(absl::OkStatus(), nullptr);
    }
    return reactor;
  }

 private:
  const TokenSource* tokens_;
  Backends* backends_;
};

// The institutions an activity involves: host, partners, participants' home institutions. (Used by
// the import relay; since the scope policy in scope.h, involvement alone grants no write access.)
std::vector<std::string> InvolvedInstitutions(const activity::v1::Activity& activity);

// imp.registry.v1.RegistryService on the gateway, forwarded to registry-service.
// Every registry resource a forwarded call returns (the answer of a write, or of a read) is
// applied to the gateway's copy of the registry before the caller gets it, so the caller's next
// aggregation counts its own write (RegistryReadModel::Observe).
class RegistryFacade final : public registry::v1::RegistryService::CallbackService {
 public:
  RegistryFacade(Facade* facade, RegistryReadModel* copy) : facade_(facade), copy_(copy) {}

#define IMP_FACADE_METHOD(Method, Request, Response)                                               \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx,                               \
                                   const registry::v1::Request* req, registry::v1::Response* resp) \
      override;
#include "gateway/src/registry_methods.inc"
#undef IMP_FACADE_METHOD

 private:
  Facade* facade_;
  RegistryReadModel* copy_;
};

// imp.activity.v1.ActivityService on the gateway, forwarded to activity-service.
class ActivityFacade final
    : public activity::v1::ActivityService::WithRawCallbackMethod_ImportActivities<
          activity::v1::ActivityService::CallbackService> {
 public:
  ActivityFacade(Facade* facade, WorkerPool* workers) : facade_(facade), workers_(workers) {}

#define IMP_FACADE_METHOD(Method, Request, Response)                                               \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx,                               \
                                   const activity::v1::Request* req, activity::v1::Response* resp) \
      override;
#include "gateway/src/activity_methods.inc"
#undef IMP_FACADE_METHOD

  // Served raw (facade_import.cc): the relay parses each message itself.
  grpc::ServerReadReactor<grpc::ByteBuffer>* ImportActivities(grpc::CallbackServerContext* ctx,
                                                              grpc::ByteBuffer* resp) override;

 private:
  Facade* facade_;
  WorkerPool* workers_;
};

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_FACADE_H_
