// imp_bench: measures the suite over real gRPC against real servers (see tools/bench/run.sh,
// which starts a private MariaDB and the services and then runs this).
//
// Scenarios:
//   get     closed-loop GetInstitution at several concurrencies: QPS and latency percentiles
//   import  ImportActivities of --import_rows rows: rows per second
//   stats   GetActivityStats over one month while the activities OUTSIDE that month grow
//           tenfold: the latency must stay flat (the query reads only the period's rows)
//   summary GetProgramSummary and GetPartnershipMap through the gateway (--gateway, --token):
//           the aggregations' latency over what the other scenarios stored
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "imp/activity/v1/activity.grpc.pb.h"
#include "imp/gateway/v1/gateway.grpc.pb.h"
#include "imp/registry/v1/registry.grpc.pb.h"

ABSL_FLAG(std::string, registry, "127.0.0.1:50051", "registry-service address");
ABSL_FLAG(std::string, activity, "127.0.0.1:50052", "activity-service address");
ABSL_FLAG(std::string, scenarios, "get,import,stats,summary", "comma-separated scenarios to run");
ABSL_FLAG(int, seconds, 5, "get: seconds per concurrency level");
ABSL_FLAG(std::string, concurrency, "1,8,32", "get: concurrency levels");
ABSL_FLAG(int, import_rows, 20000, "import: rows to import in one call");
ABSL_FLAG(int, stats_base_rows, 10000, "stats: activities outside the month at first");
ABSL_FLAG(int, stats_calls, 200, "stats: calls per measurement");
ABSL_FLAG(std::string, gateway, "",
          "summary: gateway address (the scenario is skipped when empty)");
ABSL_FLAG(std::string, token, "", "summary: bearer token for the gateway");
ABSL_FLAG(int, summary_calls, 50, "summary: calls per aggregation");

namespace {

namespace reg = imp::registry::v1;
namespace act = imp::activity::v1;

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("x-imp-actor", "imp-bench");
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
  return ctx;
}

void Check(const grpc::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "imp_bench: %s failed: %s\n", what, s.error_message().c_str());
    std::exit(1);
  }
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

std::string Prefix() { return absl::StrCat("b", absl::ToUnixMillis(absl::Now()) % 100000000); }

// A Ukrainian and a foreign institution and an ACTIVE agreement between them.
struct Fixture {
  std::string ua, foreign, agreement;
};

Fixture MakeFixture(reg::RegistryService::Stub& registry, const std::string& prefix) {
  Fixture f{prefix + "-ua", prefix + "-fr", prefix + "-twin"};
  for (const auto& [id, country] : {std::pair{f.ua, "UA"}, std::pair{f.foreign, "FR"}}) {
    reg::CreateInstitutionRequest req;
    req.set_institution_id(id);
    req.mutable_institution()->set_display_name("Bench " + id);
    req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
    req.mutable_institution()->set_country(country);
    reg::Institution out;
    Check(registry.CreateInstitution(Ctx().get(), req, &out), "CreateInstitution");
  }
  reg::CreateAgreementRequest req;
  req.set_agreement_id(f.agreement);
  auto* a = req.mutable_agreement();
  a->set_title("Bench memorandum");
  a->set_kind(reg::Agreement::KIND_TWINNING_MEMORANDUM);
  a->set_state(reg::Agreement::STATE_ACTIVE);
  a->mutable_signed_on()->set_year(2000);
  a->mutable_signed_on()->set_month(1);
  a->mutable_signed_on()->set_day(1);
  for (const auto& [id, role] : {std::pair{f.ua, reg::Party::ROLE_UKRAINIAN_PARTNER},
                                 std::pair{f.foreign, reg::Party::ROLE_FOREIGN_PARTNER}}) {
    auto* p = a->add_parties();
    p->set_institution("institutions/" + id);
    p->set_role(role);
  }
  reg::Agreement out;
  Check(registry.CreateAgreement(Ctx().get(), req, &out), "CreateAgreement");
  return f;
}

