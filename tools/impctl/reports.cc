// impctl summary and map: the programme's figures as readable tables.
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/api/iso3166.h"
#include "tools/impctl/commands.h"
#include "tools/impctl/flags.h"

namespace imp::impctl {
namespace {

namespace gw = gateway::v1;

bool ParseDate(const std::string& text, google::type::Date* out) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || !absl::SimpleAtoi(text.substr(0, 4), &y) ||
      !absl::SimpleAtoi(text.substr(5, 2), &m) || !absl::SimpleAtoi(text.substr(8, 2), &d)) {
    return false;
  }
  out->set_year(y);
  out->set_month(m);
  out->set_day(d);
  return true;
}

void Line(const char* label, int64_t value) {
  std::printf("  %-44s %10lld\n", label, static_cast<long long>(value));
}

template <typename Response>
void Partial(const Response& r) {
  if (r.missing_sources().empty()) return;
  std::printf("\n  !! PARTIAL ANSWER: missing");
  for (int s : r.missing_sources())
    std::printf(" %s", gw::Source_Name(static_cast<gw::Source>(s)).c_str());
  std::printf("\n");
  for (const auto& w : r.warnings()) std::printf("     %s\n", w.c_str());
}

}  // namespace

int Summary(Client& client, const std::vector<std::string>&) {
  gw::GetProgramSummaryRequest req;
  for (auto [flag, date] : {std::pair{absl::GetFlag(FLAGS_from), req.mutable_start_date()},
                            std::pair{absl::GetFlag(FLAGS_to), req.mutable_end_date()}}) {
    if (!flag.empty() && !ParseDate(flag, date)) {
      std::fprintf(stderr, "impctl: '%s' is not a date YYYY-MM-DD\n", flag.c_str());
      return kExitUsage;
    }
  }
  req.set_country(absl::GetFlag(FLAGS_country));
  req.set_oblast(absl::GetFlag(FLAGS_oblast));
  req.set_cooperation_area(absl::GetFlag(FLAGS_area));
  const std::string institution = absl::GetFlag(FLAGS_institution);
  req.set_institution(institution.empty() || absl::StrContains(institution, '/')
                          ? institution
                          : absl::StrCat("institutions/", institution));
  gw::GetProgramSummaryResponse r;
  grpc::Status s = client.gateway().GetProgramSummary(client.Context().get(), req, &r);
  if (!s.ok()) return ReportError(s);
  if (absl::GetFlag(FLAGS_json)) {
    std::printf("%s\n", Json(r).c_str());
    return kExitOk;
  }
  const std::string from = absl::GetFlag(FLAGS_from), to = absl::GetFlag(FLAGS_to);
  std::printf("International Medical Partnership programme: %s .. %s\n",
              from.empty() ? "beginning" : from.c_str(), to.empty() ? "today" : to.c_str());
  std::printf("\nPartnerships\n");
  Line("agreements signed in the period", r.agreements_signed_in_period());
  Line("agreements in force at the end", r.agreements_in_force_at_end());
  std::printf("\nWhat partnerships did\n");
  Line("health workers trained (trainings and events)", r.trainees());
  Line("  of which doctors", r.trainee_doctors());
  Line("institutions taking part", r.distinct_participating_institutions());
  Line("joint operations", r.operations());
  Line("patients helped (operations + telemedicine)", r.patients_helped());
  Line("international visits", r.visits());
  Line("telemedical consultations", r.consultations());
  if (!r.cumulative_partnerships().empty()) {
    std::printf("\nSigned partnerships, cumulative\n  %-8s %8s %12s\n", "month", "signed",
                "cumulative");
    for (const auto& m : r.cumulative_partnerships()) {
      if (m.signed_in_month() == 0 && &m != &*r.cumulative_partnerships().rbegin()) continue;
      std::printf("  %-8s %8lld %12lld\n", m.month().c_str(),
                  static_cast<long long>(m.signed_in_month()),
                  static_cast<long long>(m.cumulative()));
    }
  }
  std::printf("\nInstitutions in partnerships, by country\n");
  for (const auto& c : r.institutions_by_country())
    std::printf("  %-6s %6lld\n", c.key().c_str(), static_cast<long long>(c.count()));
  std::printf("\nUkrainian institutions in partnerships, by oblast\n");
  for (const auto& c : r.institutions_by_oblast()) {
    std::printf("  %-6s %-30s %6lld\n", c.key().c_str(),
                std::string(api::UkrainianRegionName(c.key())).c_str(),
                static_cast<long long>(c.count()));
  }
  Partial(r);
  return kExitOk;
}

int Map(Client& client, const std::vector<std::string>&) {
  gw::GetPartnershipMapRequest req;
  req.set_include_inactive(absl::GetFlag(FLAGS_include_inactive));
  gw::GetPartnershipMapResponse r;
  grpc::Status s = client.gateway().GetPartnershipMap(client.Context().get(), req, &r);
  if (!s.ok()) return ReportError(s);
  if (absl::GetFlag(FLAGS_json)) {
    std::printf("%s\n", Json(r).c_str());
    return kExitOk;
  }
  std::printf("Partnership map%s\n\n  %-8s %14s %14s\n",
              req.include_inactive() ? " (including inactive)" : "", "country", "partnerships",
              "institutions");
  for (const auto& c : r.countries()) {
    std::printf("  %-8s %14lld %14lld\n", c.key().c_str(), static_cast<long long>(c.partnerships()),
                static_cast<long long>(c.institutions()));
  }
  std::printf("\n  %-8s %-30s %14s %14s\n", "oblast", "", "partnerships", "institutions");
  for (const auto& c : r.oblasts()) {
    std::printf("  %-8s %-30s %14lld %14lld\n", c.key().c_str(),
                std::string(api::UkrainianRegionName(c.key())).c_str(),
                static_cast<long long>(c.partnerships()), static_cast<long long>(c.institutions()));
  }
  Partial(r);
  return kExitOk;
}

}  // namespace imp::impctl
