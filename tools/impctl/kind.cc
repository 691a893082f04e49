#include "tools/impctl/kind.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace imp::impctl {

bool ParseKind(const std::string& word, Kind* kind) {
  if (word == "institution" || word == "institutions") {
    *kind = Kind::kInstitution;
  } else if (word == "agreement" || word == "agreements") {
    *kind = Kind::kAgreement;
  } else if (word == "activity" || word == "activities") {
    *kind = Kind::kActivity;
  } else if (word == "project" || word == "projects") {
    *kind = Kind::kProject;
  } else {
    return false;
  }
  return true;
}

const char* Collection(Kind kind) {
  switch (kind) {
    case Kind::kInstitution: return "institutions";
    case Kind::kAgreement: return "agreements";
    case Kind::kActivity: return "activities";
    case Kind::kProject: return "projects";
  }
  return "";
}

std::string FullName(Kind kind, const std::string& name_or_id) {
  if (absl::StrContains(name_or_id, '/')) return name_or_id;
  return absl::StrCat(Collection(kind), "/", name_or_id);
}

}  // namespace imp::impctl
