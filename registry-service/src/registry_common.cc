#include "registry-service/src/registry_common.h"

namespace imp::registry {

// Every table appends its writes to the change feed (store::AppendToFeed) as the kit's last
// step of each write (db::RecordWrite), so a committed change is in the audit trail and the
// feed, or in neither.
const InstitutionTable& Institutions() {
  static const InstitutionTable table{"institutions",
                                      &store::InstitutionRow::institution,
                                      &store::FindInstitution,
                                      &store::SetInstitutionDeleteTime,
                                      /*read_in_transaction=*/false,
                                      &store::AppendToFeed,
                                      &store::FindInstitutions};
  return table;
}

const AgreementTable& Agreements() {
  // An agreement is its row and its parties: two statements that must agree.
  static const AgreementTable table{"agreements",
                                    &store::AgreementRow::agreement,
                                    &store::FindAgreement,
                                    &store::SetAgreementDeleteTime,
                                    /*read_in_transaction=*/true,
                                    &store::AppendToFeed,
                                    &store::FindAgreements};
  return table;
}

// Projects are in the feed too; readers that do not know the kind skip them (the gateway's read
// model keeps institutions and agreements only).
const ProjectTable& Projects() {
  static const ProjectTable table{"projects",
                                  &store::ProjectRow::project,
                                  &store::FindProject,
                                  &store::SetProjectDeleteTime,
                                  /*read_in_transaction=*/false,
                                  &store::AppendToFeed};
  return table;
}

}  // namespace imp::registry
