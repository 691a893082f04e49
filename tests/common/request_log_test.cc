// The request log keeps the hot path free of log writes: a fast successful call is logged at
// debug level only, a slow one (--slow_call_log_ms) or a sampled one (traceparent flag 01) at
// info, a failed one at warning; every line names the call's trace id. Against a real server
// (registry-service, whose host installs the request log) and a real database.
#include "common/server/request_log.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/server/trace.h"
#include "gtest/gtest.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "registry-service/src/registry_server.h"
#include "tests/support/log_capture.h"
#include "tests/support/test_database.h"

namespace imp {
namespace {

namespace reg = imp::registry::v1;

constexpr char kList[] = "/imp.registry.v1.RegistryService/ListCooperationAreas";
constexpr char kGet[] = "/imp.registry.v1.RegistryService/GetInstitution";

class RequestLogTest : public ::testing::Test {
 protected:
  // The threshold is read when the server starts.
  void StartServer(absl::Duration slow_call) {
    absl::SetFlag(&FLAGS_slow_call_log_ms, static_cast<int>(absl::ToInt64Milliseconds(slow_call)));
    db_ = testing::TestDatabase::Create();
    ServiceHostOptions host;
    host.name = "request-log-test";
    host.readiness_interval = absl::Milliseconds(100);
    server_ = std::make_unique<registry::RegistryServer>(host, db_->pool_options());
    ASSERT_TRUE(server_->Start().ok());
    stub_ = reg::RegistryService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 100 && !List().ok(); ++i) absl::SleepFor(absl::Milliseconds(50));
    ASSERT_TRUE(List().ok()) << "registry never became ready";
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    SetMinLogLevel(LogLevel::kInfo);
  }

  grpc::Status List(const std::string& traceparent = "") {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-imp-actor", "log-tester");
    if (!traceparent.empty()) ctx.AddMetadata(kTraceparentMetadataKey, traceparent);
    reg::ListCooperationAreasResponse resp;
    return stub_->ListCooperationAreas(&ctx, {}, &resp);
  }

  grpc::Status GetUnknown() {
    grpc::ClientContext ctx;
    reg::GetInstitutionRequest req;
    req.set_name("institutions/nobody-here");
    reg::Institution out;
    return stub_->GetInstitution(&ctx, req, &out);
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<registry::RegistryServer> server_;
  std::unique_ptr<reg::RegistryService::Stub> stub_;
};

TEST_F(RequestLogTest, FastSuccessfulCallsAreNotLoggedAtInfoLevelButFailedCallsAre) {
  StartServer(absl::Minutes(1));
  testing::LogCapture capture;
  SetMinLogLevel(LogLevel::kInfo);  // the default level
  ASSERT_TRUE(List().ok());
  ASSERT_EQ(GetUnknown().error_code(), grpc::StatusCode::NOT_FOUND);
  const std::string log = capture.Stop();

  EXPECT_TRUE(testing::RpcLines(log, kList).empty()) << log;
  const auto failed = testing::RpcLines(log, kGet);
  ASSERT_EQ(failed.size(), 1u) << log;
  EXPECT_TRUE(absl::StrContains(failed[0], "level=warning")) << failed[0];
  EXPECT_TRUE(absl::StrContains(failed[0], "status=NOT_FOUND")) << failed[0];
}

TEST_F(RequestLogTest, FastSuccessfulCallsAreLoggedAtDebugLevelWithTheirActor) {
  StartServer(absl::Minutes(1));
  testing::LogCapture capture;  // down to debug
  ASSERT_TRUE(List().ok());
  const auto lines = testing::RpcLines(capture.Stop(), kList);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StrContains(lines[0], "level=debug")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "status=OK")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "actor=log-tester")) << lines[0];
}

TEST_F(RequestLogTest, SuccessfulCallsAtTheSlowCallThresholdAreLoggedAtInfoLevel) {
  StartServer(absl::ZeroDuration());  // every call is at least 0 ms
  testing::LogCapture capture;
  SetMinLogLevel(LogLevel::kInfo);
  ASSERT_TRUE(List().ok());
  const auto lines = testing::RpcLines(capture.Stop(), kList);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StrContains(lines[0], "level=info")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "latency_ms=")) << lines[0];
}

constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";

TEST_F(RequestLogTest, SampledCallsAreLoggedAtInfoLevelEvenWhenFastAndSuccessful) {
  StartServer(absl::Minutes(1));
  testing::LogCapture capture;
  SetMinLogLevel(LogLevel::kInfo);
  ASSERT_TRUE(List(absl::StrCat("00-", kTraceId, "-00f067aa0ba902b7-01")).ok());
  ASSERT_TRUE(List(absl::StrCat("00-", kTraceId, "-00f067aa0ba902b7-00")).ok());  // not sampled
  const auto lines = testing::RpcLines(capture.Stop(), kList);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StrContains(lines[0], "level=info")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], absl::StrCat(" trace_id=", kTraceId, " "))) << lines[0];
}

TEST_F(RequestLogTest, EveryLineNamesTheTraceIdTheCallerSentOrOneTheServerMade) {
  StartServer(absl::Minutes(1));
  testing::LogCapture capture;  // down to debug
  ASSERT_TRUE(List(absl::StrCat("00-", kTraceId, "-00f067aa0ba902b7-00")).ok());
  ASSERT_TRUE(List().ok());
  ASSERT_TRUE(List("00-not-a-traceparent").ok());
  ASSERT_EQ(GetUnknown().error_code(), grpc::StatusCode::NOT_FOUND);
  const std::string log = capture.Stop();
  const auto lines = testing::RpcLines(log, kList);
  ASSERT_EQ(lines.size(), 3u) << log;
  EXPECT_TRUE(absl::StrContains(lines[0], absl::StrCat(" trace_id=", kTraceId, " "))) << lines[0];
  std::vector<std::string> made;
  for (const auto& line : {lines[1], lines[2], testing::RpcLines(log, kGet).at(0)}) {
    const size_t at = line.find(" trace_id=");
    ASSERT_NE(at, std::string::npos) << line;
    const std::string id = line.substr(at + 10, 32);
    EXPECT_TRUE(ParseTraceparent(absl::StrCat("00-", id, "-00f067aa0ba902b7-00"))) << line;
    EXPECT_NE(id, kTraceId) << line;
    made.push_back(id);
  }
  EXPECT_NE(made[0], made[1]) << "each call its own trace";
  EXPECT_NE(made[1], made[2]) << "each call its own trace";
}

}  // namespace
}  // namespace imp
