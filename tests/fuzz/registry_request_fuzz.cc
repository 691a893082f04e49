// libFuzzer harness: every RegistryService request through the registry's own methods, up to
// the database. The methods run on a registry::Registry over a Database that was never migrated,
// so everything they check before their first statement runs for real (request bounds,
// resource names, request ids, update masks, order_by, filters compiled to SQL, page tokens,
// institution validation) and a request that passes answers UNAVAILABLE "database not ready".
// What the methods check inside their transaction against the stored record runs here too, as
// the plain functions they call: an update mask applied to a stored resource, then the
// validation of the merged resource; an agreement's validation against the codelist.
//
// Properties: no crash, leak or undefined behaviour; every refusal INVALID_ARGUMENT naming a
// request field (BadRequest once the edge adds details), with a message of at most 2 KB; no
// update can change an output-only field. Input format: tests/fuzz/request_fuzz.h.
#include <cstddef>
#include <cstdint>

#include "absl/container/flat_hash_set.h"
#include "common/api/page_token.h"
#include "common/api/proto_util.h"
#include "registry-service/src/project_validation.h"
#include "registry-service/src/registry.h"
#include "registry-service/src/validation.h"
#include "tests/fuzz/request_fuzz.h"

namespace {

using imp::fuzz::CheckRefusal;
using imp::fuzz::Fail;
using imp::fuzz::Method;
namespace v1 = imp::registry::v1;

// The codelist of registry-service/migrations (a subset: what matters is in or out).
const absl::flat_hash_set<std::string>& KnownAreas() {
  static const auto* const areas = new absl::flat_hash_set<std::string>{
      "oncology", "surgery", "mental-health", "rehabilitation", "telemedicine", "neurology"};
  return *areas;
}

// What the database holds for the resource an update names: valid, with output-only fields set.
v1::Institution StoredInstitution() {
  v1::Institution in;
  in.set_name("institutions/okhmatdyt");
  in.set_display_name("Okhmatdyt National Children's Hospital");
  in.set_kind(v1::Institution::KIND_HOSPITAL);
  in.set_country("UA");
  in.set_region("UA-30");
  in.set_city("Kyiv");
  in.set_website("https://ohmatdyt.com.ua");
  in.set_etag("e1");
  in.mutable_create_time()->set_seconds(1700000000);
  in.mutable_update_time()->set_seconds(1700000001);
  return in;
}

v1::Agreement StoredAgreement() {
  v1::Agreement a;
  a.set_name("agreements/kyiv-lyon");
  a.set_title("Kyiv - Lyon twinning");
  a.set_kind(v1::Agreement::KIND_TWINNING_MEMORANDUM);
  a.set_state(v1::Agreement::STATE_ACTIVE);
  auto* ua = a.add_parties();
  ua->set_institution("institutions/okhmatdyt");
  ua->set_role(v1::Party::ROLE_UKRAINIAN_PARTNER);
  auto* fr = a.add_parties();
  fr->set_institution("institutions/hcl-lyon");
  fr->set_role(v1::Party::ROLE_FOREIGN_PARTNER);
  a.mutable_signed_on()->set_year(2023);
  a.mutable_signed_on()->set_month(5);
  a.mutable_signed_on()->set_day(1);
  a.add_cooperation_areas("oncology");
  a.set_etag("e1");
  a.mutable_create_time()->set_seconds(1700000000);
  return a;
}

v1::Project StoredProject() {
  v1::Project p;
  p.set_name("projects/mammography-machines");
  p.set_title("Supply of thirty mammography machines");
  p.set_status(v1::Project::STATUS_IMPLEMENTATION);
  auto* d = p.add_deliverables();
  d->set_what("Mammography machine");
  d->set_unit("machine");
  d->set_planned_quantity(30);
  auto* b = p.add_budget();
  b->mutable_amount()->set_currency_code("EUR");
  b->mutable_amount()->set_units(35000000);
  b->set_status(v1::BudgetLine::STATUS_INDICATIVE);
  p.add_cooperation_areas("oncology");
  p.set_etag("e1");
  p.mutable_create_time()->set_seconds(1700000000);
  return p;
}

// An update may change only what its mask names among the updatable fields.
template <typename Resource>
void CheckOutputOnlyKept(const Resource& stored, const Resource& merged, const char* method) {
  if (merged.name() != stored.name() || merged.etag() != stored.etag() ||
      merged.create_time().SerializeAsString() != stored.create_time().SerializeAsString() ||
      merged.update_time().SerializeAsString() != stored.update_time().SerializeAsString() ||
      merged.delete_time().SerializeAsString() != stored.delete_time().SerializeAsString()) {
    Fail("an update mask changed an output-only field", method);
  }
}

// The steps of UpdateInstitution / UpdateAgreement after the stored row is read.
template <typename Resource, typename Validate>
void MergeAndValidate(const google::protobuf::FieldMask& mask, const Resource& patch,
                      const std::vector<std::string>& updatable, const Resource& stored,
                      Validate validate, const char* method) {
  auto paths = imp::api::ResolveUpdateMask(mask, patch, updatable);
  if (!paths.ok()) Fail("a mask the method accepted does not resolve", method);
  Resource merged = stored;
  imp::api::ApplyUpdateMask(*paths, patch, &merged);
  CheckOutputOnlyKept(stored, merged, method);
  absl::Status valid = validate(merged);
  if (!valid.ok()) CheckRefusal(valid, method);
}

absl::Status ValidateAgreementHere(const v1::Agreement& a) {
  return imp::registry::ValidateAgreement(a, KnownAreas());
}

// CreateAgreement validates inside its transaction, against the stored codelist.
void ValidateNewAgreement(const v1::CreateAgreementRequest& req) {
  v1::Agreement a = req.agreement();
  if (a.state() == v1::Agreement::STATE_UNSPECIFIED) a.set_state(v1::Agreement::STATE_PROPOSED);
  absl::Status valid = ValidateAgreementHere(a);
  if (!valid.ok()) CheckRefusal(valid, "CreateAgreement");
}

absl::Status ValidateProjectHere(const v1::Project& p) {
  return imp::registry::ValidateProject(p, KnownAreas(), imp::registry::TodayUtc());
}

// CreateProject validates inside its transaction, against the stored codelist and today's date.
void ValidateNewProject(const v1::CreateProjectRequest& req) {
  absl::Status valid = ValidateProjectHere(req.project());
  if (!valid.ok()) CheckRefusal(valid, "CreateProject");
}

const std::vector<Method>& Methods() {
  using imp::registry::Registry;
  static auto* const r = new Registry(&imp::fuzz::UnmigratedDatabase());
  const auto* ctx = imp::fuzz::FuzzContext();
  auto entry = [&](const char* name, auto method, auto... after) {
    return imp::fuzz::Entry(r, ctx, name, method, /*precondition_ok=*/false, after...);
  };
  static const auto* const methods = new std::vector<Method>{
      entry("GetInstitution", &Registry::GetInstitution),
      entry("ListInstitutions", &Registry::ListInstitutions),
      entry("CreateInstitution", &Registry::CreateInstitution),
      entry("UpdateInstitution", &Registry::UpdateInstitution,
            [](const v1::UpdateInstitutionRequest& req) {
              MergeAndValidate(req.update_mask(), req.institution(),
                               imp::registry::UpdatableInstitutionFields(), StoredInstitution(),
                               imp::registry::ValidateInstitution, "UpdateInstitution");
            }),
      entry("DeleteInstitution", &Registry::DeleteInstitution),
      entry("UndeleteInstitution", &Registry::UndeleteInstitution),
      entry("BatchGetInstitutions", &Registry::BatchGetInstitutions),
      entry("GetAgreement", &Registry::GetAgreement),
      entry("ListAgreements", &Registry::ListAgreements),
      entry("CreateAgreement", &Registry::CreateAgreement, ValidateNewAgreement),
      entry("UpdateAgreement", &Registry::UpdateAgreement,
            [](const v1::UpdateAgreementRequest& req) {
              MergeAndValidate(req.update_mask(), req.agreement(),
                               imp::registry::UpdatableAgreementFields(), StoredAgreement(),
                               ValidateAgreementHere, "UpdateAgreement");
            }),
      entry("DeleteAgreement", &Registry::DeleteAgreement),
      entry("UndeleteAgreement", &Registry::UndeleteAgreement),
      entry("BatchGetAgreements", &Registry::BatchGetAgreements),
      entry("ActivateAgreement", &Registry::ActivateAgreement),
      entry("SuspendAgreement", &Registry::SuspendAgreement),
      entry("ExpireAgreement", &Registry::ExpireAgreement),
      entry("TerminateAgreement", &Registry::TerminateAgreement),
      entry("GetProject", &Registry::GetProject),
      entry("ListProjects", &Registry::ListProjects),
      entry("CreateProject", &Registry::CreateProject, ValidateNewProject),
      entry("UpdateProject", &Registry::UpdateProject,
            [](const v1::UpdateProjectRequest& req) {
              MergeAndValidate(req.update_mask(), req.project(),
                               imp::registry::UpdatableProjectFields(), StoredProject(),
                               ValidateProjectHere, "UpdateProject");
            }),
      entry("DeleteProject", &Registry::DeleteProject),
      entry("UndeleteProject", &Registry::UndeleteProject),
      entry("BatchGetProjects", &Registry::BatchGetProjects),
      entry("ListPartners", &Registry::ListPartners),
      entry("ListCooperationAreas", &Registry::ListCooperationAreas),
      entry("ListChanges", &Registry::ListChanges),
      entry("ListRegistryChanges", &Registry::ListRegistryChanges),
  };
  return *methods;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  imp::fuzz::InitializeHarness("imp.registry.v1.RegistryService", Methods());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  imp::fuzz::RunOneInput(data, size, Methods());
  return 0;
}
