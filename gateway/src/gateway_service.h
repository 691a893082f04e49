#ifndef IMP_GATEWAY_GATEWAY_SERVICE_H_
#define IMP_GATEWAY_GATEWAY_SERVICE_H_

#include "gateway/src/facade.h"
#include "gateway/src/registry_copy.h"
#include "imp/gateway/v1/gateway.grpc.pb.h"

namespace imp::gateway {

// imp.gateway.v1.GatewayService: aggregations over the gateway's copy of the registry
// (registry_copy.h, refreshed at the start of each call) and activity-service, called in
// parallel with the non-blocking client API. A failing backend fails the call with its own
// status, naming the source (fanout.h, MissingSourceError), unless the caller set
// allow_partial: then the answer is partial and says so (missing_sources, warnings). A copy
// of the registry that the registry could not confirm is not a missing source: its figures are
// complete as of freshness.registry_as_of. The primary resource being NOT_FOUND beats both.
// The methods live in overviews.cc and program_summary.cc.
class GatewayService final : public v1::GatewayService::CallbackService {
 public:
  GatewayService(Facade* facade, RegistryCopy* registry) : facade_(facade), registry_(registry) {}

  grpc::ServerUnaryReactor* GetInstitutionOverview(
      grpc::CallbackServerContext* ctx, const v1::GetInstitutionOverviewRequest* req,
      v1::GetInstitutionOverviewResponse* resp) override;
  grpc::ServerUnaryReactor* GetAgreementOverview(grpc::CallbackServerContext* ctx,
                                                 const v1::GetAgreementOverviewRequest* req,
                                                 v1::GetAgreementOverviewResponse* resp) override;
  grpc::ServerUnaryReactor* GetProgramSummary(grpc::CallbackServerContext* ctx,
                                              const v1::GetProgramSummaryRequest* req,
                                              v1::GetProgramSummaryResponse* resp) override;
  grpc::ServerUnaryReactor* GetPartnershipMap(grpc::CallbackServerContext* ctx,
                                              const v1::GetPartnershipMapRequest* req,
                                              v1::GetPartnershipMapResponse* resp) override;
  grpc::ServerUnaryReactor* GetCaller(grpc::CallbackServerContext* ctx,
                                      const v1::GetCallerRequest* req,
                                      v1::GetCallerResponse* resp) override;

 private:
  Facade* facade_;
  RegistryCopy* registry_;
};

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_GATEWAY_SERVICE_H_
