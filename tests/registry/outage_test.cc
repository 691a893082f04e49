// Foundation guarantee, proven over gRPC: while MariaDB is down the service reports NOT_SERVING
// and its RPCs fail with UNAVAILABLE and a clear message; when MariaDB returns the service
// recovers by itself (no restart) and acknowledged writes are still there.
#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "registry-service/src/registry_server.h"
#include "tests/support/test_database.h"

namespace imp::registry {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

class OutageTest : public ::testing::Test {
 protected:
  HealthCheckResponse::ServingStatus Health(const std::string& service = "") {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    grpc::Status s = health_->Check(&ctx, req, &resp);
    return s.ok() ? resp.status() : HealthCheckResponse::UNKNOWN;
  }

  bool WaitForHealth(HealthCheckResponse::ServingStatus want) {
    for (int i = 0; i < 200; ++i) {
      if (Health() == want && Health("imp.registry.v1.RegistryService") == want) {
        return true;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  grpc::Status Create(const std::string& id) {
    v1::CreateInstitutionRequest req;
    req.set_institution_id(id);
    req.mutable_institution()->set_display_name(absl::StrCat("Hospital ", id));
    req.mutable_institution()->set_kind(v1::Institution::KIND_HOSPITAL);
    req.mutable_institution()->set_country("UA");
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::Institution out;
    return stub_->CreateInstitution(&ctx, req, &out);
  }

  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
  std::unique_ptr<v1::RegistryService::Stub> stub_;
};

TEST_F(OutageTest, NotServingAndUnavailableWhileTheDatabaseIsDownThenRecovers) {
  testing::PrivateMariaDb mariadb;
  mariadb.Start();
  auto db = testing::TestDatabase::Create(mariadb.socket());
  ServiceHostOptions host;
  host.name = "registry-outage-test";
  host.readiness_interval = absl::Milliseconds(100);
  db::PoolOptions pool = db->pool_options();
  pool.validate_after_idle = absl::ZeroDuration();
  RegistryServer server(host, pool);
  ASSERT_TRUE(server.Start().ok());
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.port()),
                                     grpc::InsecureChannelCredentials());
  health_ = grpc::health::v1::Health::NewStub(channel);
  stub_ = v1::RegistryService::NewStub(channel);

  ASSERT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));
  ASSERT_TRUE(Create("before").ok());

  mariadb.Stop();
  EXPECT_TRUE(WaitForHealth(HealthCheckResponse::NOT_SERVING));
  grpc::Status down = Create("during");
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE) << down.error_message();
  EXPECT_NE(down.error_message().find("database unavailable"), std::string::npos)
      << down.error_message();

  mariadb.Start();
  EXPECT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));
  EXPECT_TRUE(Create("after").ok());
  grpc::ClientContext ctx;
  v1::GetInstitutionRequest get;
  get.set_name("institutions/before");
  v1::Institution before;
  EXPECT_TRUE(stub_->GetInstitution(&ctx, get, &before).ok()) << "an acknowledged write was lost";
  EXPECT_EQ(db->QueryString("SELECT COUNT(*) FROM institutions"), "2");
  server.Shutdown();
  EXPECT_EQ(Health(), HealthCheckResponse::UNKNOWN) << "a stopped server must not answer";
}

}  // namespace
}  // namespace imp::registry
