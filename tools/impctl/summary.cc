// impctl summary and map: the programme's figures as tables for people (or --json for scripts).
// The gateway fails an aggregation when a service behind it fails, so by default a figure
// printed here is never one with a source missing. With --allow_partial the figures of the
// services that answered are printed: the partial answer is announced before any figure and on
// stderr, because its numbers are too low and must not be quoted as they are, and the exit code
// is kExitPartial (3). Registry figures from the gateway's copy while the registry is
// unreachable are complete as of the copy's time: printed with that time, exit 0.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/api/errors.h"
#include "common/api/iso3166.h"
#include "common/api/proto_util.h"
#include "common/status.h"
#include "google/rpc/error_details.pb.h"
#include "tools/impctl/commands.h"
#include "tools/impctl/flags.h"
#include "tools/impctl/kind.h"
#include "tools/impctl/output.h"
#include "tools/impctl/table.h"

namespace imp::impctl {
namespace {

namespace gw = gateway::v1;

// The gateway's error, and when it names the service that failed, how to get the rest.
int Refused(const grpc::Status& status) {
  const int code = ReportError(status);
  if (auto info = api::GetDetail<google::rpc::ErrorInfo>(FromGrpcStatus(status));
      info && info->metadata().contains("source")) {
    std::fprintf(stderr,
                 "impctl: (--allow_partial prints the figures of the services that answered, "
                 "marked partial, exit 3)\n");
  }
  return code;
}

std::string AsOf(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                          absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos()),
                          absl::UTCTimeZone());
}

// Says what the figures lack (a partial answer) or how old the registry's are (the gateway's
// copy); returns the exit code of an answer printed.
template <typename Response>
int Announce(const Response& r) {
  const bool stale = r.freshness().registry_stale();
  if (r.missing_sources().empty() && !stale && r.warnings().empty()) return kExitOk;
  std::vector<std::string> missing;
  for (int s : r.missing_sources()) missing.push_back(gw::Source_Name(static_cast<gw::Source>(s)));
  std::vector<std::string> notes;
  if (!missing.empty()) {
    notes.push_back(absl::StrCat("PARTIAL ANSWER: no answer from ", absl::StrJoin(missing, ", "),
                                 "; the figures that depend on it are missing or too low"));
  }
  if (stale) {
    notes.push_back(absl::StrCat("registry figures as of ", AsOf(r.freshness().registry_as_of()),
                                 " (the registry could not confirm the gateway's copy)"));
  }
  for (const auto& n : notes) std::fprintf(stderr, "impctl: %s\n", n.c_str());
  for (const auto& w : r.warnings()) std::fprintf(stderr, "impctl:   %s\n", w.c_str());
  if (!absl::GetFlag(FLAGS_json)) {
    for (const auto& n : notes) std::printf("!! %s\n", n.c_str());
    for (const auto& w : r.warnings()) std::printf("!!   %s\n", w.c_str());
    std::printf("\n");
  }
  return missing.empty() ? kExitOk : kExitPartial;
}

std::string Count(int64_t n) { return absl::StrCat(n); }

template <typename Response>
bool Missing(const Response& r, gw::Source source) {
  for (int s : r.missing_sources()) {
    if (s == source) return true;
  }
  return false;
}

std::string OblastName(const std::string& code) {
  return std::string(api::UkrainianRegionName(code));
}

// "STATUS_IMPLEMENTATION" -> "IMPLEMENTATION".
std::string StatusWord(const std::string& status) {
  return absl::StartsWith(status, "STATUS_") ? status.substr(7) : status;
}

// The projects table: by status, budget/committed/disbursed per currency (one row per currency,
// never converted), deliverables planned and delivered per unit.
void PrintProjects(const gw::ProjectFigures& p) {
  std::printf("\nProjects: %s\n", Count(p.projects()).c_str());
  Table statuses({"STATUS", "PROJECTS"}, {false, true});
  for (const auto& c : p.projects_by_status()) {
    statuses.AddRow({StatusWord(c.key()), Count(c.count())});
  }
  if (!statuses.empty()) std::printf("%s", statuses.Render("  ").c_str());
  // Columns: budget, committed in the period, disbursed in the period.
  std::map<std::string, std::vector<std::string>> by_currency;
  auto put = [&](const google::protobuf::RepeatedPtrField<google::type::Money>& totals, int col) {
    for (const auto& m : totals) {
      auto& row = by_currency[m.currency_code()];
      row.resize(3, "0");
      row[col] = DecimalText(m);  // the currency is the row's
    }
  };
  put(p.budget(), 0);
  put(p.committed(), 1);
  put(p.disbursed(), 2);
  Table money({"CURRENCY", "BUDGET", "COMMITTED", "DISBURSED"}, {false, true, true, true});
  for (const auto& [currency, row] : by_currency) {
    money.AddRow({currency, row[0], row[1], row[2]});
  }
  if (!money.empty()) {
    std::printf("\n  Money per currency (committed and disbursed in the period)\n%s",
                money.Render("  ").c_str());
  }
  if (p.deliverables() > 0) {
    std::printf("\n  Deliverables: %s, of which delivered in full by the end: %s\n",
                Count(p.deliverables()).c_str(), Count(p.deliverables_completed()).c_str());
    Table units({"UNIT", "DELIVERABLES", "PLANNED", "DELIVERED"}, {false, true, true, true});
    for (const auto& u : p.deliverables_by_unit()) {
      units.AddRow({u.unit(), Count(u.deliverables()), Count(u.planned_quantity()),
                    Count(u.delivered_quantity())});
    }
    std::printf("%s", units.Render("  ").c_str());
  }
}

