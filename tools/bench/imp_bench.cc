// imp_bench: measures the suite against the limit of its transport, in one run.
//
// It starts, inside itself, a no-op gRPC callback server that answers every measured method
// with response bytes captured from the real service, and measures each scenario against the
// real service and against that baseline with the same client at the same concurrency: QPS,
// p50, p99 and p99.9, and the ratios. The data is generated through the API itself (registry
// creates, then ImportActivities in calls of --import_call_rows rows), and each import is
// compared with inserting the same rows straight into MariaDB (raw_insert.h). tools/bench/run.sh
// starts a private MariaDB and the services and runs this; see its header for the commands.
#include <curl/curl.h>
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/init.h"
#include "common/net/channel.h"
#include "common/net/tls.h"
#include "tools/bench/datagen.h"
#include "tools/bench/metrics_cost.h"
#include "tools/bench/noop_server.h"
#include "tools/bench/raw_insert.h"
#include "tools/bench/report.h"
#include "tools/bench/scenarios.h"

ABSL_FLAG(std::string, registry, "127.0.0.1:50051", "registry-service address");
ABSL_FLAG(std::string, activity, "127.0.0.1:50052", "activity-service address");
ABSL_FLAG(std::string, gateway, "127.0.0.1:50050", "gateway address");
ABSL_FLAG(std::string, token, "", "bearer token (viewer) for the gateway's aggregations");
ABSL_FLAG(int, registry_pid, 0, "registry-service pid, for its memory (0: not reported)");
ABSL_FLAG(int, activity_pid, 0, "activity-service pid, for its memory (0: not reported)");
ABSL_FLAG(int, gateway_pid, 0, "gateway pid, for its memory (0: not reported)");
ABSL_FLAG(int, mariadb_pid, 0, "MariaDB's pid, for its CPU time per call (0: not reported)");
ABSL_FLAG(std::string, db_socket, "", "MariaDB socket for the raw INSERT comparison (empty: skip)");
ABSL_FLAG(std::string, db_schema, "", "the activity service's schema");
ABSL_FLAG(std::string, db_user, "", "a user that may CREATE and INSERT in --db_schema");
ABSL_FLAG(int, institutions, 1000, "institutions to create (60% Ukrainian)");
ABSL_FLAG(int, agreements, 500, "ACTIVE agreements to create");
ABSL_FLAG(std::vector<std::string>, activities, std::vector<std::string>({"10000", "1000000"}),
          "data sizes (activities), ascending: every scenario is measured at each");
ABSL_FLAG(int64_t, import_call_rows, 100000, "rows per ImportActivities call (at most 100,000)");
ABSL_FLAG(double, seconds, 5, "seconds per measurement (each scenario has four)");
ABSL_FLAG(int64_t, min_calls, 10, "calls per measurement at least");
ABSL_FLAG(double, max_seconds, 60, "seconds per measurement at most, whatever --min_calls says");
ABSL_FLAG(int, concurrency, 32, "concurrency of the scenarios (besides 1)");
ABSL_FLAG(int, aggregation_concurrency, 8,
          "concurrency of GetProgramSummary and GetPartnershipMap (besides 1)");
ABSL_FLAG(std::vector<std::string>, scenarios, {},
          "scenarios to measure (names as in the report); empty: all");
ABSL_FLAG(std::string, output, "", "also write the report (Markdown) to this file");
ABSL_FLAG(std::string, header, "", "a line for the report's header (e.g. the command)");
ABSL_FLAG(std::string, ca_cert, "", "TLS: CA of the services (empty: plaintext)");
ABSL_FLAG(std::string, client_cert, "", "TLS: client certificate for the registry and activity");
ABSL_FLAG(std::string, client_key, "", "TLS: key of --client_cert");
ABSL_FLAG(std::string, noop_cert, "", "TLS: certificate the no-op server serves");
ABSL_FLAG(std::string, noop_key, "", "TLS: key of --noop_cert");
ABSL_FLAG(std::vector<std::string>, metrics_targets, {},
          "host:port of each service's --metrics_port: the cost of scraping /metrics is measured "
          "(with and without a scraper, same run) for GetInstitution, GetProgramSummary and "
          "CreateActivity at the last data size; empty: not measured");
ABSL_FLAG(int, metrics_scrape_interval_ms, 100,
          "how often the metrics-cost scraper fetches each /metrics");

