#include "registry-service/src/validation.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/api/iso3166.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"

namespace imp::registry {
namespace {

using v1::Agreement;
using v1::Institution;

absl::Status MaxLength(absl::string_view value, size_t max, absl::string_view field) {
  if (value.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be at most ", max, " bytes (got ", value.size(), ")"));
  }
  return absl::OkStatus();
}

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
  absl::Status s;
  if (!(s = Required(in.display_name(), "institution.display_name")).ok()) return s;
  if (!(s = MaxLength(in.display_name(), 300, "institution.display_name")).ok()) return s;
  if (!(s = MaxLength(in.local_name(), 300, "institution.local_name")).ok()) return s;
  if (in.short_names_size() > 20) {
    return absl::InvalidArgumentError("institution.short_names: at most 20 short names");
  }
  for (int i = 0; i < in.short_names_size(); ++i) {
    const std::string field = absl::StrCat("institution.short_names[", i, "]");
    if (!(s = Required(in.short_names(i), field)).ok()) return s;
    if (!(s = MaxLength(in.short_names(i), 100, field)).ok()) return s;
  }
  if (in.kind() == Institution::KIND_UNSPECIFIED || !Institution::Kind_IsValid(in.kind())) {
    return absl::InvalidArgumentError("institution.kind: is required (e.g. KIND_HOSPITAL)");
  }
  if (!api::IsIsoCountryCode(in.country())) {
    return absl::InvalidArgumentError(
        absl::StrCat("institution.country: '", in.country(),
                     "' is not an ISO 3166-1 alpha-2 code (e.g. UA, FR)"));
  }
  if (in.country() == "UA" && !in.region().empty() && !api::IsUkrainianRegionCode(in.region())) {
    return absl::InvalidArgumentError(
        absl::StrCat("institution.region: '", in.region(),
                     "' is not an ISO 3166-2:UA code; Ukrainian regions are written like UA-46"));
  }
  if (!(s = MaxLength(in.region(), 100, "institution.region")).ok()) return s;
  if (!(s = MaxLength(in.city(), 200, "institution.city")).ok()) return s;
  if (!(s = MaxLength(in.website(), 500, "institution.website")).ok()) return s;
  if (!in.website().empty() && !absl::StartsWith(in.website(), "https://") &&
      !absl::StartsWith(in.website(), "http://")) {
    return absl::InvalidArgumentError("institution.website: must start with https:// or http://");
  }
  return MaxLength(in.notes(), 10000, "institution.notes");
}

absl::Status ValidateAgreement(const Agreement& a,
                               const absl::flat_hash_set<std::string>& known_areas) {
  absl::Status s;
  if (!(s = Required(a.title(), "agreement.title")).ok()) return s;
  if (!(s = MaxLength(a.title(), 500, "agreement.title")).ok()) return s;
  if (a.kind() == Agreement::KIND_UNSPECIFIED || !Agreement::Kind_IsValid(a.kind())) {
    return absl::InvalidArgumentError(
        "agreement.kind: is required (e.g. KIND_TWINNING_MEMORANDUM)");
  }
  if (a.parties_size() < 2) {
    return absl::InvalidArgumentError("agreement.parties: at least two parties are required");
  }
  if (a.parties_size() > 100) {
    return absl::InvalidArgumentError("agreement.parties: at most 100 parties");
  }
  absl::flat_hash_set<std::string> seen;
  bool has_ukrainian_partner = false;
  for (int i = 0; i < a.parties_size(); ++i) {
    const auto& party = a.parties(i);
    const std::string field = absl::StrCat("agreement.parties[", i, "]");
    auto id = api::ParseResourceName(party.institution(), "institutions", field + ".institution");
    if (!id.ok()) return id.status();
    if (!seen.insert(*id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".institution: ", party.institution(), " is listed twice"));
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
  if (!(s = MaxLength(a.signing_event(), 300, "agreement.signing_event")).ok()) return s;
  absl::flat_hash_set<std::string> areas;
  for (int i = 0; i < a.cooperation_areas_size(); ++i) {
    if (!known_areas.contains(a.cooperation_areas(i))) {
      return absl::InvalidArgumentError(
          absl::StrCat("agreement.cooperation_areas[", i, "]: '", a.cooperation_areas(i),
                       "' is not in the cooperation-area codelist (see ListCooperationAreas)"));
    }
    if (!areas.insert(a.cooperation_areas(i)).second) {
      return absl::InvalidArgumentError(absl::StrCat("agreement.cooperation_areas[", i, "]: '",
                                                     a.cooperation_areas(i), "' is repeated"));
    }
  }
  for (int i = 0; i < a.cooperation_forms_size(); ++i) {
    const auto form = a.cooperation_forms(i);
    if (form == v1::COOPERATION_FORM_UNSPECIFIED || !v1::CooperationForm_IsValid(form)) {
      return absl::InvalidArgumentError(
          absl::StrCat("agreement.cooperation_forms[", i, "]: is not a cooperation form"));
    }
  }
  if (a.funders_size() > 50) return absl::InvalidArgumentError("agreement.funders: at most 50");
  for (int i = 0; i < a.funders_size(); ++i) {
    const std::string field = absl::StrCat("agreement.funders[", i, "]");
    if (!(s = Required(a.funders(i), field)).ok()) return s;
    if (!(s = MaxLength(a.funders(i), 300, field)).ok()) return s;
  }
  if (!(s = MaxLength(a.document_uri(), 1000, "agreement.document_uri")).ok()) return s;
  return MaxLength(a.notes(), 10000, "agreement.notes");
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
