#ifndef IMP_TOOLS_IMPCTL_IATI_CODES_H_
#define IMP_TOOLS_IMPCTL_IATI_CODES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "imp/registry/v1/project.pb.h"
#include "imp/registry/v1/registry.pb.h"

// How the registry's values map to IATI 2.03 codelists. Each mapping is ONE table in
// iati_codes.cc, with the reason for each choice next to it; docs/design/h-publish.md repeats them.
namespace imp::impctl::iati {

// A cooperation area's closest OECD DAC CRS purpose code (5 digits, sector vocabulary 1).
struct AreaSector {
  const char* area;      // the registry's cooperation-area code
  const char* dac_code;  // e.g. "12191"
  const char* dac_name;  // e.g. "Medical services"
};
// The whole table, in the codelist's order.
const std::vector<AreaSector>& AreaSectors();
// The entry for `area`; nullptr for a code the table does not know (the codelist grew since:
// the tests check that every code of the registry's migrations has an entry).
const AreaSector* SectorForArea(absl::string_view area);
// The programme's default sector, 12191 Medical services (hospital partnerships), for an
// agreement without cooperation areas or with an area the table does not know.
AreaSector DefaultSector();

// ActivityStatus of an agreement in `state`.
std::string ActivityStatus(registry::v1::Agreement::State state);

// OrganisationRole of a party in `role`.
std::string OrganisationRole(registry::v1::Party::Role role);
// OrganisationRole of an agreement's `funders` entries (free text): 1, Funding.
inline constexpr char kFunderRole[] = "1";

// Projects: their fields carry IATI's own codes (h-projects), each through its table here so
// that a code the registry adds later cannot slip into a publication unmapped.
// ActivityStatus of a project in `status` ("1" for an unset status).
std::string ProjectActivityStatus(registry::v1::Project::Status status);
// OrganisationRole of a project participant in `role` ("4" for an unset role).
std::string ParticipantRole(registry::v1::ProjectParticipant::Role role);
// TransactionType of a financial transaction of `kind`: 2 outgoing commitment, 3 disbursement,
// 4 expenditure; empty for an unset kind (the registry refuses it).
std::string TransactionType(registry::v1::FinancialTransaction::Kind kind);
// BudgetStatus of a budget line in `status`: 1 indicative, 2 committed ("1" when unset).
std::string BudgetStatus(registry::v1::BudgetLine::Status status);

// OrganisationType of an institution of `kind` in `country` (ISO 3166-1 alpha-2).
std::string OrganisationType(registry::v1::Institution::Kind kind, absl::string_view country);
// Whether `code` is in the OrganisationType codelist (for --reporting_org_type).
bool IsOrganisationType(absl::string_view code);
// The codelist's codes, for messages.
std::string OrganisationTypes();

}  // namespace imp::impctl::iati

#endif  // IMP_TOOLS_IMPCTL_IATI_CODES_H_
