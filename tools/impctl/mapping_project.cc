#include "tools/impctl/mapping_project.h"

#include <google/protobuf/util/json_util.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/api/proto_util.h"
#include "common/api/text.h"
#include "tools/impctl/mapping.h"
#include "tools/impctl/mapping_cells.h"

namespace imp::impctl {
namespace {

namespace reg = registry::v1;
using cells::Bad;
using cells::DateFromCell;
using cells::DateToCell;
using cells::EnumFromCell;
using cells::EnumToCell;
using cells::Name;
using cells::SplitList;

// The items of a list cell; an empty item ("a||b", a trailing '|') is an error rather than an
// item the service would then report under an index the file does not show.
absl::StatusOr<std::vector<std::string>> Items(const std::string& cell, absl::string_view column) {
  std::vector<std::string> items = SplitList(cell);
  for (const auto& item : items) {
    if (item.empty()) return Bad(column, "has an empty item (two '|' in a row, or one at an end)");
  }
  return items;
}

// A date cell into the field `mutable_date()` returns, only when the cell holds one: a blank
// cell leaves the field absent rather than an empty Date (the export then reads the same).
template <typename MutableDate>
absl::Status SetDate(const std::string& cell, absl::string_view column, MutableDate mutable_date) {
  google::type::Date date;
  absl::Status s = DateFromCell(cell, column, &date);
  if (s.ok() && api::IsSet(date)) *mutable_date() = date;
  return s;
}

// "-12.5" -> units -12, nanos -500000000. Digits only (no exponent, no thousands separator),
// at most nine after the point, the whole units within an int64.
absl::StatusOr<google::type::Money> AmountFromText(const std::string& number,
                                                   const std::string& currency,
                                                   absl::string_view column,
                                                   const std::string& item) {
  auto bad = [&] {
    return Bad(column, absl::StrCat(api::QuoteForMessage(item),
                                    " is not an amount like 1250000.50 EUR (digits, at most nine "
                                    "after the point, then the currency)"));
  };
  absl::string_view digits = number;
  const bool negative = !digits.empty() && digits.front() == '-';
  if (negative) digits.remove_prefix(1);
  const size_t point = digits.find('.');
  const absl::string_view whole = digits.substr(0, point);
  const absl::string_view fraction =
      point == absl::string_view::npos ? absl::string_view() : digits.substr(point + 1);
  if (whole.empty() || (point != absl::string_view::npos && fraction.empty()) ||
      fraction.size() > 9 || currency.empty()) {
    return bad();
  }
  for (absl::string_view part : {whole, fraction}) {
    for (char c : part) {
      if (!absl::ascii_isdigit(c)) return bad();
    }
  }
  int64_t units = 0;
  if (!absl::SimpleAtoi(whole, &units)) return bad();
  int32_t nanos = 0;
  if (!fraction.empty()) {
    const std::string padded = absl::StrCat(fraction, std::string(9 - fraction.size(), '0'));
    if (!absl::SimpleAtoi(padded, &nanos)) return bad();
  }
  google::type::Money money;
  money.set_currency_code(currency);
  money.set_units(negative ? -units : units);
  money.set_nanos(negative ? -nanos : nanos);
  return money;
}

// "1250000.5 EUR" (the item is quoted in errors).
absl::StatusOr<google::type::Money> MoneyFromText(const std::string& text, absl::string_view column,
                                                  const std::string& item) {
  std::vector<std::string> parts = absl::StrSplit(text, ' ', absl::SkipEmpty());
  if (parts.size() != 2) {
    return Bad(column, absl::StrCat(api::QuoteForMessage(item),
                                    " has no amount like 1250000.50 EUR (the amount, a space, "
                                    "the currency)"));
  }
  return AmountFromText(parts[0], parts[1], column, item);
}

std::string MoneyToText(const google::type::Money& money) {
  return absl::StrCat(AmountText(money), " ", money.currency_code());
}

// Whether `cell` is exactly one JSON array: a '[' first and its matching ']' last (strings and
// escapes skipped), so that the wrapping in ListFromJsonCell cannot set another field.
bool IsOneJsonArray(absl::string_view cell) {
  cell = absl::StripAsciiWhitespace(cell);
  if (cell.size() < 2 || cell.front() != '[') return false;
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < cell.size(); ++i) {
    const char c = cell[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (--depth < 0) return false;
      if (depth == 0) return i + 1 == cell.size();
    }
  }
  return false;
}

// A JSON list cell parsed as the project's `field` (e.g. "transactions") into `out`.
absl::Status ListFromJsonCell(const std::string& cell, const std::string& field,
                              reg::Project* out) {
  if (absl::StripAsciiWhitespace(cell).empty()) return absl::OkStatus();
  if (!IsOneJsonArray(cell)) {
    return Bad(field, "must be a JSON list ([{...}, ...]) as 'impctl get project --json' shows");
  }
  reg::Project parsed;
  const auto status = google::protobuf::util::JsonStringToMessage(
      absl::StrCat("{\"", field, "\":", cell, "}"), &parsed);
  if (!status.ok()) {
    return Bad(field, absl::StrCat("not a JSON list of ", field, ": ",
                                   api::Utf8Escaped(status.message().as_string(), 200)));
  }
  // What is read must be writable again (the export prints the same JSON): a string the JSON
  // escapes made into something that is not UTF-8 (a lone surrogate) cannot be.
  google::protobuf::util::JsonPrintOptions options;
  std::string printed;
  if (!google::protobuf::util::MessageToJsonString(parsed, &printed, options).ok()) {
    return Bad(field, "holds text that is not UTF-8");
  }
  out->MergeFrom(parsed);
  return absl::OkStatus();
}

template <typename Item>
std::string JsonListCell(const google::protobuf::RepeatedPtrField<Item>& items) {
  if (items.empty()) return "";
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;  // as impctl get --json prints them
  std::vector<std::string> parts;
  for (const Item& item : items) {
    std::string json;
    // Printing a message this binary built cannot fail.
    (void)google::protobuf::util::MessageToJsonString(item, &json, options);
    parts.push_back(std::move(json));
  }
  return absl::StrCat("[", absl::StrJoin(parts, ","), "]");
}

// "UA:UA-32:borodianka-crh", "UA", "FR::lyon-hcl": country, then region, then site id.
absl::Status LocationsFromCell(const std::string& cell, reg::Project* p) {
  auto items = Items(cell, "locations");
  if (!items.ok()) return items.status();
  for (const auto& item : *items) {
    std::vector<std::string> parts = absl::StrSplit(item, ':');
    if (parts.size() > 3) {
      return Bad("locations",
                 absl::StrCat(api::QuoteForMessage(item), " is not COUNTRY[:REGION[:SITE_ID]]"));
    }
    parts.resize(3);
    if (parts[0].empty()) {
      return Bad("locations", absl::StrCat(api::QuoteForMessage(item), " has no country"));
    }
    auto* l = p->add_locations();
    l->set_country(parts[0]);
    l->set_region(parts[1]);
    l->set_site(Name("institutions", parts[2]));
  }
  return absl::OkStatus();
}

std::string LocationsToCell(const reg::Project& p) {
  std::vector<std::string> items;
  for (const auto& l : p.locations()) {
    std::string item = l.country();
    if (!l.region().empty() || !l.site().empty()) absl::StrAppend(&item, ":", l.region());
    if (!l.site().empty()) absl::StrAppend(&item, ":", BareId(l.site()));
    items.push_back(std::move(item));
  }
  return absl::StrJoin(items, "|");
}

// "COMMITTED:1000.5 EUR:2025-01-01:2025-12-31", "INDICATIVE:35000000 EUR" (no period),
// "INDICATIVE:5 UAH::2026-12-31" (an end only).
absl::Status BudgetFromCell(const std::string& cell, reg::Project* p) {
  auto items = Items(cell, "budget");
  if (!items.ok()) return items.status();
  for (const auto& item : *items) {
    std::vector<std::string> parts = absl::StrSplit(item, ':');
    if (parts.size() < 2 || parts.size() > 4) {
      return Bad("budget", absl::StrCat(api::QuoteForMessage(item),
                                        " is not STATUS:AMOUNT CURRENCY[:START[:END]]"));
    }
    parts.resize(4);
    auto* line = p->add_budget();
    auto status = EnumFromCell(reg::BudgetLine::Status_descriptor(), "STATUS_", parts[0], "budget");
    if (!status.ok()) return status.status();
    line->set_status(static_cast<reg::BudgetLine::Status>(*status));
    auto money = MoneyFromText(parts[1], "budget", item);
    if (!money.ok()) return money.status();
    *line->mutable_amount() = *money;
    absl::Status s = SetDate(parts[2], "budget", [&] { return line->mutable_period_start(); });
    if (s.ok()) s = SetDate(parts[3], "budget", [&] { return line->mutable_period_end(); });
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

std::string BudgetToCell(const reg::Project& p) {
  std::vector<std::string> items;
  for (const auto& line : p.budget()) {
    std::string item =
        absl::StrCat(EnumToCell(reg::BudgetLine::Status_descriptor(), "STATUS_", line.status()),
                     ":", MoneyToText(line.amount()));
    const std::string start = DateToCell(line.period_start()), end = DateToCell(line.period_end());
    if (!start.empty() || !end.empty()) absl::StrAppend(&item, ":", start);
    if (!end.empty()) absl::StrAppend(&item, ":", end);
    items.push_back(std::move(item));
  }
  return absl::StrJoin(items, "|");
}

}  // namespace

const std::vector<std::string> kProjectColumns = {"id",
                                                  "title",
                                                  "local_title",
                                                  "description",
                                                  "local_description",
                                                  "status",
                                                  "agreements",
                                                  "participants",
                                                  "planned_start",
                                                  "planned_end",
                                                  "actual_start",
                                                  "actual_end",
                                                  "cooperation_areas",
                                                  "locations",
                                                  "budget",
                                                  "transactions",
                                                  "deliverables",
                                                  "notes"};

std::string AmountText(const google::type::Money& money) {
  const bool negative = money.units() < 0 || money.nanos() < 0;
  // |INT64_MIN| does not fit an int64: print its digits from the unsigned value.
  const uint64_t units =
      negative ? 0 - static_cast<uint64_t>(money.units()) : static_cast<uint64_t>(money.units());
  std::string text = absl::StrCat(negative ? "-" : "", units);
  if (money.nanos() != 0) {
    std::string fraction = absl::StrFormat("%09d", std::abs(money.nanos()));
    while (fraction.back() == '0') fraction.pop_back();
    absl::StrAppend(&text, ".", fraction);
  }
  return text;
}

absl::StatusOr<ProjectRow> ProjectFromCsv(const std::vector<std::string>& f) {
  absl::Status s = cells::CheckWidth(f, kProjectColumns);
  if (!s.ok()) return s;
  ProjectRow row;
  row.id = f[0];
  auto& p = row.project;
  p.set_title(f[1]);
  p.set_local_title(f[2]);
  p.set_description(f[3]);
  p.set_local_description(f[4]);
  auto status = EnumFromCell(reg::Project::Status_descriptor(), "STATUS_", f[5], "status");
  if (!status.ok()) return status.status();
  p.set_status(static_cast<reg::Project::Status>(*status));
  auto agreements = Items(f[6], "agreements");
  if (!agreements.ok()) return agreements.status();
  for (const auto& id : *agreements) p.add_agreements(Name("agreements", id));
  auto participants = Items(f[7], "participants");
  if (!participants.ok()) return participants.status();
  for (const auto& item : *participants) {
    std::vector<std::string> bits = absl::StrSplit(item, ':');
    if (bits.size() != 2 || bits[0].empty()) {
      return Bad("participants",
                 absl::StrCat(api::QuoteForMessage(item), " is not institution_id:ROLE"));
    }
    auto role =
        EnumFromCell(reg::ProjectParticipant::Role_descriptor(), "ROLE_", bits[1], "participants");
    if (!role.ok()) return role.status();
    auto* participant = p.add_participants();
    participant->set_institution(Name("institutions", bits[0]));
    participant->set_role(static_cast<reg::ProjectParticipant::Role>(*role));
  }
  s = SetDate(f[8], "planned_start", [&] { return p.mutable_planned_start(); });
  if (s.ok()) s = SetDate(f[9], "planned_end", [&] { return p.mutable_planned_end(); });
  if (s.ok()) s = SetDate(f[10], "actual_start", [&] { return p.mutable_actual_start(); });
  if (s.ok()) s = SetDate(f[11], "actual_end", [&] { return p.mutable_actual_end(); });
  if (!s.ok()) return s;
  auto areas = Items(f[12], "cooperation_areas");
  if (!areas.ok()) return areas.status();
  for (const auto& area : *areas) p.add_cooperation_areas(area);
  s = LocationsFromCell(f[13], &p);
  if (s.ok()) s = BudgetFromCell(f[14], &p);
  if (s.ok()) s = ListFromJsonCell(f[15], "transactions", &p);
  if (s.ok()) s = ListFromJsonCell(f[16], "deliverables", &p);
  if (!s.ok()) return s;
  for (const auto& d : p.deliverables()) {
    // Output only: the service would drop it without a word, and the file would then say
    // something the registry does not hold.
    if (d.delivered_quantity() != 0) {
      return Bad("deliverables",
                 "delivered_quantity is output only (the sum of the deliveries); list the "
                 "deliveries instead");
    }
  }
  p.set_notes(f[17]);
  return row;
}

std::vector<std::string> ProjectToCsv(const reg::Project& p) {
  std::vector<std::string> agreements, participants;
  for (const auto& a : p.agreements()) agreements.push_back(BareId(a));
  for (const auto& participant : p.participants()) {
    participants.push_back(absl::StrCat(
        BareId(participant.institution()), ":",
        EnumToCell(reg::ProjectParticipant::Role_descriptor(), "ROLE_", participant.role())));
  }
  auto deliverables = p.deliverables();
  for (auto& d : deliverables) d.clear_delivered_quantity();  // output only
  return {BareId(p.name()),
          p.title(),
          p.local_title(),
          p.description(),
          p.local_description(),
          EnumToCell(reg::Project::Status_descriptor(), "STATUS_", p.status()),
          absl::StrJoin(agreements, "|"),
          absl::StrJoin(participants, "|"),
          DateToCell(p.planned_start()),
          DateToCell(p.planned_end()),
          DateToCell(p.actual_start()),
          DateToCell(p.actual_end()),
          absl::StrJoin(p.cooperation_areas(), "|"),
          LocationsToCell(p),
          BudgetToCell(p),
          JsonListCell(p.transactions()),
          JsonListCell(deliverables),
          p.notes()};
}

}  // namespace imp::impctl
