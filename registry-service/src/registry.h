#ifndef IMP_REGISTRY_REGISTRY_H_
#define IMP_REGISTRY_REGISTRY_H_

#include "absl/status/status.h"
#include "common/db/database.h"
#include "common/server/request_context.h"
#include "imp/registry/v1/registry.pb.h"

namespace imp::registry {

// The registry's logic: institutions, agreements and projects, their validation, lifecycle, request
// ids, etags, soft delete and audit trail. A plain class over the database: tests build it without
// a network, and RegistryGrpcService only forwards calls to it. Every method blocks on the
// database, so it runs on a worker thread. Thread-safe.
class Registry {
 public:
  explicit Registry(db::Database* db) : db_(db) {}

  absl::Status GetInstitution(const RequestContext& ctx, const v1::GetInstitutionRequest& req,
                              v1::Institution* out);
  absl::Status ListInstitutions(const RequestContext& ctx, const v1::ListInstitutionsRequest& req,
                                v1::ListInstitutionsResponse* out);
  absl::Status CreateInstitution(const RequestContext& ctx, const v1::CreateInstitutionRequest& req,
                                 v1::Institution* out);
  absl::Status UpdateInstitution(const RequestContext& ctx, const v1::UpdateInstitutionRequest& req,
                                 v1::Institution* out);
  absl::Status DeleteInstitution(const RequestContext& ctx, const v1::DeleteInstitutionRequest& req,
                                 v1::Institution* out);
  absl::Status UndeleteInstitution(const RequestContext& ctx,
                                   const v1::UndeleteInstitutionRequest& req, v1::Institution* out);
  absl::Status BatchGetInstitutions(const RequestContext& ctx,
                                    const v1::BatchGetInstitutionsRequest& req,
                                    v1::BatchGetInstitutionsResponse* out);

  absl::Status GetAgreement(const RequestContext& ctx, const v1::GetAgreementRequest& req,
                            v1::Agreement* out);
  absl::Status ListAgreements(const RequestContext& ctx, const v1::ListAgreementsRequest& req,
                              v1::ListAgreementsResponse* out);
  absl::Status CreateAgreement(const RequestContext& ctx, const v1::CreateAgreementRequest& req,
                               v1::Agreement* out);
  absl::Status UpdateAgreement(const RequestContext& ctx, const v1::UpdateAgreementRequest& req,
                               v1::Agreement* out);
  absl::Status DeleteAgreement(const RequestContext& ctx, const v1::DeleteAgreementRequest& req,
                               v1::Agreement* out);
  absl::Status UndeleteAgreement(const RequestContext& ctx, const v1::UndeleteAgreementRequest& req,
                                 v1::Agreement* out);
  absl::Status BatchGetAgreements(const RequestContext& ctx,
                                  const v1::BatchGetAgreementsRequest& req,
                                  v1::BatchGetAgreementsResponse* out);
  absl::Status ActivateAgreement(const RequestContext& ctx, const v1::ActivateAgreementRequest& req,
                                 v1::Agreement* out);
  absl::Status SuspendAgreement(const RequestContext& ctx, const v1::SuspendAgreementRequest& req,
                                v1::Agreement* out);
  absl::Status ExpireAgreement(const RequestContext& ctx, const v1::ExpireAgreementRequest& req,
                               v1::Agreement* out);
  absl::Status TerminateAgreement(const RequestContext& ctx,
                                  const v1::TerminateAgreementRequest& req, v1::Agreement* out);

  absl::Status GetProject(const RequestContext& ctx, const v1::GetProjectRequest& req,
                          v1::Project* out);
  absl::Status ListProjects(const RequestContext& ctx, const v1::ListProjectsRequest& req,
                            v1::ListProjectsResponse* out);
  absl::Status CreateProject(const RequestContext& ctx, const v1::CreateProjectRequest& req,
                             v1::Project* out);
  absl::Status UpdateProject(const RequestContext& ctx, const v1::UpdateProjectRequest& req,
                             v1::Project* out);
  absl::Status DeleteProject(const RequestContext& ctx, const v1::DeleteProjectRequest& req,
                             v1::Project* out);
  absl::Status UndeleteProject(const RequestContext& ctx, const v1::UndeleteProjectRequest& req,
                               v1::Project* out);
  absl::Status BatchGetProjects(const RequestContext& ctx, const v1::BatchGetProjectsRequest& req,
                                v1::BatchGetProjectsResponse* out);

  absl::Status ListPartners(const RequestContext& ctx, const v1::ListPartnersRequest& req,
                            v1::ListPartnersResponse* out);
  absl::Status ListCooperationAreas(const RequestContext& ctx,
                                    const v1::ListCooperationAreasRequest& req,
                                    v1::ListCooperationAreasResponse* out);
  absl::Status ListChanges(const RequestContext& ctx, const v1::ListChangesRequest& req,
                           v1::ListChangesResponse* out);
  // The change feed (feed.cc; semantics in registry.proto).
  absl::Status ListRegistryChanges(const RequestContext& ctx,
                                   const v1::ListRegistryChangesRequest& req,
                                   v1::ListRegistryChangesResponse* out);

 private:
  absl::Status Transition(const RequestContext& ctx, const std::string& name,
                          const std::string& etag, v1::Agreement::State to,
                          const google::type::Date* signed_on, v1::Agreement* out);

  db::Database* db_;
};

}  // namespace imp::registry

#endif  // IMP_REGISTRY_REGISTRY_H_
