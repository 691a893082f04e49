#include "tools/impctl/iati_codes.h"

#include <utility>

#include "absl/strings/str_join.h"

namespace imp::impctl::iati {
namespace {

namespace reg = registry::v1;

// Cooperation area -> OECD DAC CRS purpose code (IATI Sector codelist, vocabulary 1). The
// DAC descriptions decide: 12191 Medical services covers "laboratories, specialised clinics and
// hospitals (including equipment and supplies); ambulances; ... medical rehabilitation" but
// EXCLUDES noncommunicable diseases, which go to 123xx; 12350 covers the prevention, screening,
// treatment and palliative care of cancers and of cardiovascular diseases; 12340 mental health;
// 12230 district-level hospitals, clinics and their equipment; 12110 health policy, management
// and institution capacity building. The partnerships are hospital-to-hospital exchange of
// practice, so specialised hospital care (12191) is the default for clinical specialties
// without a more specific code.
const std::vector<AreaSector>& Table() {
  static const auto* table = new std::vector<AreaSector>{
      // Cancer diagnosis and treatment is named in 12350 ("cancer control ... treatment"), and
      // 12191 excludes NCDs.
      {"oncology", "12350", "Other prevention and treatment of NCDs"},
      // Surgery in specialised hospitals.
      {"surgery", "12191", "Medical services"},
      // Reconstruction of war and facial injuries in specialised hospital units.
      {"reconstructive-plastic-surgery", "12191", "Medical services"},
      // 12340: "promotion of mental health and well-being ... prevention, care and support".
      {"mental-health", "12340", "Promotion of mental health and well-being"},
      // 12350 names "palliative care for all types of cancers", the bulk of palliative care.
      {"palliative-care", "12350", "Other prevention and treatment of NCDs"},
      // Transplant programmes are specialised hospital services.
      {"transplantation", "12191", "Medical services"},
      // Neonatal intensive care is specialised hospital care (13020 covers care around
      // delivery, mapped from perinatal-care below).
      {"neonatology", "12191", "Medical services"},
      // 13020: "prenatal and postnatal care including delivery; safe motherhood".
      {"perinatal-care", "13020", "Reproductive health care"},
      // 12191 names "medical rehabilitation" explicitly.
      {"rehabilitation", "12191", "Medical services"},
      // Hospital emergency departments and ambulances (named in 12191). Not 72010 (material
      // relief): the partnerships build hospitals' practice, they do not deliver relief.
      {"emergency-care", "12191", "Medical services"},
      // Specialist consultations at a distance: a hospital service.
      {"telemedicine", "12191", "Medical services"},
      // Specialised clinical care (stroke alone would be 12350; the area is wider).
      {"neurology", "12191", "Medical services"},
      // Mental disorders: the same code as mental-health.
      {"psychiatry", "12340", "Promotion of mental health and well-being"},
      // Children's hospitals (e.g. OKHMATDYT) are specialised hospitals.
      {"pediatrics", "12191", "Medical services"},
      // 12350: "prevention, screening and treatment of cardiovascular diseases".
      {"cardiology", "12350", "Other prevention and treatment of NCDs"},
      // Trauma surgery and orthopaedics in hospitals.
      {"traumatology", "12191", "Medical services"},
      // 12250: "prevention and control of infectious and parasite diseases".
      {"infectious-diseases", "12250", "Infectious disease control"},
      // 12191 names "laboratories ... (including equipment and supplies)".
      {"diagnostics-imaging", "12191", "Medical services"},
      // Exchanges of nursing practice train staff: 12281 "training of health staff". 12181
      // (medical education for tertiary level) would fit doctors' specialist training better.
      {"nursing", "12281", "Health personnel development"},
      // 12110: "institution capacity building and advice ... health system strengthening".
      {"hospital-management", "12110", "Health policy and administrative management"},
      // Rebuilding and equipping hospitals and clinics (e.g. the modular centres of the
      // Borodianka Central District Hospital): 12230 "district-level hospitals, clinics ... and
      // related medical equipment".
      {"infrastructure-recovery", "12230", "Basic health infrastructure"},
  };
  return *table;
}

// Agreement lifecycle -> IATI ActivityStatus.
const std::vector<std::pair<reg::Agreement::State, const char*>>& StatusTable() {
  static const auto* table = new std::vector<std::pair<reg::Agreement::State, const char*>>{
      {reg::Agreement::STATE_PROPOSED, "1"},    // Pipeline/identification: announced, not signed
      {reg::Agreement::STATE_ACTIVE, "2"},      // Implementation: signed and in force
      {reg::Agreement::STATE_SUSPENDED, "6"},   // Suspended: temporarily not in force
      {reg::Agreement::STATE_EXPIRED, "4"},     // Closed: ran its course
      {reg::Agreement::STATE_TERMINATED, "5"},  // Cancelled: ended early or abandoned
  };
  return *table;
}

// Party role -> IATI OrganisationRole.
const std::vector<std::pair<reg::Party::Role, const char*>>& RoleTable() {
  static const auto* table = new std::vector<std::pair<reg::Party::Role, const char*>>{
      // Both twins carry out the exchange: Implementing.
      {reg::Party::ROLE_UKRAINIAN_PARTNER, "4"},
      {reg::Party::ROLE_FOREIGN_PARTNER, "4"},
      {reg::Party::ROLE_FUNDER, "1"},  // Funding
      // A coordinator oversees the partnership and answers for it: Accountable.
      {reg::Party::ROLE_COORDINATOR, "2"},
  };
  return *table;
}

// Project status -> IATI ActivityStatus: the registry's values are the codelist's (h-projects).
const std::vector<std::pair<reg::Project::Status, const char*>>& ProjectStatusTable() {
  static const auto* table = new std::vector<std::pair<reg::Project::Status, const char*>>{
      {reg::Project::STATUS_IDENTIFICATION, "1"},  // Pipeline/identification
      {reg::Project::STATUS_IMPLEMENTATION, "2"},  // Implementation
      {reg::Project::STATUS_FINALISATION, "3"},    // Finalisation: done, accounts still open
      {reg::Project::STATUS_CLOSED, "4"},          // Closed
      {reg::Project::STATUS_CANCELLED, "5"},       // Cancelled
      {reg::Project::STATUS_SUSPENDED, "6"},       // Suspended
  };
  return *table;
}

// Project participant role -> IATI OrganisationRole (the same codes).
const std::vector<std::pair<reg::ProjectParticipant::Role, const char*>>& ParticipantRoleTable() {
  static const auto* table = new std::vector<std::pair<reg::ProjectParticipant::Role, const char*>>{
      {reg::ProjectParticipant::ROLE_FUNDING, "1"},
      {reg::ProjectParticipant::ROLE_ACCOUNTABLE, "2"},
      {reg::ProjectParticipant::ROLE_EXTENDING, "3"},
      {reg::ProjectParticipant::ROLE_IMPLEMENTING, "4"},
  };
  return *table;
}

// Financial transaction kind -> IATI TransactionType. The publisher reports what the project's
// money did, seen from the project: 2 (outgoing) commitment, 3 disbursement, 4 expenditure.
const std::vector<std::pair<reg::FinancialTransaction::Kind, const char*>>& TransactionTable() {
  static const auto* table =
      new std::vector<std::pair<reg::FinancialTransaction::Kind, const char*>>{
          {reg::FinancialTransaction::KIND_COMMITMENT, "2"},
          {reg::FinancialTransaction::KIND_DISBURSEMENT, "3"},
          {reg::FinancialTransaction::KIND_EXPENDITURE, "4"},
      };
  return *table;
}

// Institution kind -> IATI OrganisationType, in Ukraine and abroad (they differ for NGOs only).
struct KindType {
  reg::Institution::Kind kind;
  const char* in_ukraine;
  const char* abroad;
};
const std::vector<KindType>& KindTable() {
  static const auto* table = new std::vector<KindType>{
      // The programme's hospitals are state and municipal hospitals: Other Public Sector.
      {reg::Institution::KIND_HOSPITAL, "15", "15"},
      // Teaching hospitals, universities, research institutes: Academic, Training and Research.
      {reg::Institution::KIND_UNIVERSITY_HOSPITAL, "80", "80"},
      {reg::Institution::KIND_MEDICAL_UNIVERSITY, "80", "80"},
      {reg::Institution::KIND_RESEARCH_INSTITUTE, "80", "80"},
      {reg::Institution::KIND_GOVERNMENT_BODY, "10", "10"},  // Government
      // Bilateral agencies (GIZ, Expertise France) act for their governments.
      {reg::Institution::KIND_DEVELOPMENT_AGENCY, "10", "10"},
      // Partner Country based NGO in Ukraine (the recipient), International NGO abroad.
      {reg::Institution::KIND_NGO, "24", "21"},
      // Professional associations and royal colleges fit no other type: Other.
      {reg::Institution::KIND_PROFESSIONAL_ASSOCIATION, "90", "90"},
      {reg::Institution::KIND_OTHER, "90", "90"},
  };
  return *table;
}

// The OrganisationType codelist (IATI 2.03).
constexpr const char* kOrganisationTypes[] = {"10", "11", "15", "21", "22", "23", "24", "30",
                                              "40", "60", "70", "71", "72", "73", "80", "90"};

}  // namespace

const std::vector<AreaSector>& AreaSectors() { return Table(); }

AreaSector DefaultSector() { return {"", "12191", "Medical services"}; }

const AreaSector* SectorForArea(absl::string_view area) {
  for (const auto& entry : Table()) {
    if (area == entry.area) return &entry;
  }
  return nullptr;
}

std::string ActivityStatus(reg::Agreement::State state) {
  for (const auto& [s, code] : StatusTable()) {
    if (s == state) return code;
  }
  return "1";  // unset state: the registry creates such agreements as PROPOSED
}

std::string OrganisationRole(reg::Party::Role role) {
  for (const auto& [r, code] : RoleTable()) {
    if (r == role) return code;
  }
  return "4";
}

std::string ProjectActivityStatus(reg::Project::Status status) {
  for (const auto& [s, code] : ProjectStatusTable()) {
    if (s == status) return code;
  }
  return "1";
}

std::string ParticipantRole(reg::ProjectParticipant::Role role) {
  for (const auto& [r, code] : ParticipantRoleTable()) {
    if (r == role) return code;
  }
  return "4";
}

std::string TransactionType(reg::FinancialTransaction::Kind kind) {
  for (const auto& [k, code] : TransactionTable()) {
    if (k == kind) return code;
  }
  return "";
}

std::string BudgetStatus(reg::BudgetLine::Status status) {
  return status == reg::BudgetLine::STATUS_COMMITTED ? "2" : "1";  // 2 committed, 1 indicative
}

std::string OrganisationType(reg::Institution::Kind kind, absl::string_view country) {
  for (const auto& entry : KindTable()) {
    if (entry.kind == kind) return country == "UA" ? entry.in_ukraine : entry.abroad;
  }
  return "90";
}

bool IsOrganisationType(absl::string_view code) {
  for (const char* c : kOrganisationTypes) {
    if (code == c) return true;
  }
  return false;
}

std::string OrganisationTypes() { return absl::StrJoin(kOrganisationTypes, ", "); }

}  // namespace imp::impctl::iati
