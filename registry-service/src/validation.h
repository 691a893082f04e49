#ifndef IMP_REGISTRY_VALIDATION_H_
#define IMP_REGISTRY_VALIDATION_H_

#include <google/protobuf/message.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/api/bounds.h"
#include "common/api/filter.h"
#include "common/server/request_bounds.h"
#include "common/server/request_context.h"
#include "imp/registry/v1/registry.pb.h"

namespace imp::registry {

// Every limit on what a client may send the registry, in one place. Each is documented on its
// field in registry.proto; RegistryLimits() maps every string and repeated field of every
// request message to one of them.
namespace limits {
using namespace api::standard_limits;  // NOLINT(build/namespaces): names, ids, etags, pages...
inline constexpr size_t kMaxFilterBytes = api::kMaxFilterBytes;  // common/api/filter.h
inline constexpr size_t kMaxCodeBytes = 16;  // country codes, ISO 3166-2 region codes
inline constexpr size_t kMaxDisplayNameBytes = 300;
inline constexpr size_t kMaxLocalNameBytes = 300;
inline constexpr size_t kMaxShortNames = 20;
inline constexpr size_t kMaxShortNameBytes = 100;
inline constexpr size_t kMaxRegionBytes = 100;
inline constexpr size_t kMaxCityBytes = 200;
inline constexpr size_t kMaxWebsiteBytes = 500;
inline constexpr size_t kMaxNotesBytes = 10000;
inline constexpr size_t kMaxTitleBytes = 500;
inline constexpr size_t kMaxParties = 200;
inline constexpr size_t kMaxSigningEventBytes = 300;
inline constexpr size_t kMaxCooperationAreas = 50;
inline constexpr size_t kMaxCooperationAreaBytes = 64;
inline constexpr size_t kMaxCooperationForms = 20;
inline constexpr size_t kMaxFunders = 50;
inline constexpr size_t kMaxFunderBytes = 300;
inline constexpr size_t kMaxDocumentUriBytes = 1000;
inline constexpr size_t kMaxReasonBytes = 1000;
// Framework agreements' members.
inline constexpr size_t kMaxMemberInstitutions = 1000;
inline constexpr int32_t kMaxDeclaredMembers = 100000;
// Projects.
inline constexpr size_t kMaxDescriptionBytes = 10000;
inline constexpr size_t kMaxProjectAgreements = 50;
inline constexpr size_t kMaxParticipants = 200;
inline constexpr size_t kMaxLocations = 100;
inline constexpr size_t kMaxBudgetLines = 200;
inline constexpr size_t kMaxTransactions = 1000;
inline constexpr size_t kMaxDeliverables = 200;
inline constexpr size_t kMaxDeliveries = 1000;
inline constexpr size_t kMaxDeliverableBytes = 300;  // Deliverable.what
inline constexpr size_t kMaxUnitBytes = 100;         // Deliverable.unit
inline constexpr size_t kMaxRemarkBytes = 1000;      // transaction description, delivery notes
inline constexpr int64_t kMaxQuantity = 1000000;     // planned and delivered units
inline constexpr size_t kMaxActorBytes = imp::kMaxActorBytes;  // common/server/request_bounds.h
}  // namespace limits

// The limits above by field, for api::CheckBounds.
const api::FieldLimits& RegistryLimits();

// The first check of every method: the caller's actor and every string and repeated field of
// `request` within their limits (INVALID_ARGUMENT naming the field and the limit).
absl::Status CheckRequestBounds(const RequestContext& ctx,
                                const google::protobuf::Message& request);

// The fields an update mask may name (AIP-134), for api::ResolveUpdateMask. Every other field
// is output only or changed by another method. Here rather than next to the methods so that the
// request fuzzer (tests/fuzz/registry_request_fuzz.cc) merges updates exactly as they do.
const std::vector<std::string>& UpdatableInstitutionFields();
const std::vector<std::string>& UpdatableAgreementFields();

// Checks a whole institution as it would be stored (after an update mask is applied).
// Messages name the field as "institution.<field>".
absl::Status ValidateInstitution(const v1::Institution& institution);

// Checks an agreement's own fields. Whether parties exist is checked against the database.
// `known_areas` is the cooperation-area codelist.
absl::Status ValidateAgreement(const v1::Agreement& agreement,
                               const absl::flat_hash_set<std::string>& known_areas);

// The duplicate-detection key of a display name: lower-cased (ASCII and Cyrillic), with
// punctuation dropped and runs of white space folded to one space.
std::string NormalizeName(absl::string_view name);

// Agreement lifecycle (AIP-216): may an agreement move from `from` to `to`?
//   PROPOSED  -> ACTIVE | TERMINATED
//   ACTIVE    -> SUSPENDED | EXPIRED | TERMINATED
//   SUSPENDED -> ACTIVE | EXPIRED | TERMINATED
//   EXPIRED, TERMINATED: final.
bool IsAllowedTransition(v1::Agreement::State from, v1::Agreement::State to);

}  // namespace imp::registry

#endif  // IMP_REGISTRY_VALIDATION_H_
