#ifndef IMP_TOOLS_IMPCTL_IATI_PROJECT_H_
#define IMP_TOOLS_IMPCTL_IATI_PROJECT_H_

#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "google/type/date.pb.h"
#include "imp/registry/v1/project.pb.h"
#include "imp/registry/v1/registry.pb.h"
#include "tools/impctl/iati.h"

// A project as an IATI activity (the export's second source, after the agreements). The choices
// IATI forces (a budget needs a period, an activity needs a participating organisation and a
// date) are explained next to the code and in docs/design/h-projpub.md.
namespace imp::impctl::iati {

struct ProjectContext {
  std::string reporting_org_ref;  // the iati-identifier prefix
  // Named as the Accountable organisation of a project without participants (the schema wants
  // at least one participating-org; the publisher is the one that answers for the record).
  Organisation reporting_org;
  google::type::Date today;
  // The institutions the project names (participants, sites, transaction parties), by resource
  // name; one missing here is named by its id.
  const absl::flat_hash_map<std::string, registry::v1::Institution>* institutions = nullptr;
  const std::map<std::string, std::string>* area_labels = nullptr;
};

Activity ProjectActivity(const registry::v1::Project& project, const ProjectContext& context);

// "<reporting org ref>-P-<project id>": registry ids start with a lowercase letter, so "P-" can
// never make a project's identifier equal an agreement's.
std::string ProjectIdentifier(const std::string& reporting_org_ref,
                              const std::string& project_name);

}  // namespace imp::impctl::iati

#endif  // IMP_TOOLS_IMPCTL_IATI_PROJECT_H_
