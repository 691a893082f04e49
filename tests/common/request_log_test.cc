// The request log keeps the hot path free of log writes: a fast successful call is logged at
// debug level only, a slow one (--slow_call_log_ms) at info, a failed one at warning. Against a
// real server (registry-service, whose host installs the request log) and a real database.
#include "common/server/request_log.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
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

  grpc::Status List() {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-imp-actor", "log-tester");
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

}  // namespace
}  // namespace imp
