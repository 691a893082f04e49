#include "gateway/src/aggregations.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/api/proto_util.h"

namespace imp::gateway {
namespace {

using registry::v1::Agreement;

std::string MonthOf(const google::type::Date& d) {
  return absl::StrFormat("%04d-%02d", d.year(), d.month());
}

void FillCells(const std::map<std::string, int64_t>& counts,
               google::protobuf::RepeatedPtrField<v1::CountCell>* out) {
  for (const auto& [key, count] : counts) {
    auto* cell = out->Add();
    cell->set_key(key);
    cell->set_count(count);
  }
}

AgreementRefs Refs(const std::vector<Agreement>& agreements) {
  AgreementRefs refs;
  refs.reserve(agreements.size());
  for (const auto& a : agreements) refs.push_back(&a);
  return refs;
}

const registry::v1::Institution* FindIn(const InstitutionsByName& map, const std::string& name) {
  auto it = map.find(name);
  return it == map.end() ? nullptr : &it->second;
}

}  // namespace

bool SameRegion(absl::string_view stored, absl::string_view wanted) {
  while (absl::EndsWith(stored, " ")) stored.remove_suffix(1);
  while (absl::EndsWith(wanted, " ")) wanted.remove_suffix(1);
  return absl::EqualsIgnoreCase(stored, wanted);
}

bool Matches(const Agreement& a, const AgreementNarrowing& n, InstitutionLookup institutions) {
  if (!n.cooperation_area.empty() &&
      std::find(a.cooperation_areas().begin(), a.cooperation_areas().end(), n.cooperation_area) ==
          a.cooperation_areas().end()) {
    return false;
  }
  bool country = n.country.empty(), oblast = n.oblast.empty(), party = n.institution.empty();
  for (const auto& p : a.parties()) {
    party = party || p.institution() == n.institution;
    if (country && oblast) continue;
    const registry::v1::Institution* in = institutions(p.institution());
    if (in == nullptr) continue;
    country = country || in->country() == n.country;
    oblast = oblast || SameRegion(in->region(), n.oblast);
  }
  return country && oblast && party;
}

google::type::Date Today() {
  const absl::CivilDay day = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  google::type::Date d;
  d.set_year(static_cast<int>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

bool SignedBy(const Agreement& a, const google::type::Date& day) {
  return a.state() != Agreement::STATE_PROPOSED && api::IsSet(a.signed_on()) &&
         api::CompareDates(a.signed_on(), day) <= 0;
}

bool InForceOn(const Agreement& a, const google::type::Date& day) {
  if (a.state() != Agreement::STATE_ACTIVE && a.state() != Agreement::STATE_SUSPENDED) return false;
  if (!SignedBy(a, day)) return false;
  if (api::IsSet(a.valid_from()) && api::CompareDates(a.valid_from(), day) > 0) return false;
  if (api::IsSet(a.valid_until()) && api::CompareDates(a.valid_until(), day) < 0) return false;
  return true;
}

void SummarizeAgreements(const std::vector<Agreement>& agreements,
                         const InstitutionsByName& institutions, const google::type::Date& start,
                         const google::type::Date& end, v1::GetProgramSummaryResponse* out) {
  SummarizeAgreements(
      Refs(agreements), [&](const std::string& name) { return FindIn(institutions, name); }, start,
      end, out);
}

void SummarizeAgreements(const AgreementRefs& agreements, InstitutionLookup live_institutions,
                         const google::type::Date& start, const google::type::Date& end,
                         v1::GetProgramSummaryResponse* out) {
  std::map<std::string, int64_t> signed_per_month;
  std::set<std::string> parties;  // institutions party to an agreement signed by the end
  for (const Agreement* ref : agreements) {
    const Agreement& a = *ref;
    if (InForceOn(a, end))
      out->set_agreements_in_force_at_end(out->agreements_in_force_at_end() + 1);
    if (!SignedBy(a, end)) continue;
    if (!api::IsSet(start) || api::CompareDates(a.signed_on(), start) >= 0) {
      out->set_agreements_signed_in_period(out->agreements_signed_in_period() + 1);
    }
    ++signed_per_month[MonthOf(a.signed_on())];
    for (const auto& p : a.parties()) parties.insert(p.institution());
  }
  // Every month from the first signing to the end, including months without signings.
  if (!signed_per_month.empty()) {
    int year = 0, month = 0;
    std::sscanf(signed_per_month.begin()->first.c_str(), "%d-%d", &year, &month);
    int64_t cumulative = 0;
    while (year < end.year() || (year == end.year() && month <= end.month())) {
      const std::string key = absl::StrFormat("%04d-%02d", year, month);
      auto it = signed_per_month.find(key);
      const int64_t signed_in_month = it == signed_per_month.end() ? 0 : it->second;
      cumulative += signed_in_month;
      auto* m = out->add_cumulative_partnerships();
      m->set_month(key);
      m->set_signed_in_month(signed_in_month);
      m->set_cumulative(cumulative);
      if (++month == 13) {
        month = 1;
        ++year;
      }
    }
  }
  std::map<std::string, int64_t> by_country, by_oblast;
  for (const auto& name : parties) {
    const registry::v1::Institution* in = live_institutions(name);
    if (in == nullptr) continue;  // deleted since
    ++by_country[in->country()];
    if (in->country() == "UA" && !in->region().empty()) ++by_oblast[in->region()];
  }
  FillCells(by_country, out->mutable_institutions_by_country());
  FillCells(by_oblast, out->mutable_institutions_by_oblast());
}

void SummarizeActivities(const activity::v1::ActivityTotals& t,
                         v1::GetProgramSummaryResponse* out) {
  out->set_trainees(t.participants());
  out->set_trainee_doctors(t.doctors());
  out->set_distinct_participating_institutions(t.distinct_institutions());
  out->set_operations(t.operations());
  out->set_patients_helped(t.patients_treated() + t.telemedicine_patients());
  out->set_visits(t.visits());
  out->set_consultations(t.consultations());
}

void MapPartnerships(const std::vector<Agreement>& agreements,
                     const InstitutionsByName& institutions, bool include_inactive,
                     v1::GetPartnershipMapResponse* out) {
  MapPartnerships(
      Refs(agreements), [&](const std::string& name) { return FindIn(institutions, name); },
      include_inactive, out);
}

void MapPartnerships(const AgreementRefs& agreements, InstitutionLookup live_institutions,
                     bool include_inactive, v1::GetPartnershipMapResponse* out) {
  std::map<std::string, std::pair<int64_t, std::set<std::string>>> countries, oblasts;
  for (const Agreement* ref : agreements) {
    const Agreement& a = *ref;
    const bool active =
        a.state() == Agreement::STATE_ACTIVE || a.state() == Agreement::STATE_SUSPENDED;
    if (!active && !include_inactive) continue;
    std::set<std::string> agreement_countries, agreement_oblasts;
    for (const auto& p : a.parties()) {
      const registry::v1::Institution* found = live_institutions(p.institution());
      if (found == nullptr) continue;
      const auto& in = *found;
      agreement_countries.insert(in.country());
      countries[in.country()].second.insert(p.institution());
      if (in.country() == "UA" && !in.region().empty()) {
        agreement_oblasts.insert(in.region());
        oblasts[in.region()].second.insert(p.institution());
      }
    }
    for (const auto& c : agreement_countries) ++countries[c].first;
    for (const auto& o : agreement_oblasts) ++oblasts[o].first;
  }
  auto fill = [](const auto& cells, google::protobuf::RepeatedPtrField<v1::MapCell>* dst) {
    for (const auto& [key, value] : cells) {
      auto* cell = dst->Add();
      cell->set_key(key);
      cell->set_partnerships(value.first);
      cell->set_institutions(static_cast<int64_t>(value.second.size()));
    }
  };
  fill(countries, out->mutable_countries());
  fill(oblasts, out->mutable_oblasts());
}

}  // namespace imp::gateway
