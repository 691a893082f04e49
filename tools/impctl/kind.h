#ifndef IMP_TOOLS_IMPCTL_KIND_H_
#define IMP_TOOLS_IMPCTL_KIND_H_

#include <string>

namespace imp::impctl {

// The resource kinds the commands act on.
enum class Kind { kInstitution, kAgreement, kActivity, kProject };

// "institution", "institutions", "agreement(s)", "activity"/"activities", "project(s)".
bool ParseKind(const std::string& word, Kind* kind);
// "institutions", "agreements", "activities" or "projects": the collection in resource names.
const char* Collection(Kind kind);
// "okhmatdyt" -> "institutions/okhmatdyt"; full names pass through.
std::string FullName(Kind kind, const std::string& name_or_id);

}  // namespace imp::impctl

#endif  // IMP_TOOLS_IMPCTL_KIND_H_