act::Activity MakeActivity(const Fixture& f, int year, int month, int day, int i) {
  act::Activity a;
  a.set_title(absl::StrCat("bench ", i));
  a.set_agreement("agreements/" + f.agreement);
  a.set_host_institution("institutions/" + f.ua);
  a.add_partner_institutions("institutions/" + f.foreign);
  a.mutable_start_date()->set_year(year);
  a.mutable_start_date()->set_month(month);
  a.mutable_start_date()->set_day(day);
  a.mutable_location()->set_country("UA");
  a.set_direction(act::Activity::DIRECTION_TO_UKRAINE);
  auto* t = a.mutable_training();
  t->set_format(act::TrainingDetails::FORMAT_COURSE);
  auto* g = t->add_participant_groups();
  g->set_institution("institutions/" + f.ua);
  g->set_profession(act::ParticipantGroup::PROFESSION_DOCTOR);
  g->set_headcount(1 + i % 7);
  return a;
}

// Imports `count` activities spread over years 2001..2019 (never in the measured month) or, with
// in_month, into 2024-04. Returns seconds taken.
double ImportRows(act::ActivityService::Stub& activity, const Fixture& f, int count, bool in_month,
                  const std::string& request_id) {
  act::ImportActivitiesResponse resp;
  auto ctx = Ctx();
  const absl::Time start = absl::Now();
  auto writer = activity.ImportActivities(ctx.get(), &resp);
  act::ImportActivitiesRequest msg;
  msg.set_request_id(request_id);
  msg.set_mode(act::ImportActivitiesRequest::MODE_ALL_OR_NOTHING);
  for (int i = 0; i < count; ++i) {
    auto* row = msg.add_rows();
    row->set_row_number(i + 1);
    *row->mutable_activity() = in_month ? MakeActivity(f, 2024, 4, 1 + i % 30, i)
                                        : MakeActivity(f, 2001 + i % 19, 1 + i % 12, 1 + i % 28, i);
    if (msg.rows_size() == 1000 || i + 1 == count) {
      writer->Write(msg);
      msg.Clear();
    }
  }
  writer->WritesDone();
  Check(writer->Finish(), "ImportActivities");
  if (resp.rows_imported() != count) {
    std::fprintf(stderr, "imp_bench: imported %lld of %d rows\n",
                 static_cast<long long>(resp.rows_imported()), count);
    std::exit(1);
  }
  return absl::ToDoubleSeconds(absl::Now() - start);
}

void RunGet(reg::RegistryService::Stub& registry, const Fixture& f) {
  std::printf("\n== get: closed-loop GetInstitution, %d s per level ==\n",
              absl::GetFlag(FLAGS_seconds));
  std::printf("%12s %12s %10s %10s %10s\n", "concurrency", "QPS", "p50 ms", "p99 ms", "errors");
  for (absl::string_view level : absl::StrSplit(absl::GetFlag(FLAGS_concurrency), ',')) {
    int concurrency = 1;
    if (!absl::SimpleAtoi(level, &concurrency)) continue;
    std::vector<std::vector<double>> latencies(concurrency);
    std::atomic<int> errors{0};
    const absl::Time end = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_seconds));
    std::vector<std::thread> threads;
    for (int t = 0; t < concurrency; ++t) {
      threads.emplace_back([&, t] {
        reg::GetInstitutionRequest req;
        req.set_name("institutions/" + f.ua);
        while (absl::Now() < end) {
          reg::Institution out;
          const absl::Time start = absl::Now();
          if (!registry.GetInstitution(Ctx().get(), req, &out).ok()) ++errors;
          latencies[t].push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
        }
      });
    }
    for (auto& th : threads) th.join();
    std::vector<double> all;
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    const double qps = static_cast<double>(all.size()) / absl::GetFlag(FLAGS_seconds);
    std::printf("%12d %12.0f %10.2f %10.2f %10d\n", concurrency, qps, Percentile(all, 0.5),
                Percentile(all, 0.99), errors.load());
  }
}

void RunImport(act::ActivityService::Stub& activity, const Fixture& f, const std::string& prefix) {
  const int rows = absl::GetFlag(FLAGS_import_rows);
  std::printf("\n== import: one ImportActivities call of %d rows (all-or-nothing) ==\n", rows);
  const double seconds = ImportRows(activity, f, rows, false, prefix + "-import");
  std::printf("%d rows in %.2f s = %.0f rows/s\n", rows, seconds, rows / seconds);
}

