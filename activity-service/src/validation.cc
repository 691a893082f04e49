#include "activity-service/src/validation.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/api/iso3166.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"
#include "common/api/text.h"

namespace imp::activity {
namespace {

using v1::Activity;

using limits::kMaxCount;

absl::Status Invalid(absl::string_view field, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", reason));
}

absl::Status CheckCount(int64_t value, int64_t min, absl::string_view field,
                        int64_t max = kMaxCount) {
  if (value < min || value > max) {
    return Invalid(field, absl::StrCat("must be between ", min, " and ", max));
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
    absl::Status s = CheckCount(g.headcount(), 1, field + ".headcount", limits::kMaxHeadcount);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// A key a spreadsheet can hold: at most 128 bytes, no control characters, not blank.
absl::Status CheckExternalReference(const std::string& reference) {
  constexpr absl::string_view kField = "activity.external_reference";
  if (reference.empty()) return absl::OkStatus();
  if (reference.size() > limits::kMaxExternalReferenceBytes) {
    return Invalid(kField, absl::StrCat("at most ", limits::kMaxExternalReferenceBytes, " bytes"));
  }
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

const api::FieldLimits& ActivityLimits() {
  using namespace limits;  // NOLINT(build/namespaces): the table reads better unqualified
  static const auto* const table = [] {
    const api::FieldLimit name{kMaxResourceNameBytes, 0};
    const api::FieldLimit etag{kMaxEtagBytes, 0};
    const api::FieldLimit page_token{kMaxPageTokenBytes, 0};
    const api::FieldLimit groups{0, kMaxParticipantGroups};
    // Multi-line text: notes; a filter may be written on lines.
    constexpr auto kMany = api::TextLines::kMany;
    const std::string v1 = "imp.activity.v1.";
    const std::string ac = "imp.activity.v1.Activity.";
    return new api::FieldLimits{
        {ac + "name", name},
        {ac + "title", {kMaxTitleBytes, 0}},
        {ac + "agreement", name},
        {ac + "host_institution", name},
        {ac + "partner_institutions", {kMaxResourceNameBytes, kMaxPartnerInstitutions}},
        {ac + "cooperation_area", {kMaxCooperationAreaBytes, 0}},
        {ac + "notes", {kMaxNotesBytes, 0, kMany}},
        {ac + "external_reference", {kMaxExternalReferenceBytes, 0}},
        {ac + "etag", etag},
        {v1 + "Location.country", {kMaxCodeBytes, 0}},
        {v1 + "Location.region", {kMaxRegionBytes, 0}},
        {v1 + "Location.city", {kMaxCityBytes, 0}},
        {v1 + "ParticipantGroup.institution", name},
        {v1 + "TrainingDetails.participant_groups", groups},
        {v1 + "OperationDetails.specialty", {kMaxSpecialtyBytes, 0}},
        {v1 + "VisitDetails.purpose", {kMaxPurposeBytes, 0}},
        {v1 + "EventDetails.participant_groups", groups},
        {"google.protobuf.FieldMask.paths", {kMaxUpdateMaskPathBytes, kMaxUpdateMaskPaths}},
        {v1 + "GetActivityRequest.name", name},
        {v1 + "ListActivitiesRequest.page_token", page_token},
        {v1 + "ListActivitiesRequest.filter", {kMaxFilterBytes, 0, kMany}},
        {v1 + "ListActivitiesRequest.order_by", {kMaxOrderByBytes, 0}},
        {v1 + "CreateActivityRequest.activity_id", {kMaxResourceIdBytes, 0}},
        {v1 + "CreateActivityRequest.request_id", {kMaxRequestIdBytes, 0}},
        {v1 + "DeleteActivityRequest.name", name},
        {v1 + "DeleteActivityRequest.etag", etag},
        {v1 + "UndeleteActivityRequest.name", name},
        {v1 + "UndeleteActivityRequest.etag", etag},
        {v1 + "BatchGetActivitiesRequest.names", {kMaxResourceNameBytes, kMaxBatchNames}},
        {v1 + "ImportActivitiesRequest.request_id", {kMaxRequestIdBytes, 0}},
        {v1 + "ImportActivitiesRequest.rows", {0, limits::kMaxImportRows}},
        {v1 + "ImportRow.activity_id", {kMaxResourceIdBytes, 0}},
        {v1 + "GetActivityStatsRequest.filter", {kMaxFilterBytes, 0, kMany}},
        {v1 + "GetActivityStatsRequest.group_by", {0, kMaxGroupBy}},
        {v1 + "ListChangesRequest.name", name},
        {v1 + "ListChangesRequest.page_token", page_token},
    };
  }();
  return *table;
}

absl::Status CheckRequestBounds(const RequestContext& ctx,
                                const google::protobuf::Message& request) {
  return CheckCallBounds(ctx, request, ActivityLimits());
}

const std::vector<std::string>& UpdatableActivityFields() {
  static const auto* const fields = new std::vector<std::string>{"title",
                                                                 "agreement",
                                                                 "host_institution",
                                                                 "partner_institutions",
                                                                 "start_date",
                                                                 "end_date",
                                                                 "location",
                                                                 "direction",
                                                                 "cooperation_area",
                                                                 "notes",
                                                                 "training",
                                                                 "operation",
                                                                 "visit",
                                                                 "telemedicine",
                                                                 "event",
                                                                 "external_reference"};
  return *fields;
}

Activity MergeUpdate(const Activity& stored, const Activity& patch,
                     const std::vector<std::string>& paths) {
  Activity merged = stored;
  for (const auto& path : paths) {
    if (path == "training" || path == "operation" || path == "visit" || path == "telemedicine" ||
        path == "event") {
      merged.clear_details();
    }
  }
  api::ApplyUpdateMask(paths, patch, &merged);
  merged.set_kind(KindOf(merged));
  return merged;
}

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
  absl::Status s = api::CheckBounds(a, "activity", ActivityLimits());
  if (!s.ok()) return s;
  if (absl::StripAsciiWhitespace(a.title()).empty())
    return Invalid("activity.title", "is required");
  s = CheckDetails(a);
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
    return Invalid("activity.location.country",
                   absl::StrCat(api::QuoteForMessage(a.location().country()),
                                " is not an ISO 3166-1 alpha-2 code"));
  }
  if (a.location().country() == "UA" && !a.location().region().empty() &&
      !api::IsUkrainianRegionCode(a.location().region())) {
    return Invalid("activity.location.region",
                   absl::StrCat(api::QuoteForMessage(a.location().region()),
                                " is not an ISO 3166-2:UA code (e.g. UA-07)"));
  }
  if (a.direction() == Activity::DIRECTION_UNSPECIFIED ||
      !Activity::Direction_IsValid(a.direction())) {
    return Invalid("activity.direction", "is required (e.g. DIRECTION_FROM_UKRAINE)");
  }
  const std::string& area = a.cooperation_area();
  for (char ch : area) {
    if (!absl::ascii_islower(static_cast<unsigned char>(ch)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(ch)) && ch != '-') {
      return Invalid("activity.cooperation_area",
                     "must be a codelist code: lowercase letters, digits and '-'");
    }
  }
  return CheckExternalReference(a.external_reference());
}

}  // namespace imp::activity
