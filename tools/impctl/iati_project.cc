// Project -> IATI activity. Structured fields and the two descriptions only: the free-text notes
// are working notes (sources, what was left empty) and are not published.
#include "tools/impctl/iati_project.h"

#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api/iso3166.h"
#include "common/api/proto_util.h"
#include "tools/impctl/iati_agreement.h"
#include "tools/impctl/iati_codes.h"
#include "tools/impctl/iati_common.h"
#include "tools/impctl/mapping.h"
#include "tools/impctl/mapping_project.h"

namespace imp::impctl::iati {
namespace {

namespace reg = registry::v1;
using google::type::Date;

std::string DateText(const Date& d) { return api::IsSet(d) ? api::DateToString(d) : ""; }

class Mapper {
 public:
  Mapper(const reg::Project& p, const ProjectContext& c) : p_(p), c_(c) {}

  Activity Map() {
    out_.identifier = ProjectIdentifier(c_.reporting_org_ref, p_.name());
    out_.last_updated = DateTimeText(p_.update_time());
    out_.default_currency = SingleCurrency();
    out_.title = p_.title();
    if (!p_.local_title().empty()) out_.title_translations.push_back({p_.local_title(), "uk"});
    AddDescriptions();
    AddParticipants();
    out_.status = ProjectActivityStatus(p_.status());
    AddDates();
    // The programme's recipient is Ukraine, wherever a part of the work happens (locations).
    out_.recipient_countries.push_back({"UA", "100", "Ukraine"});
    AddLocations();
    AddAreaSectors(p_.cooperation_areas(), c_.area_labels, &out_);
    AddBudgets();
    AddTransactions();
    for (const auto& agreement : p_.agreements()) {
      out_.related_activities.push_back(
          {AgreementIdentifier(c_.reporting_org_ref, agreement), "1"});  // 1: parent
    }
    AddResult();
    return std::move(out_);
  }

 private:
  const reg::Institution* Find(const std::string& name) const {
    if (c_.institutions == nullptr) return nullptr;
    auto it = c_.institutions->find(name);
    return it == c_.institutions->end() ? nullptr : &it->second;
  }

  // An institution as an IATI organisation: its name (and its Ukrainian name for a Ukrainian
  // institution), the type from its kind; no ref (the registry holds no IATI identifiers).
  Organisation Org(const std::string& name) const {
    Organisation org;
    const reg::Institution* in = Find(name);
    org.names.push_back({in != nullptr ? in->display_name() : BareId(name), ""});
    if (in != nullptr) {
      org.type = OrganisationType(in->kind(), in->country());
      if (in->country() == "UA" && !in->local_name().empty()) {
        org.names.push_back({in->local_name(), "uk"});
      }
    }
    return org;
  }

  // The currency of every amount when they share one (default-currency); else empty, and each
  // value carries its own currency anyway.
  std::string SingleCurrency() const {
    std::set<std::string> currencies;
    for (const auto& b : p_.budget()) currencies.insert(b.amount().currency_code());
    for (const auto& t : p_.transactions()) currencies.insert(t.amount().currency_code());
    return currencies.size() == 1 ? *currencies.begin() : "";
  }

  void AddDescriptions() {
    Description general;
    if (!p_.description().empty()) general.narratives.push_back({p_.description(), ""});
    if (!p_.local_description().empty())
      general.narratives.push_back({p_.local_description(), "uk"});
    if (general.narratives.empty()) {
      general.narratives.push_back(
          {"Project of Ukraine's International Medical Partnership programme.", ""});
    }
    out_.descriptions.push_back(std::move(general));
  }

  void AddParticipants() {
    for (const auto& participant : p_.participants()) {
      out_.participating_orgs.push_back(
          {Org(participant.institution()), ParticipantRole(participant.role())});
    }
    // The schema wants at least one participating-org. A project whose source names no
    // institution (e.g. "Ukraine and France are implementing...") gets the publisher as
    // Accountable (2): it registered the project and answers for the record; nobody is invented.
    if (out_.participating_orgs.empty()) out_.participating_orgs.push_back({c_.reporting_org, "2"});
  }

  void AddDates() {
    const std::pair<const char*, const Date*> dates[] = {{"1", &p_.planned_start()},
                                                         {"2", &p_.actual_start()},
                                                         {"3", &p_.planned_end()},
                                                         {"4", &p_.actual_end()}};
    for (const auto& [type, date] : dates) {
      if (api::IsSet(*date)) out_.dates.push_back({type, DateText(*date), ""});
    }
    if (out_.dates.empty()) {
      // IATI needs a date; as for agreements, the day the project was registered, labelled.
      out_.dates.push_back({"1", DateText(DateOf(p_.create_time())),
                            "No date recorded yet: the day the project was registered"});
    }
  }

  // One location per place below the country: a site (the institution, a structure; and its
  // oblast when recorded), else an oblast (as for agreements), else a country other than Ukraine.
  // Ukraine alone is already the recipient country. Each place once.
  void AddLocations() {
    std::set<std::string> seen;
    for (const auto& l : p_.locations()) {
      Location out;
      if (!l.site().empty()) {
        out.ref = BareId(l.site());
        out.reach = "1";
        out.name = Org(l.site()).names.front().text;
        out.admin_vocabulary = "A4";  // ISO 3166-1 country, level 0
        out.admin_level = "0";
        out.admin_code = l.country();
        out.exactness = "2";              // approximate: no coordinates are recorded
        out.location_class = "3";         // a structure
        out.feature_designation = "HSP";  // GeoNames: hospital
      } else if (!l.region().empty()) {
        out = OblastLocation(l.region());
      } else if (l.country() != "UA" && !l.country().empty()) {
        out.ref = l.country();
        out.reach = "1";
        out.admin_vocabulary = "A4";
        out.admin_level = "0";
        out.admin_code = l.country();
        out.exactness = "2";
        out.location_class = "1";          // administrative region
        out.feature_designation = "PCLI";  // GeoNames: independent political entity
      } else {
        continue;
      }
      if (seen.insert(out.ref).second) out_.locations.push_back(std::move(out));
      // A site's oblast too: IATI tools sum by first-level region, and the site's own location
      // carries only the country.
      if (!l.site().empty() && !l.region().empty() && seen.insert(l.region()).second) {
        out_.locations.push_back(OblastLocation(l.region()));
      }
    }
  }

