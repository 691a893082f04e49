// The metrics registry's text exposition, and the admin port that serves it (--metrics_port):
// real gRPC calls counted by method and status code, an exposition Prometheus's own linter
// (promtool check metrics) accepts, and a port that held connections cannot take away.
#include "common/metrics/metrics.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/server/service_host.h"
#include "common/worker_pool.h"
#include "gtest/gtest.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "tests/support/metrics_sample.h"

namespace imp {
namespace {

namespace reg = registry::v1;
using metrics::Registry;

// GetInstitution answers OK for "institutions/ok", NOT_FOUND for anything else.
class AnsweringRegistry final : public reg::RegistryService::CallbackService {
  grpc::ServerUnaryReactor* GetInstitution(grpc::CallbackServerContext* ctx,
                                           const reg::GetInstitutionRequest* request,
                                           reg::Institution*) override {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(request->name() == "institutions/ok"
                        ? grpc::Status::OK
                        : grpc::Status(grpc::StatusCode::NOT_FOUND, "name: no such institution"));
    return reactor;
  }
};

size_t Append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

struct HttpAnswer {
  long status = 0;
  std::string body;
  std::string content_type;
};

HttpAnswer Get(const std::string& url, const std::string& method = "GET") {
  HttpAnswer answer;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
    char* type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    if (type != nullptr) answer.content_type = type;
  }
  curl_easy_cleanup(curl);
  return answer;
}

// The value of the sample `series` (name and labels exactly as rendered), or -1 when absent.
double Value(const std::string& exposition, const std::string& series) {
  const double value = testing::SampleIn(exposition, series);
  return std::isnan(value) ? -1 : value;
}

// promtool's verdict on an exposition: "" when it has nothing to say, else what it said.
std::string PromtoolProblems(const std::string& exposition) {
  char path[] = "/tmp/imp-metrics-XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, exposition.data(), exposition.size()),
            static_cast<ssize_t>(exposition.size()));
  close(fd);
  std::string output;
  FILE* pipe =
      popen(absl::StrCat("promtool check metrics < ", path, " 2>&1; echo rc=$?").c_str(), "r");
  char buffer[4096];
  while (pipe != nullptr && fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  if (pipe != nullptr) pclose(pipe);
  unlink(path);
  return output == "rc=0\n" ? "" : output;
}

grpc::Status GetInstitution(const std::string& target, const std::string& name) {
  auto stub = reg::RegistryService::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  reg::GetInstitutionRequest request;
  request.set_name(name);
  reg::Institution response;
  return stub->GetInstitution(&ctx, request, &response);
}

class MetricsPortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServiceHostOptions options;
    options.name = "registry";
    options.metrics_port = -1;  // a free port
    host_ = std::make_unique<ServiceHost>(options);
    host_->AddService(&service_, reg::RegistryService::service_full_name());
    ASSERT_TRUE(host_->Start().ok());
    target_ = absl::StrCat("127.0.0.1:", host_->port());
    url_ = absl::StrCat("http://127.0.0.1:", host_->metrics_port(), "/metrics");
  }

  AnsweringRegistry service_;
  std::unique_ptr<ServiceHost> host_;
  std::string target_, url_;
};

constexpr char kOkSeries[] =
    "grpc_server_handled_total{grpc_service=\"imp.registry.v1.RegistryService\","
    "grpc_method=\"GetInstitution\",grpc_code=\"OK\"}";
constexpr char kNotFoundSeries[] =
    "grpc_server_handled_total{grpc_service=\"imp.registry.v1.RegistryService\","
    "grpc_method=\"GetInstitution\",grpc_code=\"NOT_FOUND\"}";

