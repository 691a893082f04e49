// A direct call to a backend under mutual TLS without a client certificate, or with a "gateway"
// certificate another CA signed, is refused at the handshake: the caller gets UNAVAILABLE, the
// call never reaches the service (no request-log line for the method, which the same call with
// the internal certificate then gets) and nothing is stored. Both backends, real servers on
// loopback, certificates from deploy/tls-certs.sh.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "activity-service/src/activity_server.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "registry-service/src/registry_server.h"
#include "tests/support/log_capture.h"
#include "tests/support/test_database.h"
#include "tests/support/test_tls.h"

namespace imp {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;

constexpr char kCreateInstitution[] = "/imp.registry.v1.RegistryService/CreateInstitution";
constexpr char kCreateActivity[] = "/imp.activity.v1.ActivityService/CreateActivity";

std::shared_ptr<grpc::Channel> ChannelTo(int port, const TlsOptions& tls) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = tls.ca_pem;
  options.pem_private_key = tls.key_pem;
  options.pem_cert_chain = tls.cert_pem;
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::SslCredentials(options));
}

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("x-imp-actor", "office-admin");
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

reg::CreateInstitutionRequest NewInstitution(const std::string& id) {
  reg::CreateInstitutionRequest req;
  req.set_institution_id(id);
  req.mutable_institution()->set_display_name(absl::StrCat("Hospital ", id));
  req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
  req.mutable_institution()->set_country("UA");
  return req;
}

act::CreateActivityRequest NewConference() {
  act::CreateActivityRequest req;
  act::Activity* a = req.mutable_activity();
  a->set_title("Trauma surgery conference");
  a->set_host_institution("institutions/volyn");
  a->mutable_start_date()->set_year(2024);
  a->mutable_start_date()->set_month(5);
  a->mutable_start_date()->set_day(14);
  a->mutable_location()->set_country("UA");
  a->set_direction(act::Activity::DIRECTION_TO_UKRAINE);
  a->mutable_event()->set_type(act::EventDetails::TYPE_CONFERENCE);
  return req;
}

class DirectCallRefusalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = testing::TestCertificates::Create({"registry", "activity", "impctl-internal:client"});
    other_ca_ = testing::TestCertificates::Create({"gateway"});
    ServiceHostOptions host;
    host.readiness_interval = absl::Milliseconds(100);
    host.name = "registry";
    host.tls = certs_->For("registry");
    registry_db_ = testing::TestDatabase::Create();
    registry_ = std::make_unique<registry::RegistryServer>(host, registry_db_->pool_options());
    ASSERT_TRUE(registry_->Start().ok());
    WaitUntilServing(registry_->port());
    host.name = "activity";
    host.tls = certs_->For("activity");
    activity_db_ = testing::TestDatabase::Create();
    activity_ = std::make_unique<activity::ActivityServer>(
        host, activity_db_->pool_options(), absl::StrCat("127.0.0.1:", registry_->port()));
    ASSERT_TRUE(activity_->Start().ok());
    WaitUntilServing(activity_->port());
    reg::Institution volyn;
    grpc::Status s = reg::RegistryService::NewStub(ChannelTo(registry_->port(), Internal()))
                         ->CreateInstitution(Ctx().get(), NewInstitution("volyn"), &volyn);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  void TearDown() override {
    if (activity_) activity_->Shutdown();
    if (registry_) registry_->Shutdown();
  }

  void WaitUntilServing(int port) {
    auto health = grpc::health::v1::Health::NewStub(ChannelTo(port, Internal()));
    for (int i = 0; i < 200; ++i) {
      grpc::health::v1::HealthCheckResponse resp;
      if (health->Check(Ctx().get(), {}, &resp).ok() &&
          resp.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
        return;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "server on port " << port << " never became SERVING";
  }

  TlsOptions Internal() const { return certs_->For("impctl-internal"); }

  // Trusts the right CA for the server, but presents a "gateway" certificate another CA signed.
  TlsOptions Impostor() const {
    TlsOptions impostor = other_ca_->For("gateway");
    impostor.ca_pem = certs_->CaOnly().ca_pem;
    return impostor;
  }

  int Institutions() {
    reg::ListInstitutionsRequest req;
    req.set_show_deleted(true);
    reg::ListInstitutionsResponse resp;
    grpc::Status s = reg::RegistryService::NewStub(ChannelTo(registry_->port(), Internal()))
                         ->ListInstitutions(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.institutions_size();
  }

  int Activities() {
    act::ListActivitiesRequest req;
    req.set_show_deleted(true);
    act::ListActivitiesResponse resp;
    grpc::Status s = act::ActivityService::NewStub(ChannelTo(activity_->port(), Internal()))
                         ->ListActivities(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.activities_size();
  }

  std::unique_ptr<testing::TestCertificates> certs_, other_ca_;
  std::unique_ptr<testing::TestDatabase> registry_db_, activity_db_;
  std::unique_ptr<registry::RegistryServer> registry_;
  std::unique_ptr<activity::ActivityServer> activity_;
};

TEST_F(DirectCallRefusalTest, CallsWithoutAValidClientCertificateNeverReachEitherBackend) {
  testing::LogCapture capture;
  for (const auto& [who, tls] :
       {std::pair<const char*, TlsOptions>{"no certificate", certs_->CaOnly()},
        std::pair<const char*, TlsOptions>{"another CA's gateway", Impostor()}}) {
    act::Activity activity;
    grpc::Status s = act::ActivityService::NewStub(ChannelTo(activity_->port(), tls))
                         ->CreateActivity(Ctx().get(), NewConference(), &activity);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << who << ": " << s.error_message();
    reg::Institution institution;
    s = reg::RegistryService::NewStub(ChannelTo(registry_->port(), tls))
            ->CreateInstitution(Ctx().get(), NewInstitution("forged"), &institution);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << who << ": " << s.error_message();
  }
  const std::string refused_log = capture.Contents();
  EXPECT_EQ(Activities(), 0) << "nothing stored";
  EXPECT_EQ(Institutions(), 1) << "nothing stored (volyn only)";
  EXPECT_TRUE(testing::RpcLines(refused_log, kCreateActivity).empty()) << refused_log;
  EXPECT_TRUE(testing::RpcLines(refused_log, kCreateInstitution).empty()) << refused_log;

  // The same calls with the internal certificate reach the services and are logged: the log
  // would have shown the refused ones had they got that far.
  act::Activity activity;
  grpc::Status s = act::ActivityService::NewStub(ChannelTo(activity_->port(), Internal()))
                       ->CreateActivity(Ctx().get(), NewConference(), &activity);
  ASSERT_TRUE(s.ok()) << s.error_message();
  reg::Institution institution;
  s = reg::RegistryService::NewStub(ChannelTo(registry_->port(), Internal()))
          ->CreateInstitution(Ctx().get(), NewInstitution("forged"), &institution);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const std::string log = capture.Stop();
  EXPECT_EQ(testing::RpcLines(log, kCreateActivity).size(), 1u);
  // (CreateInstitution was also logged once when SetUp created volyn, before the capture.)
  EXPECT_EQ(testing::RpcLines(log, kCreateInstitution).size(), 1u);
  EXPECT_EQ(Activities(), 1);
}

}  // namespace
}  // namespace imp
