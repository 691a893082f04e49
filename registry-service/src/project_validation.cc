#include "registry-service/src/project_validation.h"

#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/api/bounds.h"
#include "common/api/iso3166.h"
#include "common/api/money.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"
#include "common/api/text.h"
#include "registry-service/src/validation.h"

namespace imp::registry {
namespace {

using v1::Project;

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

// A set date must be a real one; `not_after` (when given) bounds it.
absl::Status CheckDate(const google::type::Date& date, const std::string& field,
                       const google::type::Date* not_after) {
  if (!api::IsSet(date)) return absl::OkStatus();
  absl::Status valid = api::ValidateDate(date, field);
  if (!valid.ok()) return valid;
  if (not_after != nullptr && api::CompareDates(date, *not_after) > 0) {
    return Invalid(field, absl::StrCat(api::DateToString(date), " is in the future (today is ",
                                       api::DateToString(*not_after), ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckPeriod(const google::type::Date& start, const google::type::Date& end,
                         const std::string& end_field, const std::string& start_name) {
  if (api::IsSet(start) && api::IsSet(end) && api::CompareDates(start, end) > 0) {
    return Invalid(end_field, absl::StrCat("must not be before ", start_name));
  }
  return absl::OkStatus();
}

absl::Status CheckName(const std::string& name, absl::string_view collection,
                       const std::string& field) {
  return api::ParseResourceName(name, collection, field).status();
}

absl::Status CheckParticipantsAndAgreements(const Project& p) {
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < p.agreements_size(); ++i) {
    const std::string field = absl::StrCat("project.agreements[", i, "]");
    if (absl::Status s = CheckName(p.agreements(i), "agreements", field); !s.ok()) return s;
    if (!seen.insert(p.agreements(i)).second) return Invalid(field, "is listed twice");
  }
  seen.clear();
  for (int i = 0; i < p.participants_size(); ++i) {
    const auto& participant = p.participants(i);
    const std::string field = absl::StrCat("project.participants[", i, "]");
    absl::Status s = CheckName(participant.institution(), "institutions", field + ".institution");
    if (!s.ok()) return s;
    if (participant.role() == v1::ProjectParticipant::ROLE_UNSPECIFIED) {
      return Invalid(field + ".role",
                     "is required (FUNDING, ACCOUNTABLE, EXTENDING, IMPLEMENTING)");
    }
    const std::string key = absl::StrCat(participant.institution(), "#", participant.role());
    if (!seen.insert(key).second) {
      return Invalid(field, absl::StrCat(participant.institution(), " already has this role"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckLocations(const Project& p) {
  for (int i = 0; i < p.locations_size(); ++i) {
    const auto& l = p.locations(i);
    const std::string field = absl::StrCat("project.locations[", i, "]");
    if (!api::IsIsoCountryCode(l.country())) {
      return Invalid(field + ".country", absl::StrCat(api::QuoteForMessage(l.country()),
                                                      " is not an ISO 3166-1 alpha-2 code"));
    }
    if (!l.region().empty() && l.country() != "UA") {
      return Invalid(field + ".region", "is only recorded for Ukraine (an ISO 3166-2:UA code)");
    }
    if (!l.region().empty() && !api::IsUkrainianRegionCode(l.region())) {
      return Invalid(field + ".region", absl::StrCat(api::QuoteForMessage(l.region()),
                                                     " is not an ISO 3166-2:UA code (e.g. UA-32)"));
    }
    if (!l.site().empty()) {
      if (absl::Status s = CheckName(l.site(), "institutions", field + ".site"); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::Status CheckMoney(const Project& p, const google::type::Date& today) {
  for (int i = 0; i < p.budget_size(); ++i) {
    const auto& line = p.budget(i);
    const std::string field = absl::StrCat("project.budget[", i, "]");
    if (!line.has_amount()) return Invalid(field + ".amount", "is required");
    if (absl::Status s = api::ValidateAmount(line.amount(), field + ".amount"); !s.ok()) return s;
    if (line.status() == v1::BudgetLine::STATUS_UNSPECIFIED) {
      return Invalid(field + ".status", "is required (INDICATIVE or COMMITTED)");
    }
    for (auto [date, name] : {std::pair{&line.period_start(), "period_start"},
                              std::pair{&line.period_end(), "period_end"}}) {
      absl::Status s = CheckDate(*date, absl::StrCat(field, ".", name), nullptr);
      if (!s.ok()) return s;
    }
    absl::Status order =
        CheckPeriod(line.period_start(), line.period_end(), field + ".period_end", "period_start");
    if (!order.ok()) return order;
  }
  for (int i = 0; i < p.transactions_size(); ++i) {
    const auto& t = p.transactions(i);
    const std::string field = absl::StrCat("project.transactions[", i, "]");
    if (t.kind() == v1::FinancialTransaction::KIND_UNSPECIFIED) {
      return Invalid(field + ".kind", "is required (COMMITMENT, DISBURSEMENT, EXPENDITURE)");
    }
    if (!api::IsSet(t.date())) return Invalid(field + ".date", "is required");
    if (absl::Status s = CheckDate(t.date(), field + ".date", &today); !s.ok()) return s;
    if (!t.has_amount()) return Invalid(field + ".amount", "is required");
    if (absl::Status s = api::ValidateAmount(t.amount(), field + ".amount"); !s.ok()) return s;
    if (absl::Status s = CheckName(t.provider(), "institutions", field + ".provider"); !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckName(t.receiver(), "institutions", field + ".receiver"); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDeliverables(const Project& p, const google::type::Date& today) {
  for (int i = 0; i < p.deliverables_size(); ++i) {
    const auto& d = p.deliverables(i);
    const std::string field = absl::StrCat("project.deliverables[", i, "]");
    if (absl::StripAsciiWhitespace(d.what()).empty())
      return Invalid(field + ".what", "is required");
    if (absl::StripAsciiWhitespace(d.unit()).empty())
      return Invalid(field + ".unit", "is required");
    if (d.planned_quantity() < 0 || d.planned_quantity() > limits::kMaxQuantity) {
      return Invalid(field + ".planned_quantity",
                     absl::StrCat("must be between 0 and ", limits::kMaxQuantity));
    }
    int64_t delivered = 0;
    for (int j = 0; j < d.deliveries_size(); ++j) {
      const auto& delivery = d.deliveries(j);
      const std::string df = absl::StrCat(field, ".deliveries[", j, "]");
      if (!api::IsSet(delivery.date())) return Invalid(df + ".date", "is required");
      if (absl::Status s = CheckDate(delivery.date(), df + ".date", &today); !s.ok()) return s;
      if (delivery.quantity() < 1 || delivery.quantity() > limits::kMaxQuantity) {
        return Invalid(df + ".quantity",
                       absl::StrCat("must be between 1 and ", limits::kMaxQuantity));
      }
      delivered += delivery.quantity();
    }
    if (delivered > d.planned_quantity() && !d.over_delivery()) {
      return Invalid(field + ".deliveries",
                     absl::StrCat("add up to ", delivered, " but ", d.planned_quantity(),
                                  " are planned; set over_delivery to record more than planned"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

google::type::Date TodayUtc() {
  const absl::CivilDay day = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  google::type::Date date;
  date.set_year(static_cast<int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

absl::Status ValidateProject(const Project& p, const absl::flat_hash_set<std::string>& known_areas,
                             const google::type::Date& today) {
  if (absl::Status b = api::CheckBounds(p, "project", RegistryLimits()); !b.ok()) return b;
  if (p.ByteSizeLong() > kMaxProjectBytes) {
    return Invalid("project", absl::StrCat("at most ", kMaxProjectBytes, " bytes serialized (got ",
                                           p.ByteSizeLong(), ")"));
  }
  if (absl::StripAsciiWhitespace(p.title()).empty()) return Invalid("project.title", "is required");
  if (p.status() == Project::STATUS_UNSPECIFIED) {
    return Invalid("project.status",
                   "is required (IDENTIFICATION, IMPLEMENTATION, FINALISATION, CLOSED, CANCELLED "
                   "or SUSPENDED)");
  }
  for (auto [date, name, limit] : {std::tuple{&p.planned_start(), "planned_start", false},
                                   std::tuple{&p.planned_end(), "planned_end", false},
                                   std::tuple{&p.actual_start(), "actual_start", true},
                                   std::tuple{&p.actual_end(), "actual_end", true}}) {
    absl::Status s = CheckDate(*date, absl::StrCat("project.", name), limit ? &today : nullptr);
    if (!s.ok()) return s;
  }
  if (absl::Status s =
          CheckPeriod(p.planned_start(), p.planned_end(), "project.planned_end", "planned_start");
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckPeriod(p.actual_start(), p.actual_end(), "project.actual_end", "actual_start");
      !s.ok()) {
    return s;
  }
  absl::flat_hash_set<std::string> areas;
  for (int i = 0; i < p.cooperation_areas_size(); ++i) {
    const std::string field = absl::StrCat("project.cooperation_areas[", i, "]");
    if (!known_areas.contains(p.cooperation_areas(i))) {
      return Invalid(field, absl::StrCat(api::QuoteForMessage(p.cooperation_areas(i)),
                                         " is not in the cooperation-area codelist "
                                         "(ListCooperationAreas)"));
    }
    if (!areas.insert(p.cooperation_areas(i)).second) return Invalid(field, "is listed twice");
  }
  for (auto check : {CheckParticipantsAndAgreements, CheckLocations}) {
    if (absl::Status s = check(p); !s.ok()) return s;
  }
  if (absl::Status s = CheckMoney(p, today); !s.ok()) return s;
  return CheckDeliverables(p, today);
}

}  // namespace imp::registry