// The partnership network with and without the members frameworks declare but have not named.
void PrintNetwork(const gw::PartnershipNetwork& n) {
  Table figures({"", ""}, {false, true});
  figures.AddRow({"  partnerships (agreements signed by the end)", Count(n.partnerships())});
  figures.AddRow(
      {"    of which frameworks with unnamed members", Count(n.frameworks_with_unnamed_members())});
  figures.AddRow({"  institutions named (parties, named members)", Count(n.institutions_named())});
  figures.AddRow(
      {"  declared by frameworks, not yet named", Count(n.institutions_declared_unnamed())});
  figures.AddRow(
      {"  institutions including the declared ones", Count(n.institutions_including_declared())});
  std::printf("\nPartnership network\n%s", figures.Render().c_str());
  Table frameworks({"FRAMEWORK", "TITLE", "DECLARED", "NAMED", "UNNAMED"},
                   {false, false, true, true, true});
  for (const auto& f : n.frameworks()) {
    frameworks.AddRow(
        {f.agreement(), f.title(), Count(f.declared()), Count(f.named()), Count(f.unnamed())});
  }
  if (!frameworks.empty()) std::printf("%s", frameworks.Render("  ").c_str());
  std::printf("  %s\n", n.explanation().c_str());
}

}  // namespace

