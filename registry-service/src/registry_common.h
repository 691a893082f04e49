#ifndef IMP_REGISTRY_REGISTRY_COMMON_H_
#define IMP_REGISTRY_REGISTRY_COMMON_H_

#include "common/db/resource_kit.h"
#include "imp/registry/v1/registry.pb.h"
#include "registry-service/src/project_store.h"
#include "registry-service/src/store.h"

// The registry's resources as the shared resource kit (common/db/resource_kit.h) sees them.
namespace imp::registry {

using InstitutionTable = db::ResourceTable<store::InstitutionRow, v1::Institution>;
using AgreementTable = db::ResourceTable<store::AgreementRow, v1::Agreement>;
using ProjectTable = db::ResourceTable<store::ProjectRow, v1::Project>;

const InstitutionTable& Institutions();
const AgreementTable& Agreements();
const ProjectTable& Projects();

// The request-id method keys (one namespace per Create method).
inline constexpr char kCreateInstitutionMethod[] = "CreateInstitution";
inline constexpr char kCreateAgreementMethod[] = "CreateAgreement";
inline constexpr char kCreateProjectMethod[] = "CreateProject";

}  // namespace imp::registry

#endif  // IMP_REGISTRY_REGISTRY_COMMON_H_
