#ifndef IMP_ACTIVITY_VALIDATION_H_
#define IMP_ACTIVITY_VALIDATION_H_

#include <google/protobuf/message.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/api/bounds.h"
#include "common/api/filter.h"
#include "common/server/request_bounds.h"
#include "common/server/request_context.h"
#include "imp/activity/v1/activity.pb.h"

namespace imp::activity {

// Every limit on what a client may send the activity service, in one place. Each is documented
// on its field in activity.proto; ActivityLimits() maps every string and repeated field of every
// request message to one of them.
namespace limits {
using namespace api::standard_limits;  // NOLINT(build/namespaces): names, ids, etags, pages...
inline constexpr size_t kMaxFilterBytes = api::kMaxFilterBytes;  // common/api/filter.h
inline constexpr size_t kMaxTitleBytes = 500;
inline constexpr size_t kMaxPartnerInstitutions = 100;
inline constexpr size_t kMaxCodeBytes = 16;  // Location.country
inline constexpr size_t kMaxRegionBytes = 100;
inline constexpr size_t kMaxCityBytes = 200;
inline constexpr size_t kMaxCooperationAreaBytes = 64;
inline constexpr size_t kMaxNotesBytes = 10000;
inline constexpr size_t kMaxExternalReferenceBytes = 128;
inline constexpr size_t kMaxParticipantGroups = 1000;
inline constexpr size_t kMaxSpecialtyBytes = 200;
inline constexpr size_t kMaxPurposeBytes = 1000;
inline constexpr size_t kMaxGroupBy = 3;
inline constexpr size_t kMaxImportRows = 100000;
inline constexpr int32_t kMaxHeadcount = 100000;
// operations, patients_treated, specialists, consultations, patients, hours
inline constexpr int32_t kMaxCount = 1000000;
inline constexpr size_t kMaxActorBytes = imp::kMaxActorBytes;  // common/server/request_bounds.h

// activities.participants and .doctors are INT columns holding the sum of an activity's
// headcounts; with these limits no sum can overflow them.
static_assert(int64_t{kMaxParticipantGroups} * kMaxHeadcount <= std::numeric_limits<int32_t>::max(),
              "the sum of an activity's headcounts must fit an INT column");
}  // namespace limits

// The limits above by field, for api::CheckBounds.
const api::FieldLimits& ActivityLimits();

// The first check of every method: the caller's actor and every string and repeated field of
// `request` within their limits (INVALID_ARGUMENT naming the field and the limit).
absl::Status CheckRequestBounds(const RequestContext& ctx,
                                const google::protobuf::Message& request);

// The kind that follows from which `details` member is set (KIND_UNSPECIFIED when none).
v1::Activity::Kind KindOf(const v1::Activity& activity);

// The counts statistics are computed from, derived from the details.
struct Counters {
  int64_t participants = 0;  // trainings and events: sum of headcounts
  int64_t doctors = 0;
  int64_t operations = 0;
  int64_t patients_treated = 0;
  int64_t specialists = 0;
  int64_t consultations = 0;
  int64_t telemedicine_patients = 0;
};
Counters CountersOf(const v1::Activity& activity);

// Every institution an activity involves, with its role: "HOST", "PARTNER", "PARTICIPANT".
struct Involvement {
  std::string institution;  // resource name
  const char* role;
};
std::vector<Involvement> InvolvedInstitutions(const v1::Activity& activity);

// The fields an update mask may name (AIP-134), for api::ResolveUpdateMask; every other field
// is output only.
const std::vector<std::string>& UpdatableActivityFields();

// `stored` with the fields named by `paths` (as ResolveUpdateMask resolved them) taken from
// `patch`, and its kind derived from the details. Naming one details member replaces whichever
// was set before (they are a oneof). A plain function so that the request fuzzer
// (tests/fuzz/activity_request_fuzz.cc) merges updates exactly as UpdateActivity does.
v1::Activity MergeUpdate(const v1::Activity& stored, const v1::Activity& patch,
                         const std::vector<std::string>& paths);

// Checks an activity as it would be stored. Messages start with the field, e.g.
// "activity.training.participant_groups[1].headcount: must be between 1 and 100000". Every
// string and repeated field is checked against ActivityLimits() first, so an import row gets
// the same limits as CreateActivity. References are only checked for form here; existence is
// the registry's to say.
absl::Status ValidateActivity(const v1::Activity& activity);

}  // namespace imp::activity

#endif  // IMP_ACTIVITY_VALIDATION_H_
