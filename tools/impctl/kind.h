#ifndef IMP_TOOLS_IMPCTL_KIND_H_
#define IMP_TOOLS_IMPCTL_KIND_H_

#include <string>

namespace imp::impctl {

// The three resource kinds the commands act on.
enum class Kind { kInstitution, kAgreement, kActivity };

// "institution", "institutions", "agreement(s)", "activity"/"activities".
bool ParseKind(const std::string& word, Kind* kind);
// "institutions", "agreements" or "activities": the collection in resource names.
const char* Collection(Kind kind);
// "okhmatdyt" -> "institutions/okhmatdyt"; full names pass through.
std::string FullName(Kind kind, const std::string& name_or_id);

}  // namespace imp::impctl

#endif  // IMP_TOOLS_IMPCTL_KIND_H_
