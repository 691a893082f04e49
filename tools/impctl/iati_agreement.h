#ifndef IMP_TOOLS_IMPCTL_IATI_AGREEMENT_H_
#define IMP_TOOLS_IMPCTL_IATI_AGREEMENT_H_

#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "google/type/date.pb.h"
#include "imp/activity/v1/activity.pb.h"
#include "imp/registry/v1/registry.pb.h"
#include "tools/impctl/iati.h"

// An agreement as an IATI activity (the first of the export's sources; a project is mapped by
// a function of the same shape, see docs/design/h-publish.md).
namespace imp::impctl::iati {

// What the mapping needs besides the agreement itself.
struct AgreementContext {
  std::string reporting_org_ref;  // the iati-identifier prefix
  google::type::Date today;       // decides planned vs actual dates
  // The parties' institutions by resource name (a party missing here is named by its id).
  const absl::flat_hash_map<std::string, registry::v1::Institution>* institutions = nullptr;
  // Cooperation-area labels by code (ListCooperationAreas).
  const std::map<std::string, std::string>* area_labels = nullptr;
};

// `stats`: GetActivityStats for the agreement's activities up to `today`, grouped by
// GROUP_BY_YEAR; it becomes one output result with an indicator per figure and a period per
// year (no result when the agreement has no activities).
Activity AgreementActivity(const registry::v1::Agreement& agreement,
                           const activity::v1::GetActivityStatsResponse& stats,
                           const AgreementContext& context);

// The iati-identifier of an agreement: "<reporting org ref>-<agreement id>".
std::string AgreementIdentifier(const std::string& reporting_org_ref,
                                const std::string& agreement_name);

}  // namespace imp::impctl::iati

#endif  // IMP_TOOLS_IMPCTL_IATI_AGREEMENT_H_
