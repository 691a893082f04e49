#ifndef IMP_ACTIVITY_VALIDATION_H_
#define IMP_ACTIVITY_VALIDATION_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "imp/activity/v1/activity.pb.h"

namespace imp::activity {

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

// Checks an activity as it would be stored. Messages start with the field, e.g.
// "activity.training.participant_groups[1].headcount: must be between 1 and 100000".
// References are only checked for form here; existence is the registry's to say.
absl::Status ValidateActivity(const v1::Activity& activity);

}  // namespace imp::activity

#endif  // IMP_ACTIVITY_VALIDATION_H_
