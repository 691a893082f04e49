// Tokens reloaded while the gateway runs: a revoked token stops working without a restart, SIGHUP
// reloads at once, a broken file keeps the tokens in force. This binary has its own main, which
// blocks SIGTERM/SIGINT/SIGHUP before any thread exists (as the gateway's main does), so that the
// signals sent to the process below are received by RunUntilSignal instead of killing it.
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "absl/time/clock.h"
#include "tests/gateway/gateway_fixture.h"
#include "tests/gateway/log_lines.h"
#include "tests/support/log_capture.h"

namespace imp::gateway {
namespace {

constexpr char kNew[] = "new-token-5";

bool Accepts(const TokenSource& tokens, const char* token) {
  const std::string header = absl::StrCat("Bearer ", token);
  return tokens.Authenticate({{"authorization", header}}).ok();
}

TEST_F(GatewayTest, ARevokedTokenStopsWorkingWithinFiveSecondsWithoutARestart) {
  v1::GetCallerResponse caller;
  ASSERT_TRUE(gw_->GetCaller(Ctx(kScoped).get(), {}, &caller).ok());
  std::string without_scoped = BaseTokens();
  without_scoped.erase(without_scoped.find(db::Sha256Hex(kScoped)));
  WriteTokens(absl::StrCat(without_scoped, db::Sha256Hex(kViewer), " viewer analyst\n"));
  const absl::Time revoked = absl::Now();
  grpc::Status status;
  while (absl::Now() - revoked < absl::Seconds(6)) {
    status = gw_->GetCaller(Ctx(kScoped).get(), {}, &caller);
    if (!status.ok()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_LT(absl::Now() - revoked, absl::Seconds(5));
  EXPECT_TRUE(gw_->GetCaller(Ctx(kAdmin).get(), {}, &caller).ok()) << "the others still work";
}

TEST_F(GatewayTest, ABrokenTokensFileKeepsTheTokensInForce) {
  testing::LogCapture capture;
  WriteTokens(absl::StrCat(db::Sha256Hex(kNew), " admin newcomer\n", "0123 admin broken\n"));
  // The watcher (no reload call yet) reads the file and refuses it: its log line is the event
  // after which the file would have applied, had it been taken.
  const std::vector<std::string> refusals =
      AwaitLogLines(EventLine("tokens_not_reloaded", tokens_file_));
  ASSERT_EQ(refusals.size(), 1u) << "the watcher never refused the file";
  EXPECT_TRUE(absl::StrContains(refusals[0], "line 2")) << refusals[0];
  v1::GetCallerResponse caller;
  EXPECT_TRUE(gw_->GetCaller(Ctx(kScoped).get(), {}, &caller).ok());
  EXPECT_EQ(gw_->GetCaller(Ctx(kNew).get(), {}, &caller).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A reload on demand (SIGHUP's) refuses it as well, naming the line.
  absl::Status refused = gateway_->ReloadTokens();
  EXPECT_TRUE(absl::IsInvalidArgument(refused)) << refused;
  EXPECT_NE(refused.message().find("line 2"), std::string::npos) << refused;
  EXPECT_TRUE(gw_->GetCaller(Ctx(kScoped).get(), {}, &caller).ok());
  // Once repaired, the new file applies.
  WriteTokens(absl::StrCat(db::Sha256Hex(kNew), " admin newcomer\n"));
  ASSERT_TRUE(gateway_->ReloadTokens().ok());
  EXPECT_TRUE(gw_->GetCaller(Ctx(kNew).get(), {}, &caller).ok());
  EXPECT_EQ(gw_->GetCaller(Ctx(kScoped).get(), {}, &caller).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST(GatewaySignals, SighupReloadsTheTokensAtOnceAndSigtermStillStopsTheGateway) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/tokens-sighup-", getpid());
  std::ofstream(path) << db::Sha256Hex(kAdmin) << " admin office-admin\n";
  GatewayOptions options;
  options.registry_target = "127.0.0.1:1";  // never called
  options.activity_target = "127.0.0.1:1";
  options.tokens_file = path;
  options.tokens_poll_interval = absl::Hours(1);  // only SIGHUP can reload within this test
  ServiceHostOptions host;
  host.name = "gateway-sighup";
  host.drain_timeout = absl::Seconds(1);
  GatewayServer gateway(host, options);
  int exit_code = -1;
  std::thread run([&] { exit_code = gateway.RunUntilSignal(); });

  std::ofstream(path + ".new") << db::Sha256Hex(kNew) << " viewer newcomer\n";
  // (EXPECT, not ASSERT, until the thread is joined.)
  EXPECT_EQ(std::rename((path + ".new").c_str(), path.c_str()), 0);
  EXPECT_FALSE(Accepts(gateway.tokens(), kNew));
  EXPECT_EQ(kill(getpid(), SIGHUP), 0);
  const absl::Time sent = absl::Now();
  while (!Accepts(gateway.tokens(), kNew) && absl::Now() - sent < absl::Seconds(2)) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_TRUE(Accepts(gateway.tokens(), kNew));
  EXPECT_FALSE(Accepts(gateway.tokens(), kAdmin));
  // The reload ran on RunUntilSignal's thread after Start(): the port is set and serving.
  auto stub = v1::GatewayService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", gateway.port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kNew));
  v1::GetCallerResponse caller;
  EXPECT_TRUE(stub->GetCaller(&ctx, {}, &caller).ok());
  EXPECT_EQ(caller.actor(), "newcomer");

  EXPECT_EQ(kill(getpid(), SIGTERM), 0);
  run.join();
  EXPECT_EQ(exit_code, 0);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace imp::gateway

int main(int argc, char** argv) {
  imp::BlockTerminationSignals();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
