#include "registry-service/src/validation.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/api/iso3166.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"
#include "common/api/text.h"
#include "registry-service/src/framework_rules.h"

namespace imp::registry {
namespace {

using v1::Agreement;
using v1::Institution;

absl::Status Required(absl::string_view value, absl::string_view field) {
  if (absl::StripAsciiWhitespace(value).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": is required"));
  }
  return absl::OkStatus();
}

// Lower-cases one UTF-8 encoded code point of the Ukrainian/Russian Cyrillic block, in place.
// Everything else passes through unchanged.
void AppendLowerUtf8(absl::string_view in, size_t& i, std::string& out) {
  const auto b0 = static_cast<unsigned char>(in[i]);
  if (b0 < 0x80) {
    out.push_back(absl::ascii_tolower(b0));
    ++i;
    return;
  }
  if ((b0 == 0xD0 || b0 == 0xD1) && i + 1 < in.size()) {
    const auto b1 = static_cast<unsigned char>(in[i + 1]);
    unsigned cp = ((b0 & 0x1F) << 6) | (b1 & 0x3F);
    if (cp >= 0x410 && cp <= 0x42F)
      cp += 0x20;  // А-Я -> а-я
    else if (cp >= 0x400 && cp <= 0x40F)
      cp += 0x50;  // Ѐ-Џ (incl. Є І Ї) -> ѐ-џ
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    i += 2;
    return;
  }
  if (b0 == 0xD2 && i + 1 < in.size() && static_cast<unsigned char>(in[i + 1]) == 0x90) {
    out.append("\xD2\x91");  // Ґ -> ґ
    i += 2;
    return;
  }
  out.push_back(in[i]);
  ++i;
}

}  // namespace