  // IATI wants a period on every budget. A line with its own period keeps it; a line without
  // one is the project's budget as a whole and takes the project's planned period when both
  // planned dates are recorded. Otherwise no date is made up: the line is not published as a
  // budget and a description (type 4, other) states the amount instead.
  void AddBudgets() {
    std::vector<std::string> unpublished;
    const bool planned = api::IsSet(p_.planned_start()) && api::IsSet(p_.planned_end());
    for (const auto& line : p_.budget()) {
      Budget b;
      b.type = "1";  // original
      b.status = BudgetStatus(line.status());
      if (api::IsSet(line.period_start()) && api::IsSet(line.period_end())) {
        b.period_start = DateText(line.period_start());
        b.period_end = DateText(line.period_end());
      } else if (!api::IsSet(line.period_start()) && !api::IsSet(line.period_end()) && planned) {
        b.period_start = DateText(p_.planned_start());
        b.period_end = DateText(p_.planned_end());
      } else {
        unpublished.push_back(absl::StrCat(
            line.status() == reg::BudgetLine::STATUS_COMMITTED ? "committed " : "indicative ",
            AmountText(line.amount()), " ", line.amount().currency_code(),
            api::IsSet(line.period_start()) ? absl::StrCat(" from ", DateText(line.period_start()))
                                            : "",
            api::IsSet(line.period_end()) ? absl::StrCat(" until ", DateText(line.period_end()))
                                          : ""));
        continue;
      }
      // value-date: the exchange-rate day; the registry does not record when the amount was
      // set, so the first day of the period it is for.
      b.value = {AmountText(line.amount()), line.amount().currency_code(), b.period_start};
      out_.budgets.push_back(std::move(b));
    }
    if (!unpublished.empty()) {
      out_.descriptions.push_back(
          {"4",
           {{absl::StrCat("Budget without a period (IATI budgets need one): ",
                          absl::StrJoin(unpublished, "; "), "."),
             ""}}});
    }
  }

  void AddTransactions() {
    for (const auto& t : p_.transactions()) {
      Transaction out;
      out.type = TransactionType(t.kind());
      out.date = DateText(t.date());
      out.value = {AmountText(t.amount()), t.amount().currency_code(), out.date};
      out.description = t.description();
      out.provider = Org(t.provider());
      out.receiver = Org(t.receiver());
      out_.transactions.push_back(std::move(out));
    }
  }

  // The period a deliverable's target and deliveries belong to: the project's (actual, else
  // planned) start and end, widened to the deliveries' days; none when a bound is unknown.
  bool DeliveryPeriod(const reg::Deliverable& d, std::string* start, std::string* end) const {
    *start = DateText(api::IsSet(p_.actual_start()) ? p_.actual_start() : p_.planned_start());
    *end = DateText(api::IsSet(p_.actual_end()) ? p_.actual_end() : p_.planned_end());
    for (const auto& delivery : d.deliveries()) {
      const std::string day = DateText(delivery.date());
      if (start->empty() || day < *start) *start = day;
      if (end->empty() || day > *end) *end = day;
    }
    return !start->empty() && !end->empty() && *start <= *end;
  }

  // Deliverables as one output result: an indicator (unit) per deliverable, the planned
  // quantity as the target and what was delivered as the actual value of one period.
  void AddResult() {
    if (p_.deliverables().empty()) return;
    Result result;
    result.title = "Deliverables";
    result.description = "What the project supplies or builds: planned and delivered quantities.";
    for (const auto& d : p_.deliverables()) {
      // The sum of the deliveries (what delivered_quantity reports; summed here so that the
      // mapping does not depend on an output-only field being filled in).
      int64_t delivered = 0;
      for (const auto& delivery : d.deliveries()) delivered += delivery.quantity();
      Indicator indicator;
      indicator.title = d.what();
      indicator.description = absl::StrCat("Unit: ", d.unit(), ". Planned: ", d.planned_quantity(),
                                           "; delivered: ", delivered, ".");
      IndicatorPeriod period;
      if (DeliveryPeriod(d, &period.start, &period.end)) {
        period.has_target = true;
        period.target = d.planned_quantity();
        period.actual = delivered;
        indicator.periods.push_back(std::move(period));
      }
      result.indicators.push_back(std::move(indicator));
    }
    out_.results.push_back(std::move(result));
  }

  const reg::Project& p_;
  const ProjectContext& c_;
  Activity out_;
};

}  // namespace

std::string ProjectIdentifier(const std::string& reporting_org_ref,
                              const std::string& project_name) {
  return absl::StrCat(reporting_org_ref, "-P-", BareId(project_name));
}

Activity ProjectActivity(const reg::Project& project, const ProjectContext& context) {
  return Mapper(project, context).Map();
}

}  // namespace imp::impctl::iati
