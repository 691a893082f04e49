#include "registry-service/src/registry_common.h"

namespace imp::registry {

const InstitutionTable& Institutions() {
  static const InstitutionTable table{"institutions", &store::InstitutionRow::institution,
                                      &store::FindInstitution, &store::SetInstitutionDeleteTime};
  return table;
}

const AgreementTable& Agreements() {
  // An agreement is its row and its parties: two statements that must agree.
  static const AgreementTable table{"agreements", &store::AgreementRow::agreement,
                                    &store::FindAgreement, &store::SetAgreementDeleteTime,
                                    /*read_in_transaction=*/true};
  return table;
}

const ProjectTable& Projects() {
  static const ProjectTable table{"projects", &store::ProjectRow::project, &store::FindProject,
                                  &store::SetProjectDeleteTime};
  return table;
}

}  // namespace imp::registry