const api::FieldLimits& RegistryLimits() {
  using namespace limits;  // NOLINT(build/namespaces): the table reads better unqualified
  static const auto* const table = [] {
    const api::FieldLimit name{kMaxResourceNameBytes, 0};
    const api::FieldLimit etag{kMaxEtagBytes, 0};
    const api::FieldLimit page_token{kMaxPageTokenBytes, 0};
    // Multi-line text: notes, descriptions, reasons, remarks; a filter may be written on lines.
    constexpr auto kMany = api::TextLines::kMany;
    const api::FieldLimit filter{kMaxFilterBytes, 0, kMany};
    const api::FieldLimit order_by{kMaxOrderByBytes, 0};
    const api::FieldLimit notes{kMaxNotesBytes, 0, kMany};
    const std::string in = "imp.registry.v1.Institution.";
    const std::string ag = "imp.registry.v1.Agreement.";
    const std::string pr = "imp.registry.v1.Project.";
    const std::string v1 = "imp.registry.v1.";
    return new api::FieldLimits{
        {in + "name", name},
        {in + "display_name", {kMaxDisplayNameBytes, 0}},
        {in + "local_name", {kMaxLocalNameBytes, 0}},
        {in + "short_names", {kMaxShortNameBytes, kMaxShortNames}},
        {in + "country", {kMaxCodeBytes, 0}},
        {in + "region", {kMaxRegionBytes, 0}},
        {in + "city", {kMaxCityBytes, 0}},
        {in + "website", {kMaxWebsiteBytes, 0}},
        {in + "notes", notes},
        {in + "etag", etag},
        {v1 + "Party.institution", name},
        {ag + "name", name},
        {ag + "title", {kMaxTitleBytes, 0}},
        {ag + "parties", {0, kMaxParties}},
        {ag + "signing_event", {kMaxSigningEventBytes, 0}},
        {ag + "cooperation_areas", {kMaxCooperationAreaBytes, kMaxCooperationAreas}},
        {ag + "cooperation_forms", {0, kMaxCooperationForms}},
        {ag + "funders", {kMaxFunderBytes, kMaxFunders}},
        {ag + "document_uri", {kMaxDocumentUriBytes, 0}},
        {ag + "notes", notes},
        {ag + "etag", etag},
        {ag + "member_institutions", {kMaxResourceNameBytes, kMaxMemberInstitutions}},
        {ag + "parent_agreement", name},
        {pr + "name", name},
        {pr + "title", {kMaxTitleBytes, 0}},
        {pr + "local_title", {kMaxTitleBytes, 0}},
        {pr + "description", {kMaxDescriptionBytes, 0, kMany}},
        {pr + "local_description", {kMaxDescriptionBytes, 0, kMany}},
        {pr + "agreements", {kMaxResourceNameBytes, kMaxProjectAgreements}},
        {pr + "participants", {0, kMaxParticipants}},
        {pr + "cooperation_areas", {kMaxCooperationAreaBytes, kMaxCooperationAreas}},
        {pr + "locations", {0, kMaxLocations}},
        {pr + "budget", {0, kMaxBudgetLines}},
        {pr + "transactions", {0, kMaxTransactions}},
        {pr + "deliverables", {0, kMaxDeliverables}},
        {pr + "notes", notes},
        {pr + "budget_totals", {0, kMaxBudgetLines}},
        {pr + "etag", etag},
        {v1 + "ProjectParticipant.institution", name},
        {v1 + "ProjectLocation.country", {kMaxCodeBytes, 0}},
        {v1 + "ProjectLocation.region", {kMaxCodeBytes, 0}},
        {v1 + "ProjectLocation.site", name},
        {v1 + "FinancialTransaction.provider", name},
        {v1 + "FinancialTransaction.receiver", name},
        {v1 + "FinancialTransaction.description", {kMaxRemarkBytes, 0, kMany}},
        {v1 + "Deliverable.what", {kMaxDeliverableBytes, 0}},
        {v1 + "Deliverable.unit", {kMaxUnitBytes, 0}},
        {v1 + "Deliverable.deliveries", {0, kMaxDeliveries}},
        {v1 + "Delivery.notes", {kMaxRemarkBytes, 0, kMany}},
        {"google.type.Money.currency_code", {kMaxCodeBytes, 0}},
        {v1 + "GetProjectRequest.name", name},
        {v1 + "ListProjectsRequest.page_token", page_token},
        {v1 + "ListProjectsRequest.filter", filter},
        {v1 + "ListProjectsRequest.order_by", order_by},
        {v1 + "CreateProjectRequest.project_id", {kMaxResourceIdBytes, 0}},
        {v1 + "CreateProjectRequest.request_id", {kMaxRequestIdBytes, 0}},
        {v1 + "DeleteProjectRequest.name", name},
        {v1 + "DeleteProjectRequest.etag", etag},
        {v1 + "UndeleteProjectRequest.name", name},
        {v1 + "UndeleteProjectRequest.etag", etag},
        {v1 + "BatchGetProjectsRequest.names", {kMaxResourceNameBytes, kMaxBatchNames}},
        {"google.protobuf.FieldMask.paths", {kMaxUpdateMaskPathBytes, kMaxUpdateMaskPaths}},
        {v1 + "GetInstitutionRequest.name", name},
        {v1 + "ListInstitutionsRequest.page_token", page_token},
        {v1 + "ListInstitutionsRequest.filter", filter},
        {v1 + "ListInstitutionsRequest.order_by", order_by},
        {v1 + "CreateInstitutionRequest.institution_id", {kMaxResourceIdBytes, 0}},
        {v1 + "CreateInstitutionRequest.request_id", {kMaxRequestIdBytes, 0}},
        {v1 + "DeleteInstitutionRequest.name", name},
        {v1 + "DeleteInstitutionRequest.etag", etag},
        {v1 + "UndeleteInstitutionRequest.name", name},
        {v1 + "UndeleteInstitutionRequest.etag", etag},
        {v1 + "BatchGetInstitutionsRequest.names", {kMaxResourceNameBytes, kMaxBatchNames}},
        {v1 + "GetAgreementRequest.name", name},
        {v1 + "ListAgreementsRequest.page_token", page_token},
        {v1 + "ListAgreementsRequest.filter", filter},
        {v1 + "ListAgreementsRequest.order_by", order_by},
        {v1 + "CreateAgreementRequest.agreement_id", {kMaxResourceIdBytes, 0}},
        {v1 + "CreateAgreementRequest.request_id", {kMaxRequestIdBytes, 0}},
        {v1 + "DeleteAgreementRequest.name", name},
        {v1 + "DeleteAgreementRequest.etag", etag},
        {v1 + "UndeleteAgreementRequest.name", name},
        {v1 + "UndeleteAgreementRequest.etag", etag},
        {v1 + "BatchGetAgreementsRequest.names", {kMaxResourceNameBytes, kMaxBatchNames}},
        {v1 + "ActivateAgreementRequest.name", name},
        {v1 + "ActivateAgreementRequest.etag", etag},
        {v1 + "SuspendAgreementRequest.name", name},
        {v1 + "SuspendAgreementRequest.etag", etag},
        {v1 + "SuspendAgreementRequest.reason", {kMaxReasonBytes, 0, kMany}},
        {v1 + "ExpireAgreementRequest.name", name},
        {v1 + "ExpireAgreementRequest.etag", etag},
        {v1 + "TerminateAgreementRequest.name", name},
        {v1 + "TerminateAgreementRequest.etag", etag},
        {v1 + "TerminateAgreementRequest.reason", {kMaxReasonBytes, 0, kMany}},
        {v1 + "ListPartnersRequest.institution", name},
        {v1 + "ListPartnersRequest.page_token", page_token},
        {v1 + "ListChangesRequest.name", name},
        {v1 + "ListChangesRequest.page_token", page_token},
    };
  }();
  return *table;
}

