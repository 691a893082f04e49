#ifndef IMP_REGISTRY_REGISTRY_COMMON_H_
#define IMP_REGISTRY_REGISTRY_COMMON_H_

#include "common/db/resource_kit.h"
#include "imp/registry/v1/registry.pb.h"
#include "registry-service/src/store.h"

// The registry's resources as the shared resource kit (common/db/resource_kit.h) sees them.
namespace imp::registry {

using InstitutionTable = db::ResourceTable<store::InstitutionRow, v1::Institution>;
using AgreementTable = db::ResourceTable<store::AgreementRow, v1::Agreement>;

const InstitutionTable& Institutions();
const AgreementTable& Agreements();

// The request-id method keys (one namespace per Create method).
inline constexpr char kCreateInstitutionMethod[] = "CreateInstitution";
inline constexpr char kCreateAgreementMethod[] = "CreateAgreement";

}  // namespace imp::registry

#endif  // IMP_REGISTRY_REGISTRY_COMMON_H_
