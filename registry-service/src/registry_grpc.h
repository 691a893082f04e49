#ifndef IMP_REGISTRY_REGISTRY_GRPC_H_
#define IMP_REGISTRY_REGISTRY_GRPC_H_

#include "common/worker_pool.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "registry-service/src/registry.h"

namespace imp::registry {

// The gRPC edge of the registry: each method hands its request to Registry on a worker thread
// (database calls never run on gRPC's callback threads) and maps the absl::Status it returns.
class RegistryGrpcService final : public v1::RegistryService::CallbackService {
 public:
  RegistryGrpcService(Registry* registry, WorkerPool* workers)
      : registry_(registry), workers_(workers) {}

#define IMP_REGISTRY_METHOD(Method, Request, Response)                                       \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx, const v1::Request* req, \
                                   v1::Response* resp) override;
  IMP_REGISTRY_METHOD(GetInstitution, GetInstitutionRequest, Institution)
  IMP_REGISTRY_METHOD(ListInstitutions, ListInstitutionsRequest, ListInstitutionsResponse)
  IMP_REGISTRY_METHOD(CreateInstitution, CreateInstitutionRequest, Institution)
  IMP_REGISTRY_METHOD(UpdateInstitution, UpdateInstitutionRequest, Institution)
  IMP_REGISTRY_METHOD(DeleteInstitution, DeleteInstitutionRequest, Institution)
  IMP_REGISTRY_METHOD(UndeleteInstitution, UndeleteInstitutionRequest, Institution)
  IMP_REGISTRY_METHOD(BatchGetInstitutions, BatchGetInstitutionsRequest,
                      BatchGetInstitutionsResponse)
  IMP_REGISTRY_METHOD(GetAgreement, GetAgreementRequest, Agreement)
  IMP_REGISTRY_METHOD(ListAgreements, ListAgreementsRequest, ListAgreementsResponse)
  IMP_REGISTRY_METHOD(CreateAgreement, CreateAgreementRequest, Agreement)
  IMP_REGISTRY_METHOD(UpdateAgreement, UpdateAgreementRequest, Agreement)
  IMP_REGISTRY_METHOD(DeleteAgreement, DeleteAgreementRequest, Agreement)
  IMP_REGISTRY_METHOD(UndeleteAgreement, UndeleteAgreementRequest, Agreement)
  IMP_REGISTRY_METHOD(BatchGetAgreements, BatchGetAgreementsRequest, BatchGetAgreementsResponse)
  IMP_REGISTRY_METHOD(ActivateAgreement, ActivateAgreementRequest, Agreement)
  IMP_REGISTRY_METHOD(SuspendAgreement, SuspendAgreementRequest, Agreement)
  IMP_REGISTRY_METHOD(ExpireAgreement, ExpireAgreementRequest, Agreement)
  IMP_REGISTRY_METHOD(TerminateAgreement, TerminateAgreementRequest, Agreement)
  IMP_REGISTRY_METHOD(GetProject, GetProjectRequest, Project)
  IMP_REGISTRY_METHOD(ListProjects, ListProjectsRequest, ListProjectsResponse)
  IMP_REGISTRY_METHOD(CreateProject, CreateProjectRequest, Project)
  IMP_REGISTRY_METHOD(UpdateProject, UpdateProjectRequest, Project)
  IMP_REGISTRY_METHOD(DeleteProject, DeleteProjectRequest, Project)
  IMP_REGISTRY_METHOD(UndeleteProject, UndeleteProjectRequest, Project)
  IMP_REGISTRY_METHOD(BatchGetProjects, BatchGetProjectsRequest, BatchGetProjectsResponse)
  IMP_REGISTRY_METHOD(ListPartners, ListPartnersRequest, ListPartnersResponse)
  IMP_REGISTRY_METHOD(ListCooperationAreas, ListCooperationAreasRequest,
                      ListCooperationAreasResponse)
  IMP_REGISTRY_METHOD(ListChanges, ListChangesRequest, ListChangesResponse)
  IMP_REGISTRY_METHOD(ListRegistryChanges, ListRegistryChangesRequest, ListRegistryChangesResponse)
#undef IMP_REGISTRY_METHOD

 private:
  Registry* registry_;
  WorkerPool* workers_;
};

}  // namespace imp::registry

#endif  // IMP_REGISTRY_REGISTRY_GRPC_H_