absl::Status CheckRequestBounds(const RequestContext& ctx,
                                const google::protobuf::Message& request) {
  return CheckCallBounds(ctx, request, RegistryLimits());
}

const std::vector<std::string>& UpdatableInstitutionFields() {
  static const auto* const fields =
      new std::vector<std::string>{"display_name", "local_name", "short_names", "kind", "country",
                                   "region",       "city",       "website",     "notes"};
  return *fields;
}

const std::vector<std::string>& UpdatableAgreementFields() {
  static const auto* const fields = new std::vector<std::string>{"title",
                                                                 "kind",
                                                                 "parties",
                                                                 "signed_on",
                                                                 "valid_from",
                                                                 "valid_until",
                                                                 "signing_event",
                                                                 "cooperation_areas",
                                                                 "cooperation_forms",
                                                                 "funders",
                                                                 "document_uri",
                                                                 "notes",
                                                                 "declared_member_count",
                                                                 "member_institutions",
                                                                 "parent_agreement"};
  return *fields;
}

std::string NormalizeName(absl::string_view name) {
  std::string lowered;
  for (size_t i = 0; i < name.size();) AppendLowerUtf8(name, i, lowered);
  std::string out;
  bool pending_space = false;
  for (char c : lowered) {
    const auto u = static_cast<unsigned char>(c);
    const bool separator = u < 0x80 && !absl::ascii_isalnum(u);
    if (separator) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

absl::Status ValidateInstitution(const Institution& in) {
  absl::Status s = api::CheckBounds(in, "institution", RegistryLimits());
  if (!s.ok()) return s;
  if (!(s = Required(in.display_name(), "institution.display_name")).ok()) return s;
  for (int i = 0; i < in.short_names_size(); ++i) {
    if (!(s = Required(in.short_names(i), absl::StrCat("institution.short_names[", i, "]"))).ok())
      return s;
  }
  if (in.kind() == Institution::KIND_UNSPECIFIED || !Institution::Kind_IsValid(in.kind())) {
    return absl::InvalidArgumentError("institution.kind: is required (e.g. KIND_HOSPITAL)");
  }
  if (!api::IsIsoCountryCode(in.country())) {
    return absl::InvalidArgumentError(
        absl::StrCat("institution.country: ", api::QuoteForMessage(in.country()),
                     " is not an ISO 3166-1 alpha-2 code (e.g. UA, FR)"));
  }
  if (in.country() == "UA" && !in.region().empty() && !api::IsUkrainianRegionCode(in.region())) {
    return absl::InvalidArgumentError(
        absl::StrCat("institution.region: ", api::QuoteForMessage(in.region()),
                     " is not an ISO 3166-2:UA code; Ukrainian regions are written like UA-46"));
  }
  if (!in.website().empty()) {
    s = api::ValidateHttpUrl(in.website(), "institution.website", limits::kMaxWebsiteBytes);
  }
  return s;
}

absl::Status ValidateAgreement(const Agreement& a,
                               const absl::flat_hash_set<std::string>& known_areas) {
  absl::Status s = api::CheckBounds(a, "agreement", RegistryLimits());
  if (!s.ok()) return s;
  if (!(s = Required(a.title(), "agreement.title")).ok()) return s;
  if (a.kind() == Agreement::KIND_UNSPECIFIED || !Agreement::Kind_IsValid(a.kind())) {
    return absl::InvalidArgumentError(
        "agreement.kind: is required (e.g. KIND_TWINNING_MEMORANDUM)");
  }
  if (a.parties_size() < 2) {
    return absl::InvalidArgumentError("agreement.parties: at least two parties are required");
  }
  absl::flat_hash_set<std::string> seen;
  bool has_ukrainian_partner = false;
  for (int i = 0; i < a.parties_size(); ++i) {
    const auto& party = a.parties(i);
    const std::string field = absl::StrCat("agreement.parties[", i, "]");
    auto id = api::ParseResourceName(party.institution(), "institutions", field + ".institution");
    if (!id.ok()) return id.status();
    if (!seen.insert(*id).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".institution: ", api::QuoteForMessage(party.institution()), " is listed twice"));
    }
    if (party.role() == v1::Party::ROLE_UNSPECIFIED || !v1::Party::Role_IsValid(party.role())) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".role: is required (e.g. ROLE_UKRAINIAN_PARTNER)"));
    }
    if (party.role() == v1::Party::ROLE_UKRAINIAN_PARTNER) has_ukrainian_partner = true;
  }
  if (!has_ukrainian_partner) {
    return absl::InvalidArgumentError(
        "agreement.parties: at least one party must have ROLE_UKRAINIAN_PARTNER");
  }
  const bool has_signed = api::IsSet(a.signed_on());
  const bool has_from = api::IsSet(a.valid_from());
  const bool has_until = api::IsSet(a.valid_until());
  if (has_signed && !(s = api::ValidateDate(a.signed_on(), "agreement.signed_on")).ok()) return s;
  if (has_from && !(s = api::ValidateDate(a.valid_from(), "agreement.valid_from")).ok()) return s;
  if (has_until && !(s = api::ValidateDate(a.valid_until(), "agreement.valid_until")).ok())
    return s;
  if (has_from && has_until && api::CompareDates(a.valid_until(), a.valid_from()) < 0) {
    return absl::InvalidArgumentError("agreement.valid_until: must not be before valid_from");
  }
  if (a.state() != Agreement::STATE_PROPOSED && !has_signed) {
    return absl::InvalidArgumentError(
        "agreement.signed_on: is required once the agreement is signed (state ACTIVE or later)");
  }
  absl::flat_hash_set<std::string> areas;
  for (int i = 0; i < a.cooperation_areas_size(); ++i) {
    if (!known_areas.contains(a.cooperation_areas(i))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "agreement.cooperation_areas[", i, "]: ", api::QuoteForMessage(a.cooperation_areas(i)),
          " is not in the cooperation-area codelist (see ListCooperationAreas)"));
    }
    if (!areas.insert(a.cooperation_areas(i)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("agreement.cooperation_areas[", i,
                       "]: ", api::QuoteForMessage(a.cooperation_areas(i)), " is repeated"));
    }
  }
  for (int i = 0; i < a.cooperation_forms_size(); ++i) {
    const auto form = a.cooperation_forms(i);
    if (form == v1::COOPERATION_FORM_UNSPECIFIED || !v1::CooperationForm_IsValid(form)) {
      return absl::InvalidArgumentError(
          absl::StrCat("agreement.cooperation_forms[", i, "]: is not a cooperation form"));
    }
  }
  for (int i = 0; i < a.funders_size(); ++i) {
    if (!(s = Required(a.funders(i), absl::StrCat("agreement.funders[", i, "]"))).ok()) return s;
  }
  if (!a.document_uri().empty()) {
    s = api::ValidateHttpUrl(a.document_uri(), "agreement.document_uri",
                             limits::kMaxDocumentUriBytes);
    if (!s.ok()) return s;
  }
  return ValidateFrameworkFields(a);
}

bool IsAllowedTransition(Agreement::State from, Agreement::State to) {
  switch (from) {
    case Agreement::STATE_PROPOSED:
      return to == Agreement::STATE_ACTIVE || to == Agreement::STATE_TERMINATED;
    case Agreement::STATE_ACTIVE:
      return to == Agreement::STATE_SUSPENDED || to == Agreement::STATE_EXPIRED ||
             to == Agreement::STATE_TERMINATED;
    case Agreement::STATE_SUSPENDED:
      return to == Agreement::STATE_ACTIVE || to == Agreement::STATE_EXPIRED ||
             to == Agreement::STATE_TERMINATED;
    default: return false;
  }
}

}  // namespace imp::registry