namespace imp::bench {
namespace {

TlsOptions LoadTls(const std::string& cert, const std::string& key, const std::string& ca) {
  TlsFiles files;
  files.cert = cert;
  files.key = key;
  files.ca = ca;
  absl::StatusOr<TlsOptions> tls = LoadTlsFiles(files);
  if (!tls.ok()) {
    std::fprintf(stderr, "imp_bench: %s\n", std::string(tls.status().message()).c_str());
    std::exit(2);
  }
  return *tls;
}

std::shared_ptr<grpc::Channel> Channel(const std::string& target, const TlsOptions& tls) {
  ChannelOptions options;
  options.tls = tls;
  return MakeChannel(target, options);
}

bool Wanted(const std::string& name) {
  const auto wanted = absl::GetFlag(FLAGS_scenarios);
  if (wanted.empty()) return true;
  for (const auto& w : wanted) {
    if (name == w || absl::StartsWith(name, w + "/")) return true;
  }
  return false;
}

struct Targets {
  std::shared_ptr<grpc::Channel> registry, activity, gateway;
  std::shared_ptr<grpc::Channel> noop_internal, noop_gateway;  // same credentials as the real
};

// One scenario at one data size: the real response captured for the no-op server, then the
// real service and the baseline at the scenario's concurrency and at 1.
void Measure(Scenario& s, int64_t activities, const Targets& t, NoopServer& noop,
             const std::vector<int>& service_pids, Report& report) {
  const std::vector<int> db_pid = {absl::GetFlag(FLAGS_mariadb_pid)};
  const auto& real = s.target == Target::kRegistry   ? t.registry
                     : s.target == Target::kActivity ? t.activity
                                                     : t.gateway;
  const auto& baseline = s.target == Target::kGateway ? t.noop_gateway : t.noop_internal;
  LoadSpec& load = s.load;
  load.duration = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  load.max_duration = absl::Seconds(absl::GetFlag(FLAGS_max_seconds));
  load.min_calls = absl::GetFlag(FLAGS_min_calls);
  grpc::ByteBuffer captured;
  grpc::Status status = CallOnce(real, load, &captured);
  for (int refused = 0; status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED && refused < 50;
       ++refused) {  // admission control refused it (nothing ran): later
    absl::SleepFor(absl::Milliseconds(100));
    status = CallOnce(real, load, &captured);
  }
  if (!status.ok()) {
    std::fprintf(stderr, "imp_bench: %s failed: %d %s\n", s.name.c_str(), status.error_code(),
                 status.error_message().c_str());
    std::exit(1);
  }
  noop.SetResponse(load.method, captured);
  std::vector<int> levels = {s.concurrency};
  if (s.concurrency != 1) levels.push_back(1);
  for (int c : levels) {
    load.concurrency = c;
    Measurement m;
    m.scenario = s.name;
    m.activities = activities;
    m.concurrency = c;
    const ProcCounters services = ReadCounters(service_pids), db = ReadCounters(db_pid);
    m.real = RunLoad(real, load);
    m.services = ReadCounters(service_pids) - services;
    m.database = ReadCounters(db_pid) - db;
    m.noop = RunLoad(baseline, load);
    std::fprintf(stderr, "%s\n", ProgressLine(m).c_str());
    if (m.real.errors > 0) {
      report.AddNote(absl::StrCat(s.name, " at ", activities, " activities, c=", c, ": ",
                                  m.real.errors, " errors, first: ", m.real.first_error));
    }
    report.Add(std::move(m));
  }
}

std::string Header(const std::string& transport) {
  return absl::StrCat(
      "# imp benchmark\n\n", absl::GetFlag(FLAGS_header).empty() ? "" : "Command: `",
      absl::GetFlag(FLAGS_header), absl::GetFlag(FLAGS_header).empty() ? "" : "`\n\n",
      "- date: ", absl::FormatTime("%Y-%m-%d %H:%M UTC", absl::Now(), absl::UTCTimeZone()),
      "\n- machine: ", MachineSummary(),
      "\n- load average at the start (1/5/15 min): ", LoadAverage(), "\n- transport: ", transport,
      "\n- programme: ", absl::GetFlag(FLAGS_institutions), " institutions, ",
      absl::GetFlag(FLAGS_agreements), " ACTIVE agreements; activities imported in calls of ",
      absl::GetFlag(FLAGS_import_call_rows),
      " rows\n- per measurement: ", absl::GetFlag(FLAGS_seconds), " s and at least ",
      absl::GetFlag(FLAGS_min_calls), " calls (at most ", absl::GetFlag(FLAGS_max_seconds),
      " s); concurrency ", absl::GetFlag(FLAGS_concurrency),
      " (GetProgramSummary and GetPartnershipMap ", absl::GetFlag(FLAGS_aggregation_concurrency),
      ") and 1\n");
}

int Run() {
  const std::string ca = absl::GetFlag(FLAGS_ca_cert);
  const TlsOptions internal =
      LoadTls(absl::GetFlag(FLAGS_client_cert), absl::GetFlag(FLAGS_client_key), ca);
  const TlsOptions to_gateway = LoadTls("", "", ca);
  const TlsOptions noop_tls =
      LoadTls(absl::GetFlag(FLAGS_noop_cert), absl::GetFlag(FLAGS_noop_key), ca);
  if (!ca.empty() && !noop_tls.serves_tls()) {
    std::fprintf(stderr, "imp_bench: --ca_cert needs --noop_cert and --noop_key\n");
    return 2;
  }
  const int pids[] = {absl::GetFlag(FLAGS_registry_pid), absl::GetFlag(FLAGS_activity_pid),
                      absl::GetFlag(FLAGS_gateway_pid)};
  const char* names[] = {"registry", "activity", "gateway"};
  double idle_start[3];
  for (int k = 0; k < 3; ++k) idle_start[k] = ProcStatusMb(pids[k], "VmRSS");

  NoopServer noop(AllMethods(), MakeServerCredentials(noop_tls, ClientCertificates::kOptional));
  const std::string noop_address = absl::StrCat("127.0.0.1:", noop.port());
  Targets t{Channel(absl::GetFlag(FLAGS_registry), internal),
            Channel(absl::GetFlag(FLAGS_activity), internal),
            Channel(absl::GetFlag(FLAGS_gateway), to_gateway), Channel(noop_address, internal),
            Channel(noop_address, to_gateway)};
  Report report;
  report.SetHeader(Header(ca.empty() ? "plaintext (run.sh --tls: mutual TLS)"
                                     : "TLS (mutual TLS "
                                       "to the services)"));

  const std::string prefix = absl::StrCat("b", absl::ToUnixSeconds(absl::Now()) % 100000000);
  const Programme programme =
      PlanProgramme(prefix, absl::GetFlag(FLAGS_institutions), absl::GetFlag(FLAGS_agreements));
  absl::Time start = absl::Now();
  CreateProgramme(t.registry, programme);
  std::fprintf(stderr, "imp_bench: %d institutions and %d agreements created in %.1f s\n",
               absl::GetFlag(FLAGS_institutions), absl::GetFlag(FLAGS_agreements),
               absl::ToDoubleSeconds(absl::Now() - start));

  ScenarioOptions options;
  options.gateway_token = absl::GetFlag(FLAGS_token);
  options.concurrency = absl::GetFlag(FLAGS_concurrency);
  options.aggregation_concurrency = absl::GetFlag(FLAGS_aggregation_concurrency);
  std::vector<Scenario> scenarios = AllScenarios(programme, options);
  RawDatabase raw{absl::GetFlag(FLAGS_db_socket), absl::GetFlag(FLAGS_db_user),
                  std::getenv("IMP_BENCH_DB_PASSWORD") ? std::getenv("IMP_BENCH_DB_PASSWORD") : "",
                  absl::GetFlag(FLAGS_db_schema)};
  int64_t imported = 0;
  for (const std::string& size_text : absl::GetFlag(FLAGS_activities)) {
    int64_t size = 0;
    if (!absl::SimpleAtoi(size_text, &size) || size < imported) {
      std::fprintf(stderr, "imp_bench: --activities must be ascending numbers\n");
      return 2;
    }
    if (size > imported) {
      ImportFigures f = ImportActivities(t.activity, programme, imported, size - imported,
                                         absl::GetFlag(FLAGS_import_call_rows), pids[1]);
      ImportMeasurement m{f.rows, f.calls, size, f.seconds, 0, f.peak_rss_mb};
      if (!raw.socket.empty()) {
        m.raw_seconds = RawInsertSeconds(raw, programme, imported, size - imported,
                                         absl::GetFlag(FLAGS_import_call_rows));
      }
      std::fprintf(stderr,
                   "imp_bench: imported %lld rows in %d calls, %.1f s (%.0f rows/s; raw INSERT "
                   "%.0f rows/s); activity RSS peak %.0f MB\n",
                   static_cast<long long>(f.rows), f.calls, f.seconds,
                   static_cast<double>(f.rows) / f.seconds,
                   m.raw_seconds > 0 ? static_cast<double>(f.rows) / m.raw_seconds : 0.0,
                   f.peak_rss_mb);
      report.Add(m);
      imported = size;
    }
    for (bool writes : {false, true}) {
      for (auto& s : scenarios) {
        if (s.changes_data == writes && Wanted(s.name)) {
          Measure(s, size, t, noop, {pids[0], pids[1], pids[2]}, report);
        }
      }
    }
  }
  // The metrics' cost: with and without a scraper, on the same servers, at the last size.
  const std::vector<std::string> metrics_targets = absl::GetFlag(FLAGS_metrics_targets);
  if (!metrics_targets.empty()) {
    std::vector<std::string> urls;
    for (const std::string& target : metrics_targets) {
      urls.push_back(absl::StrCat("http://", target, "/metrics"));
    }
    const absl::Duration interval =
        absl::Milliseconds(absl::GetFlag(FLAGS_metrics_scrape_interval_ms));
    std::vector<MetricsCostMeasurement> costs;
    for (auto& s : scenarios) {
      if (s.name != kGetInstitution && s.name != kSummary && s.name != kCreateActivity) continue;
      if (!Wanted(s.name)) continue;
      LoadSpec load = s.load;
      load.concurrency = s.concurrency;
      load.duration = absl::Seconds(absl::GetFlag(FLAGS_seconds));
      load.max_duration = absl::Seconds(absl::GetFlag(FLAGS_max_seconds));
      load.min_calls = absl::GetFlag(FLAGS_min_calls);
      const auto& real = s.target == Target::kRegistry   ? t.registry
                         : s.target == Target::kActivity ? t.activity
                                                         : t.gateway;
      costs.push_back(MeasureMetricsCost(s.name, real, load, urls, interval));
      const MetricsCostMeasurement& m = costs.back();
      std::fprintf(stderr,
                   "imp_bench: metrics cost %s c=%d: %.0f qps without scraping, %.0f with; p99 "
                   "%.2f / %.2f ms; %lld scrapes, %lld failed\n",
                   m.scenario.c_str(), m.concurrency, m.without_scraping.qps, m.with_scraping.qps,
                   m.without_scraping.p99_ms, m.with_scraping.p99_ms,
                   static_cast<long long>(m.scrape.scrapes),
                   static_cast<long long>(m.scrape.failures));
    }
    report.AddSection(MetricsCostSection(costs, interval));
  }
  // Memory after the run, once the services have had a quiet second.
  absl::SleepFor(absl::Seconds(1));
  for (int k = 0; k < 3; ++k) {
    if (pids[k] > 0) {
      report.Add(ProcessMemory{names[k], idle_start[k], ProcStatusMb(pids[k], "VmHWM"),
                               ProcStatusMb(pids[k], "VmRSS")});
    }
  }
  report.AddNote(absl::StrCat("load average at the end (1/5/15 min): ", LoadAverage()));
  report.AddNote(
      "CreateActivity runs after the read scenarios of each data size; the activities it "
      "creates (dated like the imported ones) stay, so later sizes hold a few thousand more.");
  const std::string text = report.Render();
  std::fputs(text.c_str(), stdout);
  if (!absl::GetFlag(FLAGS_output).empty()) {
    std::ofstream out(absl::GetFlag(FLAGS_output));
    out << text;
    if (!out) {
      std::fprintf(stderr, "imp_bench: cannot write %s\n", absl::GetFlag(FLAGS_output).c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace imp::bench

int main(int argc, char** argv) {
  imp::InitProcess();
  curl_global_init(CURL_GLOBAL_DEFAULT);  // before any thread (the metrics-cost scraper)
  absl::SetProgramUsageMessage(
      "Measures the imp services against a no-op gRPC server in the same run; see "
      "tools/bench/run.sh.");
  absl::ParseCommandLine(argc, argv);
  return imp::bench::Run();
}
