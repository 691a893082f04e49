#include "gateway/src/project_figures.h"

#include <algorithm>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api/proto_util.h"

namespace imp::gateway {
namespace {

namespace reg = registry::v1;

constexpr int64_t kNanosPerUnit = 1'000'000'000;

bool InPeriod(const google::type::Date& day, const google::type::Date& start,
              const google::type::Date& end) {
  return (!api::IsSet(start) || api::CompareDates(day, start) >= 0) &&
         api::CompareDates(day, end) <= 0;
}

// Sums the transactions of `kind` (those `keep` accepts) into `out`.
template <typename Keep>
void SumTransactions(const reg::Project& p, reg::FinancialTransaction::Kind kind, Keep keep,
                     MoneyTotals* out) {
  for (const auto& t : p.transactions()) {
    if (t.kind() == kind && keep(t)) out->Add(t.amount());
  }
}

int64_t Delivered(const reg::Deliverable& d, const google::type::Date& start,
                  const google::type::Date& end) {
  int64_t sum = 0;
  for (const auto& delivery : d.deliveries()) {
    if (InPeriod(delivery.date(), start, end)) sum += delivery.quantity();
  }
  return sum;
}

// "Title (agreements/x)".
std::string Label(const v1::FrameworkMembers& f) {
  return absl::StrCat(f.title(), " (", f.agreement(), ")");
}

// "1 partnership", "2 partnerships".
std::string Counted(int64_t n, absl::string_view noun) {
  return absl::StrCat(n, " ", noun, n == 1 ? "" : "s");
}

std::string Explain(const v1::PartnershipNetwork& n) {
  std::string text = absl::StrCat(Counted(n.partnerships(), "partnership"), ", ",
                                  Counted(n.institutions_named(), "institution"));
  if (n.institutions_declared_unnamed() == 0) return text;
  std::vector<const v1::FrameworkMembers*> declaring;
  for (const auto& f : n.frameworks()) {
    if (f.unnamed() > 0) declaring.push_back(&f);
  }
  absl::StrAppend(&text, " named (+", n.institutions_declared_unnamed(), " declared");
  if (declaring.size() == 1) {
    absl::StrAppend(&text, " by ", Label(*declaring[0]), ", not yet named");
  } else {
    absl::StrAppend(
        &text, ", not yet named: ",
        absl::StrJoin(declaring, ", ", [](std::string* out, const v1::FrameworkMembers* f) {
          absl::StrAppend(out, f->unnamed(), " by ", Label(*f));
        }));
  }
  absl::StrAppend(&text, "; ", n.institutions_including_declared(), " including them)");
  return text;
}

}  // namespace

void MoneyTotals::Add(const google::type::Money& amount) {
  // Validated amounts are never negative (api::ValidateAmount); a negative one is not summed
  // rather than wrapped around.
  if (amount.units() < 0 || amount.nanos() < 0) return;
  nanos_[amount.currency_code()] +=
      absl::uint128(static_cast<uint64_t>(amount.units())) * kNanosPerUnit +
      static_cast<uint64_t>(amount.nanos());
}

void MoneyTotals::AppendTo(google::protobuf::RepeatedPtrField<google::type::Money>* out) const {
  const absl::uint128 max_units = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  for (const auto& [currency, nanos] : nanos_) {
    auto* money = out->Add();
    money->set_currency_code(currency);
    const absl::uint128 units = nanos / kNanosPerUnit;
    if (units > max_units) {
      money->set_units(std::numeric_limits<int64_t>::max());
      money->set_nanos(static_cast<int32_t>(kNanosPerUnit - 1));
      continue;
    }
    money->set_units(static_cast<int64_t>(absl::Uint128Low64(units)));
    money->set_nanos(static_cast<int32_t>(absl::Uint128Low64(nanos % kNanosPerUnit)));
  }
}

v1::ProjectSummary SummarizeProject(const reg::Project& p) {
  v1::ProjectSummary s;
  s.set_name(p.name());
  s.set_title(p.title());
  s.set_local_title(p.local_title());
  s.set_status(p.status());
  *s.mutable_budget() = p.budget_totals();
  MoneyTotals committed, disbursed;
  auto all = [](const reg::FinancialTransaction&) { return true; };
  SumTransactions(p, reg::FinancialTransaction::KIND_COMMITMENT, all, &committed);
  SumTransactions(p, reg::FinancialTransaction::KIND_DISBURSEMENT, all, &disbursed);
  committed.AppendTo(s.mutable_committed());
  disbursed.AppendTo(s.mutable_disbursed());
  for (const auto& d : p.deliverables()) {
    auto* progress = s.add_deliverables();
    progress->set_what(d.what());
    progress->set_unit(d.unit());
    progress->set_planned_quantity(d.planned_quantity());
    progress->set_delivered_quantity(d.delivered_quantity());
  }
  return s;
}

v1::InstitutionProject ProjectOfInstitution(const reg::Project& p, const std::string& institution) {
  v1::InstitutionProject out;
  *out.mutable_project() = SummarizeProject(p);
  for (const auto& participant : p.participants()) {
    if (participant.institution() == institution) out.add_roles(participant.role());
  }
  for (const auto& location : p.locations()) {
    if (location.site() == institution) out.set_site(true);
  }
  for (const auto& t : p.transactions()) {
    if (t.provider() == institution || t.receiver() == institution) {
      out.set_transaction_party(true);
    }
  }
  return out;
}

bool TakesPart(const reg::Project& p, const std::string& institution) {
  for (const auto& participant : p.participants()) {
    if (participant.institution() == institution) return true;
  }
  for (const auto& location : p.locations()) {
    if (location.site() == institution) return true;
  }
  for (const auto& t : p.transactions()) {
    if (t.provider() == institution || t.receiver() == institution) return true;
  }
  return false;
}

bool Matches(const reg::Project& p, const AgreementNarrowing& n) {
  if (!n.cooperation_area.empty() &&
      std::find(p.cooperation_areas().begin(), p.cooperation_areas().end(), n.cooperation_area) ==
          p.cooperation_areas().end()) {
    return false;
  }
  if (!n.institution.empty() && !TakesPart(p, n.institution)) return false;
  bool country = n.country.empty(), oblast = n.oblast.empty();
  for (const auto& location : p.locations()) {
    country = country || location.country() == n.country;
    oblast = oblast || SameRegion(location.region(), n.oblast);
  }
  return country && oblast;
}

void SummarizeProjects(const ProjectRefs& projects, const google::type::Date& start,
                       const google::type::Date& end, v1::ProjectFigures* out) {
  std::map<reg::Project::Status, int64_t> by_status;
  MoneyTotals budget, committed, disbursed;
  struct UnitTotal {
    int64_t deliverables = 0, planned = 0, delivered = 0;
  };
  std::map<std::string, UnitTotal> by_unit;
  auto dated_in_period = [&](const reg::FinancialTransaction& t) {
    return InPeriod(t.date(), start, end);
  };
  const google::type::Date beginning;  // unset: every delivery up to the end
  for (const reg::Project* p : projects) {
    ++by_status[p->status()];
    for (const auto& line : p->budget()) budget.Add(line.amount());
    SumTransactions(*p, reg::FinancialTransaction::KIND_COMMITMENT, dated_in_period, &committed);
    SumTransactions(*p, reg::FinancialTransaction::KIND_DISBURSEMENT, dated_in_period, &disbursed);
    for (const auto& d : p->deliverables()) {
      UnitTotal& unit = by_unit[d.unit()];
      ++unit.deliverables;
      unit.planned += d.planned_quantity();
      unit.delivered += Delivered(d, start, end);
      if (d.planned_quantity() > 0 && Delivered(d, beginning, end) >= d.planned_quantity()) {
        out->set_deliverables_completed(out->deliverables_completed() + 1);
      }
      out->set_deliverables(out->deliverables() + 1);
    }
  }
  out->set_projects(static_cast<int64_t>(projects.size()));
  for (const auto& [status, count] : by_status) {
    auto* cell = out->add_projects_by_status();
    cell->set_key(reg::Project::Status_Name(status));
    cell->set_count(count);
  }
  budget.AppendTo(out->mutable_budget());
  committed.AppendTo(out->mutable_committed());
  disbursed.AppendTo(out->mutable_disbursed());
  for (const auto& [unit, total] : by_unit) {
    auto* cell = out->add_deliverables_by_unit();
    cell->set_unit(unit);
    cell->set_deliverables(total.deliverables);
    cell->set_planned_quantity(total.planned);
    cell->set_delivered_quantity(total.delivered);
  }
}

void DescribeNetwork(const AgreementRefs& agreements, InstitutionLookup live_institutions,
                     const google::type::Date& end, v1::PartnershipNetwork* out) {
  std::set<std::string> named;
  std::map<std::string, v1::FrameworkMembers> frameworks;  // by agreement name
  auto name = [&](const std::string& institution) {
    if (live_institutions(institution) != nullptr) named.insert(institution);
  };
  for (const reg::Agreement* a : agreements) {
    if (!SignedBy(*a, end)) continue;
    out->set_partnerships(out->partnerships() + 1);
    for (const auto& p : a->parties()) name(p.institution());
    for (const auto& member : a->member_institutions()) name(member);
    if (a->declared_member_count() <= 0) continue;
    v1::FrameworkMembers& f = frameworks[a->name()];
    f.set_agreement(a->name());
    f.set_title(a->title());
    f.set_declared(a->declared_member_count());
    f.set_named(a->member_institutions_size());
    // The registry keeps named <= declared; should a stored record ever break that, nothing is
    // taken away from the named.
    f.set_unnamed(std::max<int64_t>(0, f.declared() - f.named()));
    if (f.unnamed() > 0) {
      out->set_frameworks_with_unnamed_members(out->frameworks_with_unnamed_members() + 1);
      out->set_institutions_declared_unnamed(out->institutions_declared_unnamed() + f.unnamed());
    }
  }
  out->set_institutions_named(static_cast<int64_t>(named.size()));
  out->set_institutions_including_declared(out->institutions_named() +
                                           out->institutions_declared_unnamed());
  for (auto& [agreement, f] : frameworks) *out->add_frameworks() = std::move(f);
  out->set_explanation(Explain(*out));
}

}  // namespace imp::gateway
