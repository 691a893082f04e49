// stats_rollup_measure: GetActivityStats latency as the history grows, and import throughput,
// against a running registry and activity service (run_stats_rollup_measure.sh starts them, for
// the current build or for the binaries of another commit). Bounded: a few imports of at most
// 100,000 rows and ~50 calls per figure; loopback only. Not a test: it prints figures.
//
// The data: 20 Ukrainian and 20 foreign institutions paired by 20 ACTIVE agreements; each
// activity is hosted by a Ukrainian institution with its partner (and sometimes a participant
// group from another hospital), of a random kind, on a random day from 2010 to 2025.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "imp/activity/v1/activity.grpc.pb.h"
#include "imp/registry/v1/registry.grpc.pb.h"

ABSL_FLAG(std::string, registry, "", "registry-service address");
ABSL_FLAG(std::string, activity, "", "activity-service address");
ABSL_FLAG(std::string, sizes, "10000,200000", "activity counts at which to measure");
ABSL_FLAG(int, calls, 50, "calls per figure");

namespace {

namespace reg = imp::registry::v1;
namespace act = imp::activity::v1;

constexpr int kPairs = 20;

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("x-imp-actor", "stats-measure");
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(20));
  return ctx;
}

void Check(const grpc::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "stats_rollup_measure: %s: %s\n", what, s.error_message().c_str());
    std::exit(1);
  }
}