int Summary(Client& client, const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::fprintf(stderr,
                 "impctl: usage: impctl summary [--from=YYYY-MM-DD] [--to=YYYY-MM-DD] "
                 "[--country=FR] [--oblast=UA-46] [--area=CODE] [--institution=ID] "
                 "[--allow_partial]\n");
    return kExitUsage;
  }
  gw::GetProgramSummaryRequest req;
  const std::string from = absl::GetFlag(FLAGS_from), to = absl::GetFlag(FLAGS_to);
  for (auto [text, flag, date] : {std::tuple{from, "--from", req.mutable_start_date()},
                                  std::tuple{to, "--to", req.mutable_end_date()}}) {
    if (text.empty()) continue;
    auto parsed = api::DateFromString(text, flag);
    if (!parsed.ok()) {
      std::fprintf(stderr, "impctl: %s\n", std::string(parsed.status().message()).c_str());
      return kExitUsage;
    }
    *date = *parsed;
  }
  req.set_country(absl::GetFlag(FLAGS_country));
  req.set_oblast(absl::GetFlag(FLAGS_oblast));
  req.set_cooperation_area(absl::GetFlag(FLAGS_area));
  const std::string institution = absl::GetFlag(FLAGS_institution);
  if (!institution.empty()) req.set_institution(FullName(Kind::kInstitution, institution));
  req.set_allow_partial(absl::GetFlag(FLAGS_allow_partial));
  gw::GetProgramSummaryResponse r;
  grpc::Status s = client.gateway().GetProgramSummary(client.Context().get(), req, &r);
  if (!s.ok()) return Refused(s);
  const int exit_code = Announce(r);
  if (absl::GetFlag(FLAGS_json)) {
    PrintJson(r);
    return exit_code;
  }

  std::vector<std::string> scope;
  if (!req.country().empty()) scope.push_back(absl::StrCat("country ", req.country()));
  if (!req.oblast().empty()) scope.push_back(absl::StrCat("oblast ", req.oblast()));
  if (!req.cooperation_area().empty())
    scope.push_back(absl::StrCat("area ", req.cooperation_area()));
  if (!req.institution().empty()) scope.push_back(req.institution());
  std::printf("International Medical Partnership programme, %s .. %s%s\n\n",
              from.empty() ? "the beginning" : from.c_str(), to.empty() ? "today" : to.c_str(),
              scope.empty() ? "" : absl::StrCat(" (", absl::StrJoin(scope, ", "), ")").c_str());

  // A figure from a backend that did not answer is unknown, not zero.
  const bool no_registry = Missing(r, gw::SOURCE_REGISTRY);
  const bool no_activity = Missing(r, gw::SOURCE_ACTIVITY);
  auto from_registry = [&](int64_t n) { return no_registry ? "n/a" : Count(n); };
  auto from_activity = [&](int64_t n) { return no_activity ? "n/a" : Count(n); };
  Table figures({"", ""}, {false, true});
  figures.AddRow({"Partnerships", ""});
  figures.AddRow(
      {"  agreements signed in the period", from_registry(r.agreements_signed_in_period())});
  figures.AddRow(
      {"  agreements in force at the end", from_registry(r.agreements_in_force_at_end())});
  figures.AddRow({"", ""});
  figures.AddRow({"What the partnerships did", ""});
  figures.AddRow({"  health workers trained (trainings, events)", from_activity(r.trainees())});
  figures.AddRow({"    of which doctors", from_activity(r.trainee_doctors())});
  figures.AddRow(
      {"  institutions taking part", from_activity(r.distinct_participating_institutions())});
  figures.AddRow({"  joint operations", from_activity(r.operations())});
  figures.AddRow(
      {"  patients helped (operations, telemedicine)", from_activity(r.patients_helped())});
  figures.AddRow({"  international visits", from_activity(r.visits())});
  figures.AddRow({"  telemedical consultations", from_activity(r.consultations())});
  std::printf("%s", figures.Render().c_str());

  // Months without signings add nothing to read; the last month shows the total.
  Table months({"MONTH", "SIGNED", "CUMULATIVE"}, {false, true, true});
  for (int i = 0; i < r.cumulative_partnerships_size(); ++i) {
    const auto& m = r.cumulative_partnerships(i);
    if (m.signed_in_month() == 0 && i + 1 < r.cumulative_partnerships_size()) continue;
    months.AddRow({m.month(), Count(m.signed_in_month()), Count(m.cumulative())});
  }
  if (!months.empty()) {
    std::printf("\nPartnerships signed, by month\n%s", months.Render("  ").c_str());
  }
  Table countries({"COUNTRY", "INSTITUTIONS"}, {false, true});
  for (const auto& c : r.institutions_by_country()) countries.AddRow({c.key(), Count(c.count())});
  if (!countries.empty()) {
    std::printf("\nInstitutions in partnerships, by country\n%s", countries.Render("  ").c_str());
  }
  Table oblasts({"OBLAST", "", "INSTITUTIONS"}, {false, false, true});
  for (const auto& c : r.institutions_by_oblast()) {
    oblasts.AddRow({c.key(), OblastName(c.key()), Count(c.count())});
  }
  if (!oblasts.empty()) {
    std::printf("\nUkrainian institutions in partnerships, by oblast\n%s",
                oblasts.Render("  ").c_str());
  }
  // From the registry too: unknown, not zero, when it did not answer.
  if (no_registry) {
    std::printf("\nProjects: n/a\n\nPartnership network: n/a\n");
    return exit_code;
  }
  PrintProjects(r.projects());
  PrintNetwork(r.network());
  return exit_code;
}

int Map(Client& client, const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::fprintf(stderr, "impctl: usage: impctl map [--include_inactive] [--allow_partial]\n");
    return kExitUsage;
  }
  gw::GetPartnershipMapRequest req;
  req.set_include_inactive(absl::GetFlag(FLAGS_include_inactive));
  req.set_allow_partial(absl::GetFlag(FLAGS_allow_partial));
  gw::GetPartnershipMapResponse r;
  grpc::Status s = client.gateway().GetPartnershipMap(client.Context().get(), req, &r);
  if (!s.ok()) return Refused(s);
  const int exit_code = Announce(r);
  if (absl::GetFlag(FLAGS_json)) {
    PrintJson(r);
    return exit_code;
  }
  std::printf("Partnership map (%s)\n\n",
              req.include_inactive() ? "all agreements" : "agreements in force: ACTIVE, SUSPENDED");
  Table countries({"COUNTRY", "PARTNERSHIPS", "INSTITUTIONS"}, {false, true, true});
  for (const auto& c : r.countries()) {
    countries.AddRow({c.key(), Count(c.partnerships()), Count(c.institutions())});
  }
  std::printf("%s", countries.Render("  ").c_str());
  Table oblasts({"OBLAST", "", "PARTNERSHIPS", "INSTITUTIONS"}, {false, false, true, true});
  for (const auto& c : r.oblasts()) {
    oblasts.AddRow(
        {c.key(), OblastName(c.key()), Count(c.partnerships()), Count(c.institutions())});
  }
  std::printf("\n%s", oblasts.Render("  ").c_str());
  return exit_code;
}

}  // namespace imp::impctl