TEST_F(MetricsPortTest, CallsAreCountedByMethodAndStatusCodeAndTimed) {
  // Counters are process-wide and other tests of this binary may have counted calls: compare
  // with the values before.
  const std::string before = Get(url_).body;
  const double ok_before = std::max(0.0, Value(before, kOkSeries));
  const double not_found_before = std::max(0.0, Value(before, kNotFoundSeries));
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(GetInstitution(target_, "institutions/ok").ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(GetInstitution(target_, "institutions/missing").error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  const HttpAnswer after = Get(url_);
  ASSERT_EQ(after.status, 200);
  EXPECT_EQ(after.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(Value(after.body, kOkSeries) - ok_before, 7);
  EXPECT_EQ(Value(after.body, kNotFoundSeries) - not_found_before, 3);
  const std::string count =
      "grpc_server_handling_seconds_count{grpc_service=\"imp.registry.v1.RegistryService\","
      "grpc_method=\"GetInstitution\"}";
  EXPECT_GE(Value(after.body, count), 10);
  EXPECT_EQ(Value(after.body,
                  "grpc_server_in_flight{grpc_service=\"imp.registry.v1.RegistryService\","
                  "grpc_method=\"GetInstitution\"}"),
            0);
  EXPECT_GT(Value(after.body, "process_open_fds"), 0);
  EXPECT_GT(Value(after.body, "process_max_fds"), 0);
  EXPECT_GT(Value(after.body, "process_resident_memory_bytes"), 0);
  EXPECT_GE(Value(after.body, "imp_worker_pool_threads"), 1);
  EXPECT_GE(Value(after.body, "imp_connections_accepted_total{port=\"main\"}"), 1);
}

TEST_F(MetricsPortTest, TheExpositionPassesPromtoolCheckMetrics) {
  ASSERT_TRUE(GetInstitution(target_, "institutions/ok").ok());
  ASSERT_EQ(GetInstitution(target_, "institutions/x").error_code(), grpc::StatusCode::NOT_FOUND);
  const HttpAnswer answer = Get(url_);
  ASSERT_EQ(answer.status, 200);
  EXPECT_EQ(PromtoolProblems(answer.body), "") << answer.body.substr(0, 2000);
}

TEST_F(MetricsPortTest, ACallToAnUnknownMethodIsCountedUnderUnknownNotUnderItsPath) {
  grpc::GenericStub stub(grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1), response;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&ctx, "/imp.registry.v1.RegistryService/NoSuchMethodAttackerChose",
                 grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  const std::string body = Get(url_).body;
  EXPECT_FALSE(absl::StrContains(body, "NoSuchMethodAttackerChose"));
  EXPECT_GE(Value(body,
                  "grpc_server_handled_total{grpc_service=\"unknown\",grpc_method=\"unknown\","
                  "grpc_code=\"UNIMPLEMENTED\"}"),
            1);
}

TEST_F(MetricsPortTest, OnlyGetOfMetricsIsAnswered) {
  const std::string root = url_.substr(0, url_.size() - std::string("/metrics").size());
  EXPECT_EQ(Get(root + "/").status, 404);
  EXPECT_EQ(Get(root + "/metrics/../secrets").status, 404);
  EXPECT_EQ(Get(url_, "POST").status, 405);
  EXPECT_EQ(Get(url_, "DELETE").status, 405);
}

// A connection to 127.0.0.1:port from the loopback source address `source` (Linux routes all of
// 127/8 to lo), held open without sending anything.
int HoldConnection(const char* source, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, source, &from.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) return -1;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

TEST_F(MetricsPortTest, ConnectionsHeldByOneAddressDoNotStopAScrapeFromAnother) {
  // 100 idle connections from 127.0.0.2: past its per-address limit (8) and the port's (32).
  std::vector<int> held;
  for (int i = 0; i < 100; ++i) {
    const int fd = HoldConnection("127.0.0.2", host_->metrics_port());
    if (fd >= 0) held.push_back(fd);
  }
  ASSERT_FALSE(held.empty());
  // The scraper, from 127.0.0.1, is answered at once, every time.
  for (int i = 0; i < 5; ++i) {
    const HttpAnswer answer = Get(url_);
    EXPECT_EQ(answer.status, 200);
    EXPECT_TRUE(absl::StrContains(answer.body, "grpc_server_started_total"));
  }
  for (int fd : held) close(fd);
}

TEST(AdmissionMetrics, ARefusedCallIsCountedUnderItsReasonAndTheQueueIsSeen) {
  const std::string series = "imp_admission_refusals_total{reason=\"queue_full\"}";
  const double before = std::max(0.0, Value(Registry::Default().Render(), series));
  absl::Notification release, started;
  WorkerPool pool(1, 1);
  ASSERT_TRUE(pool.Submit([&] {
                    started.Notify();
                    release.WaitForNotification();
                  })
                  .ok());
  started.WaitForNotification();
  ASSERT_TRUE(pool.Submit([] {}).ok());
  EXPECT_EQ(pool.Submit([] {}).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(pool.Submit([] {}).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Value(Registry::Default().Render(), series) - before, 2);
  const WorkerPool::Load load = pool.load();
  EXPECT_EQ(load.threads, 1u);
  EXPECT_EQ(load.busy, 1u);
  EXPECT_EQ(load.queued, 1u);
  release.Notify();
}

TEST(ServingMetric, FollowsWhatHealthReports) {
  std::atomic<bool> ready{false};
  ServiceHostOptions options;
  options.name = "registry";
  options.metrics_port = -1;
  options.readiness_interval = absl::Milliseconds(20);
  ServiceHost host(options);
  host.SetReadinessCheck(
      [&](absl::Time) { return ready ? absl::OkStatus() : absl::UnavailableError("not yet"); });
  ASSERT_TRUE(host.Start().ok());
  const std::string url = absl::StrCat("http://127.0.0.1:", host.metrics_port(), "/metrics");
  // Polls the exposition until imp_serving reads `want` (bounded: 5 s).
  auto await_serving = [&](double want) {
    double seen = -1;
    for (absl::Time end = absl::Now() + absl::Seconds(5); absl::Now() < end;
         absl::SleepFor(absl::Milliseconds(10))) {
      if ((seen = Value(Get(url).body, "imp_serving")) == want) break;
    }
    return seen;
  };
  EXPECT_EQ(await_serving(0), 0);
  ready = true;
  EXPECT_EQ(await_serving(1), 1);
  ready = false;
  EXPECT_EQ(await_serving(0), 0);
}

TEST(MetricsRegistry, RendersCountersGaugesAndCumulativeHistogramBuckets) {
  Registry registry;
  registry.AddCounter("t_calls_total", "Calls.", {"code"}).With({"OK"}).Increment(3);
  registry.AddGauge("t_depth", "Depth.").With({}).Set(2.5);
  auto& histogram = registry.AddHistogram("t_seconds", "Time.", {}, {0.1, 1});
  histogram.With({}).Observe(0.05);
  histogram.With({}).Observe(0.5);
  histogram.With({}).Observe(7);
  const std::string text = registry.Render();
  EXPECT_EQ(text,
            "# HELP t_calls_total Calls.\n# TYPE t_calls_total counter\n"
            "t_calls_total{code=\"OK\"} 3\n"
            "# HELP t_depth Depth.\n# TYPE t_depth gauge\nt_depth 2.5\n"
            "# HELP t_seconds Time.\n# TYPE t_seconds histogram\n"
            "t_seconds_bucket{le=\"0.1\"} 1\nt_seconds_bucket{le=\"1\"} 2\n"
            "t_seconds_bucket{le=\"+Inf\"} 3\nt_seconds_sum 7.55\nt_seconds_count 3\n");
  EXPECT_EQ(PromtoolProblems(text), "");
}

TEST(MetricsRegistry, LabelValuesAreEscapedSoALineStaysOneSample) {
  Registry registry;
  registry.AddCounter("t_total", "T.", {"v"}).With({"a\"b\\c\nd"}).Increment();
  EXPECT_TRUE(absl::StrContains(registry.Render(), "t_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

TEST(MetricsRegistry, AFamilyPastItsSeriesLimitCountsTheRestUnderOverflow) {
  Registry registry;
  auto& family = registry.AddCounter("t_total", "T.", {"v"});
  for (size_t i = 0; i < metrics::kMaxSeriesPerFamily + 50; ++i) {
    family.With({absl::StrCat("value", i)}).Increment();
  }
  EXPECT_EQ(family.Series().size(), metrics::kMaxSeriesPerFamily + 1);
  EXPECT_TRUE(absl::StrContains(registry.Render(), "t_total{v=\"overflow\"} 50\n"));
}

TEST(MetricsRegistry, SourcesOfOneNameAreSummedAndLeaveWithTheirHandle) {
  Registry registry;
  auto source = [&](double value) {
    return registry.AddSource("t_queue", "Queue.", metrics::Type::kGauge, {},
                              [value](std::vector<metrics::Sample>& out) {
                                out.push_back({{}, value});
                              });
  };
  metrics::SourceHandle a = source(2);
  {
    metrics::SourceHandle b = source(5);
    EXPECT_TRUE(absl::StrContains(registry.Render(), "t_queue 7\n"));
  }
  EXPECT_TRUE(absl::StrContains(registry.Render(), "t_queue 2\n"));
  a.Reset();
  EXPECT_FALSE(absl::StrContains(registry.Render(), "t_queue"));
}

}  // namespace
}  // namespace imp
