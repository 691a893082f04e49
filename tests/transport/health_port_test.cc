// --health_port: grpc.health.v1, and nothing else, in plaintext on a port of its own, mirroring
// the main port's statuses; for probes that cannot speak TLS (Kubernetes' grpc probe).
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/server/service_host.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "tests/support/test_database.h"

namespace imp {
namespace {

namespace reg = registry::v1;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

class AnsweringRegistry final : public reg::RegistryService::CallbackService {
  grpc::ServerUnaryReactor* GetInstitution(grpc::CallbackServerContext* ctx,
                                           const reg::GetInstitutionRequest*,
                                           reg::Institution*) override {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

std::string Health(const std::string& target, const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  HealthCheckRequest req;
  req.set_service(service);
  HealthCheckResponse resp;
  grpc::Status s = stub->Check(&ctx, req, &resp);
  if (!s.ok()) return absl::StrCat("error ", s.error_code());
  return HealthCheckResponse::ServingStatus_Name(resp.status());
}

std::string AwaitHealth(const std::string& target, const std::string& service,
                        const std::string& want) {
  std::string last;
  for (int i = 0; i < 50 && (last = Health(target, service)) != want; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  return last;
}

TEST(HealthPortTest, TheHealthPortServesOnlyHealthInPlaintextAndMirrorsTheMainPort) {
  std::atomic<bool> ready{false};
  AnsweringRegistry service;
  ServiceHostOptions options;
  options.name = "registry";
  options.readiness_interval = absl::Milliseconds(50);
  options.health_port = testing::PickFreePort();
  ServiceHost host(options);
  host.AddService(&service, reg::RegistryService::service_full_name());
  host.SetReadinessCheck(
      [&](absl::Time) { return ready ? absl::OkStatus() : absl::UnavailableError("not yet"); });
  ASSERT_TRUE(host.Start().ok());
  const std::string main = absl::StrCat("127.0.0.1:", host.port());
  const std::string health = absl::StrCat("127.0.0.1:", options.health_port);
  const std::string name = reg::RegistryService::service_full_name();

  EXPECT_EQ(AwaitHealth(health, name, "NOT_SERVING"), "NOT_SERVING");
  ready = true;
  EXPECT_EQ(AwaitHealth(health, name, "SERVING"), "SERVING");
  EXPECT_EQ(AwaitHealth(health, "", "SERVING"), "SERVING");
  EXPECT_EQ(Health(main, name), "SERVING");

  // The API itself is not on the health port.
  auto call = [](const std::string& target) {
    auto stub = reg::RegistryService::NewStub(
        grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    reg::GetInstitutionRequest req;
    reg::Institution out;
    return stub->GetInstitution(&ctx, req, &out).error_code();
  };
  EXPECT_EQ(call(main), grpc::StatusCode::OK);
  EXPECT_EQ(call(health), grpc::StatusCode::UNIMPLEMENTED);

  ready = false;
  EXPECT_EQ(AwaitHealth(health, name, "NOT_SERVING"), "NOT_SERVING");
  host.Shutdown();
}

}  // namespace
}  // namespace imp
