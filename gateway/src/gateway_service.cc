#include "gateway/src/gateway_service.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gateway/src/aggregation_support.h"

namespace imp::gateway {

grpc::ServerUnaryReactor* GatewayService::GetCaller(grpc::CallbackServerContext* ctx,
                                                    const v1::GetCallerRequest*,
                                                    v1::GetCallerResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  auto who = Admit(facade_, ctx, reactor, "GetCaller");
  if (!who) return reactor;
  resp->set_actor(who->actor);
  resp->set_role(static_cast<v1::GetCallerResponse::Role>(static_cast<int>(who->role)));
  std::vector<std::string> scope(who->scope.begin(), who->scope.end());
  std::sort(scope.begin(), scope.end());
  for (const auto& s : scope) resp->add_scoped_institutions(s);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace imp::gateway