std::vector<double> StatsLatencies(act::ActivityService::Stub& activity) {
  std::vector<double> ms;
  act::GetActivityStatsRequest req;
  req.mutable_start_date()->set_year(2024);
  req.mutable_start_date()->set_month(4);
  req.mutable_start_date()->set_day(1);
  req.mutable_end_date()->set_year(2024);
  req.mutable_end_date()->set_month(4);
  req.mutable_end_date()->set_day(30);
  req.add_group_by(act::GROUP_BY_MONTH);
  for (int i = 0; i < absl::GetFlag(FLAGS_stats_calls); ++i) {
    act::GetActivityStatsResponse resp;
    const absl::Time start = absl::Now();
    Check(activity.GetActivityStats(Ctx().get(), req, &resp), "GetActivityStats");
    ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
  }
  return ms;
}

void RunStats(act::ActivityService::Stub& activity, reg::RegistryService::Stub& registry,
              const std::string& prefix) {
  const int base = absl::GetFlag(FLAGS_stats_base_rows);
  std::printf("\n== stats: GetActivityStats for 2024-04 (1,000 activities in the month) ==\n");
  std::printf("%26s %10s %10s\n", "activities outside month", "p50 ms", "p99 ms");
  const Fixture f = MakeFixture(registry, prefix + "s");
  ImportRows(activity, f, 1000, true, prefix + "-stats-month");
  int outside = 0;
  for (int step = 0; step < 2; ++step) {
    const int add = step == 0 ? base : base * 9;
    ImportRows(activity, f, add, false, absl::StrCat(prefix, "-stats-", step));
    outside += add;
    auto ms = StatsLatencies(activity);
    std::printf("%26d %10.2f %10.2f\n", outside, Percentile(ms, 0.5), Percentile(ms, 0.99));
  }
}

void RunSummary() {
  const std::string target = absl::GetFlag(FLAGS_gateway);
  if (target.empty()) return;
  auto gateway = imp::gateway::v1::GatewayService::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  std::printf("\n== summary: aggregations through the gateway (%d calls each) ==\n",
              absl::GetFlag(FLAGS_summary_calls));
  std::printf("%22s %10s %10s\n", "aggregation", "p50 ms", "p99 ms");
  auto measure = [&](const char* label, auto call) {
    std::vector<double> ms;
    for (int i = 0; i < absl::GetFlag(FLAGS_summary_calls); ++i) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + absl::GetFlag(FLAGS_token));
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(1));
      const absl::Time start = absl::Now();
      Check(call(ctx), label);
      ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
    }
    std::printf("%22s %10.2f %10.2f\n", label, Percentile(ms, 0.5), Percentile(ms, 0.99));
  };
  auto summary = [&](grpc::ClientContext& ctx, bool one_month) {
    imp::gateway::v1::GetProgramSummaryRequest req;
    if (one_month) {
      req.mutable_start_date()->set_year(2024);
      req.mutable_start_date()->set_month(4);
      req.mutable_start_date()->set_day(1);
      req.mutable_end_date()->set_year(2024);
      req.mutable_end_date()->set_month(4);
      req.mutable_end_date()->set_day(30);
    }
    imp::gateway::v1::GetProgramSummaryResponse resp;
    grpc::Status s = gateway->GetProgramSummary(&ctx, req, &resp);
    if (s.ok() && resp.missing_sources_size() > 0)
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "partial answer");
    return s;
  };
  measure("summary, 2024-04", [&](grpc::ClientContext& ctx) { return summary(ctx, true); });
  measure("summary, all time", [&](grpc::ClientContext& ctx) { return summary(ctx, false); });
  measure("GetPartnershipMap", [&](grpc::ClientContext& ctx) {
    imp::gateway::v1::GetPartnershipMapResponse resp;
    return gateway->GetPartnershipMap(&ctx, {}, &resp);
  });
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  auto registry = reg::RegistryService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_registry), grpc::InsecureChannelCredentials()));
  auto activity = act::ActivityService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_activity), grpc::InsecureChannelCredentials()));
  const std::string prefix = Prefix();
  const Fixture f = MakeFixture(*registry, prefix);
  std::printf("imp_bench against registry %s, activity %s (%u cores)\n",
              absl::GetFlag(FLAGS_registry).c_str(), absl::GetFlag(FLAGS_activity).c_str(),
              std::thread::hardware_concurrency());
  for (absl::string_view s : absl::StrSplit(absl::GetFlag(FLAGS_scenarios), ',')) {
    if (s == "get") RunGet(*registry, f);
    if (s == "import") RunImport(*activity, f, prefix);
    if (s == "stats") RunStats(*activity, *registry, prefix);
    if (s == "summary") RunSummary();
  }
  return 0;
}
