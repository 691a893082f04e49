#include "activity-service/src/validation.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/api/iso3166.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"

namespace imp::activity {
namespace {

using v1::Activity;

constexpr int kMaxCount = 1000000;

absl::Status Invalid(absl::string_view field, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", reason));
}

absl::Status CheckCount(int64_t value, int64_t min, absl::string_view field) {
  if (value < min || value > kMaxCount) {
    return Invalid(field, absl::StrCat("must be between ", min, " and ", kMaxCount));
  }
  return absl::OkStatus();
}

absl::Status CheckGroups(const google::protobuf::RepeatedPtrField<v1::ParticipantGroup>& groups,
                         absl::string_view prefix, bool required) {
  if (required && groups.empty()) {
    return Invalid(prefix, "at least one participant group is required");
  }
  for (int i = 0; i < groups.size(); ++i) {
    const auto& g = groups[i];
    const std::string field = absl::StrCat(prefix, "[", i, "]");
    auto id = api::ParseResourceName(g.institution(), "institutions", field + ".institution");
    if (!id.ok()) return id.status();
    if (g.profession() == v1::ParticipantGroup::PROFESSION_UNSPECIFIED ||
        !v1::ParticipantGroup::Profession_IsValid(g.profession())) {
      return Invalid(field + ".profession", "is required (e.g. PROFESSION_DOCTOR)");
    }
    absl::Status s = CheckCount(g.headcount(), 1, field + ".headcount");
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// A key a spreadsheet can hold: at most 128 bytes, no control characters, not blank.
absl::Status CheckExternalReference(const std::string& reference) {
  constexpr absl::string_view kField = "activity.external_reference";
  if (reference.empty()) return absl::OkStatus();
  if (reference.size() > 128) return Invalid(kField, "at most 128 bytes");
  if (absl::StripAsciiWhitespace(reference) != reference) {
    return Invalid(kField, "must not start or end with spaces");
  }
  for (unsigned char ch : reference) {
    if (ch < 0x20 || ch == 0x7f) return Invalid(kField, "must not contain control characters");
  }
  return absl::OkStatus();
}

absl::Status CheckDetails(const Activity& a) {
  switch (a.details_case()) {
    case Activity::kTraining: {
      const auto& t = a.training();
      if (t.format() == v1::TrainingDetails::FORMAT_UNSPECIFIED ||
          !v1::TrainingDetails::Format_IsValid(t.format())) {
        return Invalid("activity.training.format", "is required (e.g. FORMAT_INTERNSHIP)");
      }
      absl::Status s = CheckCount(t.hours(), 0, "activity.training.hours");
      if (!s.ok()) return s;
      return CheckGroups(t.participant_groups(), "activity.training.participant_groups", true);
    }
    case Activity::kOperation: {
      const auto& o = a.operation();
      absl::Status s = CheckCount(o.operations(), 1, "activity.operation.operations");
      if (!s.ok()) return s;
      s = CheckCount(o.patients_treated(), 0, "activity.operation.patients_treated");
      if (!s.ok()) return s;
      if (o.specialty().size() > 200)
        return Invalid("activity.operation.specialty", "at most 200 bytes");
      return absl::OkStatus();
    }
    case Activity::kVisit: {
      const auto& v = a.visit();
      if (v.type() == v1::VisitDetails::TYPE_UNSPECIFIED ||
          !v1::VisitDetails::Type_IsValid(v.type())) {
        return Invalid("activity.visit.type", "is required (e.g. TYPE_MISSION_TO_UKRAINE)");
      }
      absl::Status s = CheckCount(v.specialists(), 0, "activity.visit.specialists");
      if (!s.ok()) return s;
      if (v.purpose().size() > 1000) return Invalid("activity.visit.purpose", "at most 1000 bytes");
      return absl::OkStatus();
    }
    case Activity::kTelemedicine: {
      const auto& t = a.telemedicine();
      absl::Status s = CheckCount(t.consultations(), 1, "activity.telemedicine.consultations");
      if (!s.ok()) return s;
      return CheckCount(t.patients(), 0, "activity.telemedicine.patients");
    }
    case Activity::kEvent: {
      const auto& e = a.event();
      if (e.type() == v1::EventDetails::TYPE_UNSPECIFIED ||
          !v1::EventDetails::Type_IsValid(e.type())) {
        return Invalid("activity.event.type", "is required (e.g. TYPE_CONFERENCE)");
      }
      return CheckGroups(e.participant_groups(), "activity.event.participant_groups", false);
    }
    case Activity::DETAILS_NOT_SET: break;
  }
  return Invalid("activity.details",
                 "exactly one of training, operation, visit, telemedicine or event is required");
}

}  // namespace

Activity::Kind KindOf(const Activity& a) {
  switch (a.details_case()) {
    case Activity::kTraining: return Activity::KIND_TRAINING;
    case Activity::kOperation: return Activity::KIND_OPERATION;
    case Activity::kVisit: return Activity::KIND_VISIT;
    case Activity::kTelemedicine: return Activity::KIND_TELEMEDICINE;
    case Activity::kEvent: return Activity::KIND_EVENT;
    case Activity::DETAILS_NOT_SET: break;
  }
  return Activity::KIND_UNSPECIFIED;
}

Counters CountersOf(const Activity& a) {
  Counters c;
  auto add_groups = [&c](const google::protobuf::RepeatedPtrField<v1::ParticipantGroup>& groups) {
    for (const auto& g : groups) {
      c.participants += g.headcount();
      if (g.profession() == v1::ParticipantGroup::PROFESSION_DOCTOR) c.doctors += g.headcount();
    }
  };
  switch (a.details_case()) {
    case Activity::kTraining: add_groups(a.training().participant_groups()); break;
    case Activity::kEvent: add_groups(a.event().participant_groups()); break;
    case Activity::kOperation:
      c.operations = a.operation().operations();
      c.patients_treated = a.operation().patients_treated();
      break;
    case Activity::kVisit: c.specialists = a.visit().specialists(); break;
    case Activity::kTelemedicine:
      c.consultations = a.telemedicine().consultations();
      c.telemedicine_patients = a.telemedicine().patients();
      break;
    case Activity::DETAILS_NOT_SET: break;
  }
  return c;
}

std::vector<Involvement> InvolvedInstitutions(const Activity& a) {
  std::vector<Involvement> out;
  out.push_back({a.host_institution(), "HOST"});
  for (const auto& p : a.partner_institutions()) out.push_back({p, "PARTNER"});
  const google::protobuf::RepeatedPtrField<v1::ParticipantGroup>* groups = nullptr;
  if (a.has_training()) groups = &a.training().participant_groups();
  if (a.has_event()) groups = &a.event().participant_groups();
  if (groups != nullptr) {
    absl::flat_hash_set<std::string> seen;
    for (const auto& g : *groups) {
      if (seen.insert(g.institution()).second) out.push_back({g.institution(), "PARTICIPANT"});
    }
  }
  return out;
}

absl::Status ValidateActivity(const Activity& a) {
  if (absl::StripAsciiWhitespace(a.title()).empty())
    return Invalid("activity.title", "is required");
  if (a.title().size() > 500) return Invalid("activity.title", "at most 500 bytes");
  absl::Status s = CheckDetails(a);
  if (!s.ok()) return s;
  if (a.kind() != Activity::KIND_UNSPECIFIED && a.kind() != KindOf(a)) {
    return Invalid("activity.kind", absl::StrCat(Activity::Kind_Name(a.kind()),
                                                 " does not match the details given (",
                                                 Activity::Kind_Name(KindOf(a)), ")"));
  }
  auto host =
      api::ParseResourceName(a.host_institution(), "institutions", "activity.host_institution");
  if (!host.ok()) return host.status();
  absl::flat_hash_set<std::string> partners;
  for (int i = 0; i < a.partner_institutions_size(); ++i) {
    const std::string field = absl::StrCat("activity.partner_institutions[", i, "]");
    auto id = api::ParseResourceName(a.partner_institutions(i), "institutions", field);
    if (!id.ok()) return id.status();
    if (a.partner_institutions(i) == a.host_institution()) return Invalid(field, "is the host");
    if (!partners.insert(a.partner_institutions(i)).second) return Invalid(field, "is repeated");
  }
  if (!a.agreement().empty()) {
    auto id = api::ParseResourceName(a.agreement(), "agreements", "activity.agreement");
    if (!id.ok()) return id.status();
  }
  if (!api::IsSet(a.start_date())) return Invalid("activity.start_date", "is required");
  s = api::ValidateDate(a.start_date(), "activity.start_date");
  if (!s.ok()) return s;
  if (api::IsSet(a.end_date())) {
    s = api::ValidateDate(a.end_date(), "activity.end_date");
    if (!s.ok()) return s;
    if (api::CompareDates(a.end_date(), a.start_date()) < 0) {
      return Invalid("activity.end_date", "must not be before start_date");
    }
  }
  if (!api::IsIsoCountryCode(a.location().country())) {
    return Invalid(
        "activity.location.country",
        absl::StrCat("'", a.location().country(), "' is not an ISO 3166-1 alpha-2 code"));
  }
  if (a.location().country() == "UA" && !a.location().region().empty() &&
      !api::IsUkrainianRegionCode(a.location().region())) {
    return Invalid(
        "activity.location.region",
        absl::StrCat("'", a.location().region(), "' is not an ISO 3166-2:UA code (e.g. UA-07)"));
  }
  if (a.location().region().size() > 100)
    return Invalid("activity.location.region", "at most 100 bytes");
  if (a.location().city().size() > 200)
    return Invalid("activity.location.city", "at most 200 bytes");
  if (a.direction() == Activity::DIRECTION_UNSPECIFIED ||
      !Activity::Direction_IsValid(a.direction())) {
    return Invalid("activity.direction", "is required (e.g. DIRECTION_FROM_UKRAINE)");
  }
  const std::string& area = a.cooperation_area();
  if (area.size() > 64) return Invalid("activity.cooperation_area", "at most 64 bytes");
  for (char ch : area) {
    if (!absl::ascii_islower(static_cast<unsigned char>(ch)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(ch)) && ch != '-') {
      return Invalid("activity.cooperation_area",
                     "must be a codelist code: lowercase letters, digits and '-'");
    }
  }
  if (a.notes().size() > 10000) return Invalid("activity.notes", "at most 10000 bytes");
  return CheckExternalReference(a.external_reference());
}

}  // namespace imp::activity
