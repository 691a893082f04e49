#include "tools/impctl/mapping.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/api/proto_util.h"
#include "common/api/text.h"
#include "tools/impctl/mapping_cells.h"

namespace imp::impctl {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;
using cells::Bad;
using cells::CheckWidth;
using cells::DateFromCell;
using cells::DateToCell;
using cells::EnumFromCell;
using cells::EnumToCell;
using cells::IntFromCell;
using cells::IntToCell;
using cells::Name;
using cells::SplitList;

// "okhmatdyt:DOCTOR:12|lviv:NURSE:3" -> participant groups.
absl::Status GroupsFromCell(const std::string& cell,
                            google::protobuf::RepeatedPtrField<act::ParticipantGroup>* out) {
  for (const std::string& part : SplitList(cell)) {
    std::vector<std::string> bits = absl::StrSplit(part, ':');
    if (bits.size() != 3) {
      return Bad("participants", absl::StrCat(api::QuoteForMessage(part),
                                              " is not institution_id:PROFESSION:headcount"));
    }
    if (bits[0].empty()) {
      return Bad("participants",
                 absl::StrCat(api::QuoteForMessage(part), " has no institution id"));
    }
    auto* g = out->Add();
    g->set_institution(Name("institutions", bits[0]));
    auto profession = EnumFromCell(act::ParticipantGroup::Profession_descriptor(), "PROFESSION_",
                                   bits[1], "participants");
    if (!profession.ok()) return profession.status();
    g->set_profession(static_cast<act::ParticipantGroup::Profession>(*profession));
    int headcount = 0;
    if (!absl::SimpleAtoi(bits[2], &headcount)) {
      return Bad("participants",
                 absl::StrCat(api::QuoteForMessage(bits[2]), " is not a headcount"));
    }
    g->set_headcount(headcount);
  }
  return absl::OkStatus();
}

std::string GroupsToCell(const google::protobuf::RepeatedPtrField<act::ParticipantGroup>& groups) {
  std::vector<std::string> parts;
  for (const auto& g : groups) {
    parts.push_back(absl::StrCat(
        BareId(g.institution()), ":",
        EnumToCell(act::ParticipantGroup::Profession_descriptor(), "PROFESSION_", g.profession()),
        ":", g.headcount()));
  }
  return absl::StrJoin(parts, "|");
}

// Columns 14.. hold the details of one kind each. A value in another kind's column would be
// dropped without a trace, so it is an error instead.
absl::Status CheckKindColumns(const std::string& kind, const std::vector<std::string>& f) {
  static const auto* const kUsed = new std::map<std::string, std::set<size_t>>{
      {"TRAINING", {14, 15, 16}},   // format_or_type, participants, hours
      {"OPERATION", {17, 18, 19}},  // operations, patients, specialty
      {"VISIT", {14, 20, 21}},      // format_or_type, specialists, purpose
      {"TELEMEDICINE", {18, 22}},   // patients, consultations
      {"EVENT", {14, 15}},          // format_or_type, participants
  };
  const auto used = kUsed->find(kind);
  if (used == kUsed->end()) return absl::OkStatus();  // the unknown kind is reported instead
  for (size_t i = 14; i < f.size(); ++i) {
    if (used->second.count(i) == 0 && !absl::StripAsciiWhitespace(f[i]).empty()) {
      return Bad(kActivityColumns[i], absl::StrCat("must be empty for a ", kind, " activity"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string> kInstitutionColumns = {
    "id",      "display_name", "local_name", "short_names", "kind",
    "country", "region",       "city",       "website",     "notes"};
const std::vector<std::string> kAgreementColumns = {"id",
                                                    "title",
                                                    "kind",
                                                    "state",
                                                    "parties",
                                                    "signed_on",
                                                    "valid_from",
                                                    "valid_until",
                                                    "signing_event",
                                                    "cooperation_areas",
                                                    "cooperation_forms",
                                                    "funders",
                                                    "document_uri",
                                                    "notes"};
const std::vector<std::string> kActivityColumns = {"id",
                                                   "kind",
                                                   "title",
                                                   "agreement",
                                                   "host_institution",
                                                   "partner_institutions",
                                                   "start_date",
                                                   "end_date",
                                                   "country",
                                                   "region",
                                                   "city",
                                                   "direction",
                                                   "cooperation_area",
                                                   "notes",
                                                   "format_or_type",
                                                   "participants",
                                                   "hours",
                                                   "operations",
                                                   "patients",
                                                   "specialty",
                                                   "specialists",
                                                   "purpose",
                                                   "consultations"};

std::string BareId(const std::string& name) {
  const size_t slash = name.find('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

absl::Status CheckHeader(const std::vector<std::string>& header,
                         const std::vector<std::string>& expected) {
  if (header == expected) return absl::OkStatus();
  std::vector<std::string> missing, unexpected;
  for (const auto& column : expected) {
    if (std::find(header.begin(), header.end(), column) == header.end()) missing.push_back(column);
  }
  // At most ten unexpected columns, each cut to a short prefix: the message stays short whatever
  // the file's first line holds.
  size_t more = 0;
  for (const auto& column : header) {
    if (std::find(expected.begin(), expected.end(), column) != expected.end()) continue;
    if (unexpected.size() == 10) {
      ++more;
    } else if (column.size() <= api::kMaxQuotedBytes) {
      unexpected.push_back(column);
    } else {
      unexpected.push_back(absl::StrCat(api::Utf8Prefix(column, api::kMaxQuotedBytes), "... (",
                                        column.size(), " bytes)"));
    }
  }
  if (more > 0) unexpected.push_back(absl::StrCat("and ", more, " more"));
  std::string problem = "the columns are in another order";
  if (!missing.empty()) problem = absl::StrCat("missing ", absl::StrJoin(missing, ", "));
  if (!unexpected.empty()) {
    absl::StrAppend(&problem, missing.empty() ? "" : "; ", "unexpected ",
                    absl::StrJoin(unexpected, ", "));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "line 1: ", problem, "; the header must be exactly: ", absl::StrJoin(expected, ",")));
}

absl::StatusOr<InstitutionRow> InstitutionFromCsv(const std::vector<std::string>& f) {
  absl::Status width = CheckWidth(f, kInstitutionColumns);
  if (!width.ok()) return width;
  InstitutionRow row;
  row.id = f[0];
  auto& in = row.institution;
  in.set_display_name(f[1]);
  in.set_local_name(f[2]);
  for (auto& s : SplitList(f[3])) in.add_short_names(s);
  auto kind = EnumFromCell(reg::Institution::Kind_descriptor(), "KIND_", f[4], "kind");
  if (!kind.ok()) return kind.status();
  in.set_kind(static_cast<reg::Institution::Kind>(*kind));
  in.set_country(f[5]);
  in.set_region(f[6]);
  in.set_city(f[7]);
  in.set_website(f[8]);
  in.set_notes(f[9]);
  return row;
}

std::vector<std::string> InstitutionToCsv(const reg::Institution& in) {
  return {BareId(in.name()),
          in.display_name(),
          in.local_name(),
          absl::StrJoin(in.short_names(), "|"),
          EnumToCell(reg::Institution::Kind_descriptor(), "KIND_", in.kind()),
          in.country(),
          in.region(),
          in.city(),
          in.website(),
          in.notes()};
}

absl::StatusOr<AgreementRow> AgreementFromCsv(const std::vector<std::string>& f) {
  absl::Status width = CheckWidth(f, kAgreementColumns);
  if (!width.ok()) return width;
  AgreementRow row;
  row.id = f[0];
  auto& a = row.agreement;
  a.set_title(f[1]);
  auto kind = EnumFromCell(reg::Agreement::Kind_descriptor(), "KIND_", f[2], "kind");
  if (!kind.ok()) return kind.status();
  a.set_kind(static_cast<reg::Agreement::Kind>(*kind));
  auto state = EnumFromCell(reg::Agreement::State_descriptor(), "STATE_", f[3], "state");
  if (!state.ok()) return state.status();
  row.target_state =
      *state == 0 ? reg::Agreement::STATE_PROPOSED : static_cast<reg::Agreement::State>(*state);
  absl::Status s = DateFromCell(f[5], "signed_on", a.mutable_signed_on());
  if (s.ok()) s = DateFromCell(f[6], "valid_from", a.mutable_valid_from());
  if (s.ok()) s = DateFromCell(f[7], "valid_until", a.mutable_valid_until());
  if (!s.ok()) return s;
  // Created as PROPOSED or ACTIVE; later states are reached through the lifecycle methods. An
  // unsigned TERMINATED agreement is an abandoned proposal (PROPOSED -> TERMINATED); every other
  // later state passes through ACTIVE, which needs the signing date.
  const bool unsigned_terminated =
      row.target_state == reg::Agreement::STATE_TERMINATED && !api::IsSet(a.signed_on());
  a.set_state(row.target_state == reg::Agreement::STATE_PROPOSED || unsigned_terminated
                  ? reg::Agreement::STATE_PROPOSED
                  : reg::Agreement::STATE_ACTIVE);
  for (const std::string& part : SplitList(f[4])) {
    std::vector<std::string> bits = absl::StrSplit(part, ':');
    if (bits.size() != 2)
      return Bad("parties",
                 absl::StrCat(api::QuoteForMessage(part), " is not institution_id:ROLE"));
    auto* p = a.add_parties();
    p->set_institution(Name("institutions", bits[0]));
    auto role = EnumFromCell(reg::Party::Role_descriptor(), "ROLE_", bits[1], "parties");
    if (!role.ok()) return role.status();
    p->set_role(static_cast<reg::Party::Role>(*role));
  }
  a.set_signing_event(f[8]);
  for (auto& area : SplitList(f[9])) a.add_cooperation_areas(area);
  for (auto& form : SplitList(f[10])) {
    auto v = EnumFromCell(reg::CooperationForm_descriptor(), "COOPERATION_FORM_", form,
                          "cooperation_forms");
    if (!v.ok()) return v.status();
    a.add_cooperation_forms(static_cast<reg::CooperationForm>(*v));
  }
  for (auto& funder : SplitList(f[11])) a.add_funders(funder);
  a.set_document_uri(f[12]);
  a.set_notes(f[13]);
  return row;
}

std::vector<std::string> AgreementToCsv(const reg::Agreement& a) {
  std::vector<std::string> parties, forms;
  for (const auto& p : a.parties()) {
    parties.push_back(absl::StrCat(BareId(p.institution()), ":",
                                   EnumToCell(reg::Party::Role_descriptor(), "ROLE_", p.role())));
  }
  for (int form : a.cooperation_forms()) {
    forms.push_back(EnumToCell(reg::CooperationForm_descriptor(), "COOPERATION_FORM_", form));
  }
  return {BareId(a.name()),
          a.title(),
          EnumToCell(reg::Agreement::Kind_descriptor(), "KIND_", a.kind()),
          EnumToCell(reg::Agreement::State_descriptor(), "STATE_", a.state()),
          absl::StrJoin(parties, "|"),
          DateToCell(a.signed_on()),
          DateToCell(a.valid_from()),
          DateToCell(a.valid_until()),
          a.signing_event(),
          absl::StrJoin(a.cooperation_areas(), "|"),
          absl::StrJoin(forms, "|"),
          absl::StrJoin(a.funders(), "|"),
          a.document_uri(),
          a.notes()};
}

absl::StatusOr<ActivityRow> ActivityFromCsv(const std::vector<std::string>& f) {
  absl::Status width = CheckWidth(f, kActivityColumns);
  if (!width.ok()) return width;
  ActivityRow row;
  row.id = f[0];
  auto& a = row.activity;
  const std::string kind = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(f[1]));
  a.set_title(f[2]);
  a.set_agreement(Name("agreements", f[3]));
  a.set_host_institution(Name("institutions", f[4]));
  for (auto& p : SplitList(f[5])) a.add_partner_institutions(Name("institutions", p));
  absl::Status s = DateFromCell(f[6], "start_date", a.mutable_start_date());
  if (s.ok()) s = DateFromCell(f[7], "end_date", a.mutable_end_date());
  if (!s.ok()) return s;
  a.mutable_location()->set_country(f[8]);
  a.mutable_location()->set_region(f[9]);
  a.mutable_location()->set_city(f[10]);
  auto direction =
      EnumFromCell(act::Activity::Direction_descriptor(), "DIRECTION_", f[11], "direction");
  if (!direction.ok()) return direction.status();
  a.set_direction(static_cast<act::Activity::Direction>(*direction));
  a.set_cooperation_area(f[12]);
  a.set_notes(f[13]);
  absl::Status unused = CheckKindColumns(kind, f);
  if (!unused.ok()) return unused;
  const std::string& type = f[14];
  auto number = [&](int column) { return IntFromCell(f[column], kActivityColumns[column]); };
  if (kind == "TRAINING") {
    auto* t = a.mutable_training();
    auto format =
        EnumFromCell(act::TrainingDetails::Format_descriptor(), "FORMAT_", type, "format_or_type");
    if (!format.ok()) return format.status();
    t->set_format(static_cast<act::TrainingDetails::Format>(*format));
    s = GroupsFromCell(f[15], t->mutable_participant_groups());
    if (!s.ok()) return s;
    auto hours = number(16);
    if (!hours.ok()) return hours.status();
    t->set_hours(*hours);
  } else if (kind == "OPERATION") {
    auto ops = number(17), patients = number(18);
    if (!ops.ok()) return ops.status();
    if (!patients.ok()) return patients.status();
    a.mutable_operation()->set_operations(*ops);
    a.mutable_operation()->set_patients_treated(*patients);
    a.mutable_operation()->set_specialty(f[19]);
  } else if (kind == "VISIT") {
    auto* v = a.mutable_visit();
    auto t = EnumFromCell(act::VisitDetails::Type_descriptor(), "TYPE_", type, "format_or_type");
    if (!t.ok()) return t.status();
    v->set_type(static_cast<act::VisitDetails::Type>(*t));
    auto specialists = number(20);
    if (!specialists.ok()) return specialists.status();
    v->set_specialists(*specialists);
    v->set_purpose(f[21]);
  } else if (kind == "TELEMEDICINE") {
    auto consultations = number(22), patients = number(18);
    if (!consultations.ok()) return consultations.status();
    if (!patients.ok()) return patients.status();
    a.mutable_telemedicine()->set_consultations(*consultations);
    a.mutable_telemedicine()->set_patients(*patients);
  } else if (kind == "EVENT") {
    auto* e = a.mutable_event();
    auto t = EnumFromCell(act::EventDetails::Type_descriptor(), "TYPE_", type, "format_or_type");
    if (!t.ok()) return t.status();
    e->set_type(static_cast<act::EventDetails::Type>(*t));
    s = GroupsFromCell(f[15], e->mutable_participant_groups());
    if (!s.ok()) return s;
  } else {
    return Bad("kind",
               absl::StrCat(api::QuoteForMessage(f[1]),
                            " is not one of TRAINING, OPERATION, VISIT, TELEMEDICINE, EVENT"));
  }
  return row;
}

std::vector<std::string> ActivityToCsv(const act::Activity& a) {
  std::vector<std::string> partners;
  for (const auto& p : a.partner_institutions()) partners.push_back(BareId(p));
  std::vector<std::string> row = {
      BareId(a.name()),
      EnumToCell(act::Activity::Kind_descriptor(), "KIND_", a.kind()),
      a.title(),
      BareId(a.agreement()),
      BareId(a.host_institution()),
      absl::StrJoin(partners, "|"),
      DateToCell(a.start_date()),
      DateToCell(a.end_date()),
      a.location().country(),
      a.location().region(),
      a.location().city(),
      EnumToCell(act::Activity::Direction_descriptor(), "DIRECTION_", a.direction()),
      a.cooperation_area(),
      a.notes()};
  row.resize(kActivityColumns.size());
  switch (a.details_case()) {
    case act::Activity::kTraining:
      row[14] =
          EnumToCell(act::TrainingDetails::Format_descriptor(), "FORMAT_", a.training().format());
      row[15] = GroupsToCell(a.training().participant_groups());
      row[16] = IntToCell(a.training().hours());
      break;
    case act::Activity::kOperation:
      row[17] = IntToCell(a.operation().operations());
      row[18] = IntToCell(a.operation().patients_treated());
      row[19] = a.operation().specialty();
      break;
    case act::Activity::kVisit:
      row[14] = EnumToCell(act::VisitDetails::Type_descriptor(), "TYPE_", a.visit().type());
      row[20] = IntToCell(a.visit().specialists());
      row[21] = a.visit().purpose();
      break;
    case act::Activity::kTelemedicine:
      row[18] = IntToCell(a.telemedicine().patients());
      row[22] = IntToCell(a.telemedicine().consultations());
      break;
    case act::Activity::kEvent:
      row[14] = EnumToCell(act::EventDetails::Type_descriptor(), "TYPE_", a.event().type());
      row[15] = GroupsToCell(a.event().participant_groups());
      break;
    case act::Activity::DETAILS_NOT_SET: break;
  }
  return row;
}

}  // namespace imp::impctl
