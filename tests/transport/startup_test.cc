// Start-up refusals: a server never shares a port it does not own, and TLS files are checked
// before anything listens.
#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/net/tls.h"
#include "common/server/service_host.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/test_tls.h"

namespace imp {
namespace {

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

TEST(ServiceHostPortTest, SecondServerOnATakenPortFailsToStartAndTheFirstKeepsServing) {
  ServiceHostOptions options;
  options.name = "first";
  ServiceHost first(options);
  ASSERT_TRUE(first.Start().ok());

  options.name = "second";
  options.port = first.port();
  ServiceHost second(options);
  absl::Status started = second.Start();
  EXPECT_TRUE(absl::IsUnavailable(started)) << started;
  EXPECT_TRUE(absl::StrContains(started.message(), "in use")) << started;

  // Every new connection reaches the first server, which still answers.
  for (int i = 0; i < 10; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", i);  // a fresh connection each time
    auto health = grpc::health::v1::Health::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", first.port()), grpc::InsecureChannelCredentials(), args));
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status s = health->Check(Ctx().get(), {}, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
}

TEST(TlsFilesTest, AKeyThatDoesNotMatchTheCertificateIsRefusedNamingTheFlag) {
  auto certs = testing::TestCertificates::Create({"registry", "gateway"});
  TlsFiles files;
  files.cert = certs->Path("registry.pem");
  files.key = certs->Path("gateway.key");
  auto tls = LoadTlsFiles(files);
  ASSERT_FALSE(tls.ok());
  EXPECT_TRUE(absl::StrContains(tls.status().message(), "--tls_key")) << tls.status();

  files.key = certs->Path("registry.key");
  files.ca = certs->Path("missing-ca.pem");
  tls = LoadTlsFiles(files);
  ASSERT_FALSE(tls.ok());
  EXPECT_TRUE(absl::StrContains(tls.status().message(), "--tls_ca")) << tls.status();

  files.ca = certs->Path("ca.pem");
  tls = LoadTlsFiles(files);
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_TRUE(tls->serves_tls() && tls->calls_tls());
}

}  // namespace
}  // namespace imp
