#ifndef IMP_TOOLS_IMPCTL_MAPPING_PROJECT_H_
#define IMP_TOOLS_IMPCTL_MAPPING_PROJECT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/type/money.pb.h"
#include "imp/registry/v1/project.pb.h"

// CSV rows <-> projects: one row per project (docs/design/h-projpub.md has the format). Scalar
// fields and the lists of ids and codes use the cells of the other mappings (mapping.h: bare ids,
// enum values without their prefix, '|' between items, ':' between an item's parts); a budget
// line is compact too ("COMMITTED:1000.5 EUR:2025-01-01:2025-12-31"). Transactions and
// deliverables hold free text, in which any separator may occur, so their cells are JSON: the
// list as the API's proto JSON (`impctl get project --json` shows the same objects). Output-only
// fields are neither written nor accepted.
namespace imp::impctl {

extern const std::vector<std::string> kProjectColumns;

struct ProjectRow {
  std::string id;
  registry::v1::Project project;
};
absl::StatusOr<ProjectRow> ProjectFromCsv(const std::vector<std::string>& fields);
std::vector<std::string> ProjectToCsv(const registry::v1::Project& project);

// An amount as decimal text without its currency: units and nanos exactly, trailing zeros of
// the fraction dropped ("35000000", "1250000.5", "-0.25").
std::string AmountText(const google::type::Money& money);

}  // namespace imp::impctl

#endif  // IMP_TOOLS_IMPCTL_MAPPING_PROJECT_H_
