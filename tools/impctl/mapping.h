#ifndef IMP_TOOLS_IMPCTL_MAPPING_H_
#define IMP_TOOLS_IMPCTL_MAPPING_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "imp/activity/v1/activity.pb.h"
#include "imp/registry/v1/registry.pb.h"
#include "tools/impctl/csv.h"

// CSV rows <-> resources, in the column formats of deploy/demo/*.csv: ids are bare
// ("okhmatdyt" for institutions/okhmatdyt), enum values drop their prefix (HOSPITAL for
// KIND_HOSPITAL), lists are separated by '|', dates are YYYY-MM-DD. Errors read
// "<column>: <reason>" so the import report can name the field.
namespace imp::impctl {

extern const std::vector<std::string> kInstitutionColumns;
extern const std::vector<std::string> kAgreementColumns;
extern const std::vector<std::string> kActivityColumns;

// INVALID_ARGUMENT naming the missing or unexpected columns.
absl::Status CheckHeader(const std::vector<std::string>& header,
                         const std::vector<std::string>& expected);

struct InstitutionRow {
  std::string id;
  registry::v1::Institution institution;
};
absl::StatusOr<InstitutionRow> InstitutionFromCsv(const std::vector<std::string>& fields);
std::vector<std::string> InstitutionToCsv(const registry::v1::Institution& institution);

struct AgreementRow {
  std::string id;
  registry::v1::Agreement agreement;            // state PROPOSED or ACTIVE, as it can be created
  registry::v1::Agreement::State target_state;  // where the CSV says it is
};
absl::StatusOr<AgreementRow> AgreementFromCsv(const std::vector<std::string>& fields);
std::vector<std::string> AgreementToCsv(const registry::v1::Agreement& agreement);

struct ActivityRow {
  std::string id;
  activity::v1::Activity activity;
};
absl::StatusOr<ActivityRow> ActivityFromCsv(const std::vector<std::string>& fields);
std::vector<std::string> ActivityToCsv(const activity::v1::Activity& activity);

// "institutions/okhmatdyt" -> "okhmatdyt".
std::string BareId(const std::string& name);

}  // namespace imp::impctl

#endif  // IMP_TOOLS_IMPCTL_MAPPING_H_
