// Agreement -> IATI activity. Structured fields only: the free-text notes are working notes
// (sources, approximations) and are not published.
#include "tools/impctl/iati_agreement.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api/iso3166.h"
#include "common/api/proto_util.h"
#include "tools/impctl/iati_codes.h"
#include "tools/impctl/iati_common.h"
#include "tools/impctl/mapping.h"

namespace imp::impctl::iati {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;
using google::type::Date;

const char* KindLabel(reg::Agreement::Kind kind) {
  switch (kind) {
    case reg::Agreement::KIND_TWINNING_MEMORANDUM: return "Twinning memorandum";
    case reg::Agreement::KIND_FRAMEWORK_AGREEMENT: return "Framework agreement";
    default: return "Agreement";
  }
}

const char* FormLabel(int form) {
  switch (form) {
    case reg::COOPERATION_FORM_FOREIGN_SPECIALISTS_IN_UKRAINE:
      return "foreign specialists working in Ukraine";
    case reg::COOPERATION_FORM_INTERNSHIPS_AND_KNOWLEDGE_EXCHANGE:
      return "internships and exchange of knowledge";
    case reg::COOPERATION_FORM_JOINT_RESEARCH_AND_CONFERENCES:
      return "joint research and conferences";
    case reg::COOPERATION_FORM_EDUCATIONAL_EVENTS: return "educational events";
    case reg::COOPERATION_FORM_MENTORING_AND_TELEMEDICINE:
      return "mentoring and telemedical consultations";
    case reg::COOPERATION_FORM_JOINT_GRANT_APPLICATIONS: return "joint grant applications";
    case reg::COOPERATION_FORM_ANONYMIZED_DATA_EXCHANGE:
      return "exchange of anonymized data for research";
    case reg::COOPERATION_FORM_JOINT_PUBLICATIONS: return "joint publications";
    default: return "other forms";
  }
}

// "A", "A and B", "A, B and C".
std::string JoinAnd(const std::vector<std::string>& items) {
  if (items.size() < 2) return absl::StrJoin(items, "");
  return absl::StrCat(absl::StrJoin(items.begin(), items.end() - 1, ", "), " and ", items.back());
}

std::string DateText(const Date& d) { return api::DateToString(d); }

void AddDates(const reg::Agreement& a, const Date& today, Activity* out) {
  const bool signed_ = a.state() != reg::Agreement::STATE_PROPOSED && api::IsSet(a.signed_on());
  const Date* start = api::IsSet(a.valid_from())  ? &a.valid_from()
                      : api::IsSet(a.signed_on()) ? &a.signed_on()
                                                  : nullptr;
  if (start != nullptr) {
    // Actual once signed and begun; otherwise what is planned.
    const bool actual = signed_ && api::CompareDates(*start, today) <= 0;
    out->dates.push_back({actual ? "2" : "1", DateText(*start), ""});
  } else {
    // IATI needs a date; a proposal without one gets the day it was registered, and says so.
    out->dates.push_back({"1", DateText(DateOf(a.create_time())),
                          "No start date agreed yet: the day the proposal was registered"});
  }
  if (api::IsSet(a.valid_until())) {
    // Only an agreement that ran out has actually ended on its last day; a terminated one
    // ended early on a day the registry does not record, so its end stays the planned one.
    const bool ended = a.state() == reg::Agreement::STATE_EXPIRED &&
                       api::CompareDates(a.valid_until(), today) <= 0;
    out->dates.push_back({ended ? "4" : "3", DateText(a.valid_until()), ""});
  }
}

std::string InstitutionName(const reg::Institution* in, const std::string& name) {
  return in != nullptr ? in->display_name() : BareId(name);
}

void AddParties(const reg::Agreement& a, const AgreementContext& c, Activity* out,
                std::vector<std::string>* party_names, std::set<std::string>* oblasts) {
  for (const auto& p : a.parties()) {
    const reg::Institution* in = nullptr;
    if (c.institutions != nullptr) {
      auto it = c.institutions->find(p.institution());
      if (it != c.institutions->end()) in = &it->second;
    }
    ParticipatingOrg org;
    org.role = OrganisationRole(p.role());
    org.org.names.push_back({InstitutionName(in, p.institution()), ""});
    if (in != nullptr) {
      org.org.type = OrganisationType(in->kind(), in->country());
      // Ukrainian names are in Ukrainian; abroad the registry does not say which language.
      if (in->country() == "UA" && !in->local_name().empty()) {
        org.org.names.push_back({in->local_name(), "uk"});
      }
      if (in->country() == "UA" && api::IsUkrainianRegionCode(in->region())) {
        oblasts->insert(in->region());
      }
    }
    party_names->push_back(
        in != nullptr && !in->country().empty()
            ? absl::StrCat(InstitutionName(in, p.institution()), " (", in->country(), ")")
            : InstitutionName(in, p.institution()));
    out->participating_orgs.push_back(std::move(org));
  }
  for (const auto& funder : a.funders()) {
    out->participating_orgs.push_back({{"", "", {{funder, ""}}}, kFunderRole});
  }
}

// One output result: an indicator per figure the partnership has (a framework agreement does no
// operations: no "0 operations" indicator), a period per calendar year up to today. No result
// when no figure is above zero (the schema wants at least one indicator).
void AddResult(const act::GetActivityStatsResponse& stats, const Date& today, Activity* out) {
  struct Figure {
    const char* title;
    int64_t (*value)(const act::ActivityTotals&);
  };
  static constexpr Figure kFigures[] = {
      {"Health workers trained (trainings and events)",
       [](const act::ActivityTotals& t) { return t.participants(); }},
      {"Joint operations performed", [](const act::ActivityTotals& t) { return t.operations(); }},
      {"Patients helped (joint operations and telemedicine)",
       [](const act::ActivityTotals& t) {
         return t.patients_treated() + t.telemedicine_patients();
       }},
      {"International visits and missions",
       [](const act::ActivityTotals& t) { return t.visits(); }},
      {"Telemedical consultations", [](const act::ActivityTotals& t) { return t.consultations(); }},
  };
  Result result;
  result.title = "What the partnership did";
  result.description =
      "Counts from the programme's activity register (counts only, no personal data), per "
      "calendar year up to the date of this file.";
  for (const auto& figure : kFigures) {
    if (figure.value(stats.totals()) == 0) continue;
    Indicator indicator;
    indicator.title = figure.title;
    for (const auto& group : stats.groups()) {
      if (group.keys_size() != 1) continue;
      const std::string& year = group.keys(0).value();
      std::string end = absl::StrCat(year, "-12-31");
      if (end > DateText(today)) end = DateText(today);
      indicator.periods.push_back(
          {absl::StrCat(year, "-01-01"), end, figure.value(group.totals())});
    }
    result.indicators.push_back(std::move(indicator));
  }
  if (!result.indicators.empty()) out->results.push_back(std::move(result));
}

}  // namespace

