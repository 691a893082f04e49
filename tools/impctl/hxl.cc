#include "tools/impctl/hxl.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/api/iso3166.h"
#include "common/api/proto_util.h"
#include "tools/impctl/csv.h"
#include "tools/impctl/mapping.h"

namespace imp::impctl::hxl {
namespace {

namespace act = activity::v1;

std::string KindWord(act::Activity::Kind kind) {
  const std::string name = act::Activity::Kind_Name(kind);
  return absl::StartsWith(name, "KIND_") ? name.substr(5) : name;
}

}  // namespace

const std::vector<Column>& Columns() {
  // Core HXL hashtags with attributes; the agreement has no core hashtag, hence #x_agreement
  // (HXL's prefix for custom hashtags). Counts of people are #reached, other counts
  // #indicator+num.
  static const auto* columns = new std::vector<Column>{
      {"Activity", "#activity+code"},
      {"Title", "#activity+name"},
      {"Kind", "#activity+type"},
      {"Agreement", "#x_agreement+code"},
      {"Organisation", "#org+name"},
      {"Organisation id", "#org+code"},
      {"Cooperation area", "#sector+name"},
      {"Cooperation area code", "#sector+code"},
      {"Country", "#country+code"},
      {"Oblast code", "#adm1+code"},
      {"Oblast or region", "#adm1+name"},
      {"City", "#loc+name"},
      {"Start", "#date+start"},
      {"End", "#date+end"},
      {"Health workers trained", "#reached+trainees"},
      {"Of which doctors", "#reached+trainees+doctors"},
      {"Patients helped", "#reached+patients"},
      {"Joint operations", "#indicator+num+operations"},
      {"Visits", "#indicator+num+visits"},
      {"Telemedical consultations", "#indicator+num+consultations"},
  };
  return *columns;
}


Figures FiguresOf(const act::Activity& a) {
  Figures f;
  const google::protobuf::RepeatedPtrField<act::ParticipantGroup>* groups = nullptr;
  if (a.has_training()) groups = &a.training().participant_groups();
  if (a.has_event()) groups = &a.event().participant_groups();
  if (groups != nullptr) {
    for (const auto& g : *groups) {
      f.trainees += g.headcount();
      if (g.profession() == act::ParticipantGroup::PROFESSION_DOCTOR)
        f.trainee_doctors += g.headcount();
    }
  }
  if (a.has_operation()) {
    f.operations = a.operation().operations();
    f.patients_helped = a.operation().patients_treated();
  }
  if (a.has_telemedicine()) {
    f.consultations = a.telemedicine().consultations();
    f.patients_helped = a.telemedicine().patients();
  }
  if (a.has_visit()) f.visits = 1;
  return f;
}

std::vector<std::string> Row(const act::Activity& a, const registry::v1::Institution* host,
                             const std::map<std::string, std::string>& area_labels) {
  const auto label = area_labels.find(a.cooperation_area());
  const std::string& country = a.location().country();
  const std::string& region = a.location().region();
  const bool oblast = country == "UA" && api::IsUkrainianRegionCode(region);
  const Figures f = FiguresOf(a);
  return {
      BareId(a.name()),
      SpreadsheetSafe(a.title()),
      KindWord(a.kind()),
      BareId(a.agreement()),
      SpreadsheetSafe(host != nullptr ? host->display_name() : BareId(a.host_institution())),
      BareId(a.host_institution()),
      SpreadsheetSafe(label != area_labels.end() ? label->second : a.cooperation_area()),
      a.cooperation_area(),
      country,
      oblast ? region : "",
      SpreadsheetSafe(oblast ? std::string(api::UkrainianRegionName(region)) : region),
      SpreadsheetSafe(a.location().city()),
      api::DateToString(a.start_date()),
      api::DateToString(api::IsSet(a.end_date()) ? a.end_date() : a.start_date()),
      absl::StrCat(f.trainees),
      absl::StrCat(f.trainee_doctors),
      absl::StrCat(f.patients_helped),
      absl::StrCat(f.operations),
      absl::StrCat(f.visits),
      absl::StrCat(f.consultations),
  };
}

}  // namespace imp::impctl::hxl