google::type::Date Date(int y, int m, int d) {
  google::type::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

void Setup(reg::RegistryService::Stub& registry) {
  for (int i = 0; i < kPairs; ++i) {
    for (bool ua : {true, false}) {
      reg::CreateInstitutionRequest req;
      req.set_institution_id(absl::StrCat(ua ? "ua-" : "eu-", i));
      req.set_request_id(req.institution_id());
      auto* inst = req.mutable_institution();
      inst->set_display_name(absl::StrCat("Hospital ", req.institution_id()));
      inst->set_kind(reg::Institution::KIND_HOSPITAL);
      inst->set_country(ua ? "UA" : (i % 2 ? "FR" : "DE"));
      if (ua) inst->set_region(i % 2 ? "UA-46" : "UA-30");
      reg::Institution out;
      Check(registry.CreateInstitution(Ctx().get(), req, &out), "CreateInstitution");
    }
    reg::CreateAgreementRequest req;
    req.set_agreement_id(absl::StrCat("pair-", i));
    req.set_request_id(req.agreement_id());
    auto* a = req.mutable_agreement();
    a->set_title(absl::StrCat("Memorandum ", i));
    a->set_kind(reg::Agreement::KIND_TWINNING_MEMORANDUM);
    a->set_state(reg::Agreement::STATE_ACTIVE);
    *a->mutable_signed_on() = Date(2009, 1, 1);
    auto* p1 = a->add_parties();
    p1->set_institution(absl::StrCat("institutions/ua-", i));
    p1->set_role(reg::Party::ROLE_UKRAINIAN_PARTNER);
    auto* p2 = a->add_parties();
    p2->set_institution(absl::StrCat("institutions/eu-", i));
    p2->set_role(reg::Party::ROLE_FOREIGN_PARTNER);
    reg::Agreement out;
    Check(registry.CreateAgreement(Ctx().get(), req, &out), "CreateAgreement");
  }
}

act::Activity MakeActivity(std::mt19937& rng) {
  const int pair = static_cast<int>(rng() % kPairs);
  act::Activity a;
  a.set_title("Measured activity");
  a.set_agreement(absl::StrCat("agreements/pair-", pair));
  a.set_host_institution(absl::StrCat("institutions/ua-", pair));
  a.add_partner_institutions(absl::StrCat("institutions/eu-", pair));
  *a.mutable_start_date() =
      Date(2010 + static_cast<int>(rng() % 16), 1 + static_cast<int>(rng() % 12),
           1 + static_cast<int>(rng() % 28));
  a.mutable_location()->set_country("UA");
  a.mutable_location()->set_region(pair % 2 ? "UA-46" : "UA-30");
  a.mutable_location()->set_city("City");
  a.set_direction(rng() % 2 ? act::Activity::DIRECTION_TO_UKRAINE
                            : act::Activity::DIRECTION_FROM_UKRAINE);
  a.set_cooperation_area(rng() % 2 ? "surgery" : "rehabilitation");
  switch (rng() % 4) {
    case 0: {
      auto* t = a.mutable_training();
      t->set_format(act::TrainingDetails::FORMAT_COURSE);
      auto* g = t->add_participant_groups();
      g->set_institution(a.host_institution());
      g->set_profession(act::ParticipantGroup::PROFESSION_DOCTOR);
      g->set_headcount(1 + static_cast<int>(rng() % 9));
      if (rng() % 4 == 0) {
        auto* other = t->add_participant_groups();
        other->set_institution(absl::StrCat("institutions/ua-", rng() % kPairs));
        other->set_profession(act::ParticipantGroup::PROFESSION_NURSE);
        other->set_headcount(1 + static_cast<int>(rng() % 5));
      }
      break;
    }
    case 1:
      a.mutable_operation()->set_operations(1 + static_cast<int>(rng() % 4));
      a.mutable_operation()->set_patients_treated(1 + static_cast<int>(rng() % 4));
      break;
    case 2:
      a.mutable_visit()->set_type(act::VisitDetails::TYPE_MISSION_TO_UKRAINE);
      a.mutable_visit()->set_specialists(1 + static_cast<int>(rng() % 5));
      break;
    default:
      a.mutable_telemedicine()->set_consultations(1 + static_cast<int>(rng() % 9));
      a.mutable_telemedicine()->set_patients(1 + static_cast<int>(rng() % 9));
  }
  return a;
}

// One ImportActivities call of `rows` rows; returns rows per second.
double Import(act::ActivityService::Stub& activity, std::mt19937& rng, int rows, int call) {
  act::ImportActivitiesResponse resp;
  auto ctx = Ctx();
  const absl::Time start = absl::Now();
  auto writer = activity.ImportActivities(ctx.get(), &resp);
  act::ImportActivitiesRequest msg;
  msg.set_request_id(absl::StrCat("measure-", call));
  msg.set_mode(act::ImportActivitiesRequest::MODE_ALL_OR_NOTHING);
  for (int i = 0; i < rows; ++i) {
    auto* row = msg.add_rows();
    row->set_row_number(i + 1);
    *row->mutable_activity() = MakeActivity(rng);
    if (msg.rows_size() == 1000 || i + 1 == rows) {
      writer->Write(msg);
      msg.Clear();
    }
  }
  writer->WritesDone();
  Check(writer->Finish(), "ImportActivities");
  if (resp.rows_imported() != rows) {
    std::fprintf(stderr, "stats_rollup_measure: imported %lld of %d rows\n",
                 static_cast<long long>(resp.rows_imported()), rows);
    std::exit(1);
  }
  return rows / absl::ToDoubleSeconds(absl::Now() - start);
}

// p50 and p99 in ms of `calls` calls of `req`.
std::pair<double, double> Latency(act::ActivityService::Stub& activity,
                                  const act::GetActivityStatsRequest& req, int calls) {
  std::vector<double> ms;
  for (int i = 0; i < calls; ++i) {
    act::GetActivityStatsResponse resp;
    const absl::Time start = absl::Now();
    Check(activity.GetActivityStats(Ctx().get(), req, &resp), "GetActivityStats");
    ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 99 / 100)]};
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  auto registry = reg::RegistryService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_registry), grpc::InsecureChannelCredentials()));
  auto activity = act::ActivityService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_activity), grpc::InsecureChannelCredentials()));
  Setup(*registry);
  std::mt19937 rng(2026);
  const int calls = absl::GetFlag(FLAGS_calls);
  act::GetActivityStatsRequest year;
  *year.mutable_start_date() = Date(2024, 1, 1);
  *year.mutable_end_date() = Date(2024, 12, 31);
  year.add_group_by(act::GROUP_BY_MONTH);
  act::GetActivityStatsRequest all_time;
  act::GetActivityStatsRequest institution;
  institution.set_filter(R"(institution = "institutions/ua-3")");
  std::printf("%10s %12s %22s %22s %22s\n", "activities", "import r/s", "year by month p50/p99",
              "all time p50/p99", "institution p50/p99");
  int stored = 0, call = 0;
  for (absl::string_view size_text : absl::StrSplit(absl::GetFlag(FLAGS_sizes), ',')) {
    int size = 0;
    if (!absl::SimpleAtoi(size_text, &size)) continue;
    std::vector<double> rates;
    while (stored < size) {
      const int rows = std::min(100000, size - stored);
      rates.push_back(Import(*activity, rng, rows, call++));
      stored += rows;
    }
    double rate = 0;
    for (double r : rates) rate += r / static_cast<double>(rates.size());
    const auto y = Latency(*activity, year, calls);
    const auto a = Latency(*activity, all_time, calls);
    const auto i = Latency(*activity, institution, calls);
    std::printf("%10d %12.0f %13.2f / %6.2f %13.2f / %6.2f %13.2f / %6.2f\n", stored, rate, y.first,
                y.second, a.first, a.second, i.first, i.second);
    std::fflush(stdout);
  }
  return 0;
}