std::string AgreementIdentifier(const std::string& reporting_org_ref,
                                const std::string& agreement_name) {
  return absl::StrCat(reporting_org_ref, "-", BareId(agreement_name));
}

Activity AgreementActivity(const reg::Agreement& a, const act::GetActivityStatsResponse& stats,
                           const AgreementContext& c) {
  Activity out;
  out.identifier = AgreementIdentifier(c.reporting_org_ref, a.name());
  out.last_updated = DateTimeText(a.update_time());
  out.title = a.title();
  std::vector<std::string> party_names;
  std::set<std::string> oblasts;
  AddParties(a, c, &out, &party_names, &oblasts);

  std::string description = absl::StrCat(KindLabel(a.kind()),
                                         " of Ukraine's International "
                                         "Medical Partnership programme between ",
                                         JoinAnd(party_names), ".");
  if (api::IsSet(a.signed_on())) {
    absl::StrAppend(&description, " Signed on ", DateText(a.signed_on()),
                    a.signing_event().empty() ? "" : absl::StrCat(" at ", a.signing_event()), ".");
  }
  if (!a.cooperation_forms().empty()) {
    std::vector<std::string> forms;
    for (int f : a.cooperation_forms()) forms.push_back(FormLabel(f));
    absl::StrAppend(&description, " Forms of cooperation: ", absl::StrJoin(forms, "; "), ".");
  }
  out.descriptions.push_back({"1", {{description, ""}}});

  out.status = ActivityStatus(a.state());
  AddDates(a, c.today, &out);
  out.recipient_countries.push_back({"UA", "100", "Ukraine"});
  for (const auto& oblast : oblasts) out.locations.push_back(OblastLocation(oblast));
  AddAreaSectors(a.cooperation_areas(), c.area_labels, &out);
  if (!a.document_uri().empty()) {
    const std::string path(absl::AsciiStrToLower(
        absl::string_view(a.document_uri()).substr(0, a.document_uri().find_first_of("?#"))));
    out.documents.push_back({a.document_uri(),
                             absl::EndsWith(path, ".pdf") ? "application/pdf" : "text/html",
                             a.title(), "A09"});  // A09: memorandum of understanding
  }
  AddResult(stats, c.today, &out);
  return out;
}

}  // namespace imp::impctl::iati
