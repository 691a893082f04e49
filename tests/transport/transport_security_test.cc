// TLS, mutual TLS and caller identity against real servers on loopback: who may connect to a
// backend, whose x-imp-actor the audit trail believes, and that a taken port is refused.
// Certificates come from deploy/tls-certs.sh, as in a local deployment.
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "activity-service/src/activity_server.h"
#include "common/db/migrations.h"
#include "gateway/src/gateway_server.h"
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

constexpr char kAdminToken[] = "admin-token-for-tls";

ServiceHostOptions Host(const std::string& name, TlsOptions tls) {
  ServiceHostOptions host;
  host.name = name;
  host.readiness_interval = absl::Milliseconds(100);
  host.tls = std::move(tls);
  return host;
}

// A channel the way a client holding `tls` opens it, written out with gRPC's own credentials
// (independent of the MakeChannel under test): TLS verifying the server against tls.ca_pem,
// presenting tls.cert_pem when set; plaintext when there is no CA.
std::shared_ptr<grpc::Channel> ChannelTo(int port, const TlsOptions& tls) {
  const std::string target = absl::StrCat("127.0.0.1:", port);
  if (tls.ca_pem.empty()) return grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = tls.ca_pem;
  options.pem_private_key = tls.key_pem;
  options.pem_cert_chain = tls.cert_pem;
  return grpc::CreateChannel(target, grpc::SslCredentials(options));
}

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& actor = "",
                                         const std::string& token = "") {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!actor.empty()) ctx->AddMetadata("x-imp-actor", actor);
  if (!token.empty()) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

reg::CreateInstitutionRequest NewInstitution(const std::string& id) {
  reg::CreateInstitutionRequest req;
  req.set_institution_id(id);
  req.mutable_institution()->set_display_name(absl::StrCat("Hospital ", id));
  req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
  req.mutable_institution()->set_country("UA");
  req.mutable_institution()->set_region("UA-46");
  return req;
}

act::CreateActivityRequest NewConference(const std::string& host_id) {
  act::CreateActivityRequest req;
  act::Activity* a = req.mutable_activity();
  a->set_title("Trauma surgery conference");
  a->set_host_institution("institutions/" + host_id);
  a->mutable_start_date()->set_year(2024);
  a->mutable_start_date()->set_month(5);
  a->mutable_start_date()->set_day(14);
  a->mutable_location()->set_country("UA");
  a->set_direction(act::Activity::DIRECTION_TO_UKRAINE);
  a->mutable_event()->set_type(act::EventDetails::TYPE_CONFERENCE);
  return req;
}

class TransportSecurityTest : public ::testing::Test {
 protected:
  // One CA for the suite's certificates and another, unrelated CA, made once for the binary.
  static void SetUpTestSuite() {
    certs_ = testing::TestCertificates::Create(
        {"gateway", "registry", "activity", "impctl-internal:client"});
    other_ca_ = testing::TestCertificates::Create({"gateway"});
  }
  static void TearDownTestSuite() {
    certs_.reset();
    other_ca_.reset();
  }

  void TearDown() override {
    if (gateway_) gateway_->Shutdown();
    if (activity_) activity_->Shutdown();
    if (registry_) registry_->Shutdown();
    if (!tokens_file_.empty()) std::remove(tokens_file_.c_str());
  }

  void StartRegistry(ServiceHostOptions host) {
    registry_db_ = testing::TestDatabase::Create();
    registry_ = std::make_unique<registry::RegistryServer>(host, registry_db_->pool_options());
    absl::Status started = registry_->Start();
    ASSERT_TRUE(started.ok()) << started;
    WaitUntilServing(registry_->port(), host.tls);
  }

  void StartActivity(ServiceHostOptions host) {
    activity_db_ = testing::TestDatabase::Create();
    activity_ = std::make_unique<activity::ActivityServer>(
        host, activity_db_->pool_options(), absl::StrCat("127.0.0.1:", registry_->port()));
    absl::Status started = activity_->Start();
    ASSERT_TRUE(started.ok()) << started;
    WaitUntilServing(activity_->port(), host.tls);
  }

  void StartGateway(ServiceHostOptions host) {
    tokens_file_ = absl::StrCat(::testing::TempDir(), "/tls-tokens-", registry_->port(), ".txt");
    std::ofstream(tokens_file_) << db::Sha256Hex(kAdminToken) << " admin office-admin\n";
    gateway::GatewayOptions options;
    options.registry_target = absl::StrCat("127.0.0.1:", registry_->port());
    options.activity_target = absl::StrCat("127.0.0.1:", activity_ ? activity_->port() : 1);
    options.tokens_file = tokens_file_;
    options.backend_timeout = absl::Seconds(5);
    gateway_ = std::make_unique<gateway::GatewayServer>(host, options);
    absl::Status started = gateway_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  // Health, until the database is migrated: over an internal-tools channel when the server
  // serves TLS.
  void WaitUntilServing(int port, const TlsOptions& server_tls) {
    auto health = grpc::health::v1::Health::NewStub(
        ChannelTo(port, server_tls.serves_tls() ? Internal() : TlsOptions{}));
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

  // The internal-tools client certificate (CN impctl-internal) that up.sh makes.
  static TlsOptions Internal() { return certs_->For("impctl-internal"); }

  std::unique_ptr<reg::RegistryService::Stub> Registry(const TlsOptions& client) {
    return reg::RegistryService::NewStub(ChannelTo(registry_->port(), client));
  }

  // The actors of `name`'s audit trail, newest first, read with the internal certificate.
  std::vector<std::string> RegistryActors(const std::string& name) {
    reg::ListChangesRequest req;
    req.set_name(name);
    reg::ListChangesResponse resp;
    grpc::Status s = Registry(Internal())->ListChanges(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> actors;
    for (const auto& change : resp.changes()) actors.push_back(change.actor());
    return actors;
  }

  int InstitutionCount() {
    reg::ListInstitutionsRequest req;
    req.set_show_deleted(true);
    reg::ListInstitutionsResponse resp;
    grpc::Status s = Registry(Internal())->ListInstitutions(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.institutions_size();
  }

  static inline std::unique_ptr<testing::TestCertificates> certs_;
  static inline std::unique_ptr<testing::TestCertificates> other_ca_;
  std::unique_ptr<testing::TestDatabase> registry_db_;
  std::unique_ptr<testing::TestDatabase> activity_db_;
  std::unique_ptr<registry::RegistryServer> registry_;
  std::unique_ptr<activity::ActivityServer> activity_;
  std::unique_ptr<gateway::GatewayServer> gateway_;
  std::string tokens_file_;
};

TEST_F(TransportSecurityTest, RegistryUnderMutualTlsRefusesAPlaintextClient) {
  StartRegistry(Host("registry", certs_->For("registry")));
  reg::Institution out;
  grpc::Status s =
      Registry(TlsOptions{})
          ->CreateInstitution(Ctx("office-admin").get(), NewInstitution("plain"), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(InstitutionCount(), 0);
}

TEST_F(TransportSecurityTest, RegistryUnderMutualTlsRefusesAClientWithoutACertificate) {
  StartRegistry(Host("registry", certs_->For("registry")));
  reg::Institution out;
  grpc::Status s =
      Registry(certs_->CaOnly())
          ->CreateInstitution(Ctx("office-admin").get(), NewInstitution("nocert"), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(InstitutionCount(), 0);
}

TEST_F(TransportSecurityTest, RegistryRefusesAGatewayCertificateFromAnotherCa) {
  StartRegistry(Host("registry", certs_->For("registry")));
  // Trusts the right CA for the server, but presents a "gateway" certificate another CA signed.
  TlsOptions impostor = other_ca_->For("gateway");
  impostor.ca_pem = certs_->CaOnly().ca_pem;
  reg::DeleteInstitutionRequest del;
  del.set_name("institutions/anything");
  reg::Institution out;
  grpc::Status s = Registry(impostor)->DeleteInstitution(Ctx("office-admin").get(), del, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  s = Registry(impostor)->CreateInstitution(Ctx("office-admin").get(), NewInstitution("forged"),
                                            &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(InstitutionCount(), 0);
}

TEST_F(TransportSecurityTest, ClientCertificateOtherThanTheGatewaysCannotImpersonateAnActor) {
  StartRegistry(Host("registry", certs_->For("registry")));
  reg::Institution created;
  grpc::Status s =
      Registry(Internal())
          ->CreateInstitution(Ctx("office-admin").get(), NewInstitution("lviv-rch"), &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // Another service's certificate is no better: only the gateway forwards an actor.
  reg::UpdateInstitutionRequest update;
  update.mutable_institution()->set_name(created.name());
  update.mutable_institution()->set_city("Lviv");
  update.mutable_update_mask()->add_paths("city");
  reg::Institution updated;
  s = Registry(certs_->For("activity"))
          ->UpdateInstitution(Ctx("office-admin").get(), update, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  reg::DeleteInstitutionRequest del;
  del.set_name(created.name());
  reg::Institution deleted;
  s = Registry(Internal())->DeleteInstitution(Ctx("office-admin").get(), del, &deleted);
  ASSERT_TRUE(s.ok()) << s.error_message();

  EXPECT_EQ(
      RegistryActors(created.name()),
      (std::vector<std::string>{"peer:impctl-internal", "peer:activity", "peer:impctl-internal"}));
}

TEST_F(TransportSecurityTest, RequestLogNamesTheCertificatesIdentityNotTheClaimedActor) {
  StartRegistry(Host("registry", certs_->For("registry")));
  testing::LogCapture capture;
  reg::Institution out;
  grpc::Status s =
      Registry(Internal())
          ->CreateInstitution(Ctx("office-admin").get(), NewInstitution("logged"), &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const auto lines =
      testing::RpcLines(capture.Stop(), "/imp.registry.v1.RegistryService/CreateInstitution");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StrContains(lines[0], "actor=peer:impctl-internal")) << lines[0];
  EXPECT_FALSE(absl::StrContains(lines[0], "office-admin")) << lines[0];
}

TEST_F(TransportSecurityTest, ActivityServiceCallsTheRegistryAsItsOwnIdentityOverMutualTls) {
  StartRegistry(Host("registry", certs_->For("registry")));
  StartActivity(Host("activity", certs_->For("activity")));
  reg::Institution host;
  grpc::Status s =
      Registry(Internal())->CreateInstitution(Ctx().get(), NewInstitution("volyn"), &host);
  ASSERT_TRUE(s.ok()) << s.error_message();

  testing::LogCapture capture;
  auto activities = act::ActivityService::NewStub(ChannelTo(activity_->port(), Internal()));
  act::Activity created;
  s = activities->CreateActivity(Ctx("office-admin").get(), NewConference("volyn"), &created);
  ASSERT_TRUE(s.ok()) << s.error_message();  // the reference check reached the registry
  const auto lines =
      testing::RpcLines(capture.Stop(), "/imp.registry.v1.RegistryService/BatchGetInstitutions");
  ASSERT_FALSE(lines.empty());
  for (const auto& line : lines) {
    EXPECT_TRUE(absl::StrContains(line, "actor=peer:activity")) << line;
  }

  act::ListChangesRequest changes_req;
  changes_req.set_name(created.name());
  act::ListChangesResponse changes;
  s = activities->ListChanges(Ctx().get(), changes_req, &changes);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(changes.changes_size(), 1);
  EXPECT_EQ(changes.changes(0).actor(), "peer:impctl-internal");
}

TEST_F(TransportSecurityTest, GatewayForwardsItsCallersActorOverMutualTls) {
  StartRegistry(Host("registry", certs_->For("registry")));
  StartActivity(Host("activity", certs_->For("activity")));
  StartGateway(Host("gateway", certs_->For("gateway")));
  // impctl's way in: TLS verifying the gateway, no client certificate, a bearer token.
  auto channel = ChannelTo(gateway_->port(), certs_->CaOnly());
  auto registry = reg::RegistryService::NewStub(channel);
  auto activities = act::ActivityService::NewStub(channel);

  reg::Institution created;
  grpc::Status s = registry->CreateInstitution(Ctx("someone-else", kAdminToken).get(),
                                               NewInstitution("okhmatdyt"), &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  reg::GetInstitutionRequest get;
  get.set_name(created.name());
  reg::Institution read;
  s = registry->GetInstitution(Ctx("", kAdminToken).get(), get, &read);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(read.display_name(), "Hospital okhmatdyt");
  EXPECT_EQ(RegistryActors(created.name()), std::vector<std::string>{"office-admin"});

  act::Activity activity;
  s = activities->CreateActivity(Ctx("", kAdminToken).get(), NewConference("okhmatdyt"), &activity);
  ASSERT_TRUE(s.ok()) << s.error_message();
  act::GetActivityRequest get_activity;
  get_activity.set_name(activity.name());
  act::Activity read_activity;
  s = activities->GetActivity(Ctx("", kAdminToken).get(), get_activity, &read_activity);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(read_activity.title(), "Trauma surgery conference");
  act::ListChangesRequest changes_req;
  changes_req.set_name(activity.name());
  act::ListChangesResponse changes;
  s = act::ActivityService::NewStub(ChannelTo(activity_->port(), Internal()))
          ->ListChanges(Ctx().get(), changes_req, &changes);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(changes.changes_size(), 1);
  EXPECT_EQ(changes.changes(0).actor(), "office-admin");

  // The gateway's port is TLS: a plaintext client does not get through.
  reg::Institution refused;
  s = reg::RegistryService::NewStub(ChannelTo(gateway_->port(), TlsOptions{}))
          ->GetInstitution(Ctx("", kAdminToken).get(), get, &refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(TransportSecurityTest, GatewayWithoutAValidClientCertificateCannotReachTheBackends) {
  StartRegistry(Host("registry", certs_->For("registry")));
  // A gateway whose own certificate another CA signed: its calls to the registry fail the
  // handshake, so it reports the backend unavailable and nothing is stored.
  TlsOptions wrong = other_ca_->For("gateway");
  wrong.ca_pem = certs_->CaOnly().ca_pem;
  StartGateway(Host("gateway", wrong));
  TlsOptions gateway_ca = other_ca_->CaOnly();
  auto registry = reg::RegistryService::NewStub(ChannelTo(gateway_->port(), gateway_ca));
  reg::Institution out;
  grpc::Status s =
      registry->CreateInstitution(Ctx("", kAdminToken).get(), NewInstitution("never"), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(InstitutionCount(), 0);
}

TEST_F(TransportSecurityTest, TrustedPeersChooseWhoMayNameTheActor) {
  ServiceHostOptions host = Host("registry", certs_->For("registry"));
  host.trusted_peers = {"impctl-internal"};
  StartRegistry(host);
  reg::Institution created;
  grpc::Status s =
      Registry(Internal())
          ->CreateInstitution(Ctx("office-admin").get(), NewInstitution("trusted"), &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  reg::DeleteInstitutionRequest del;
  del.set_name(created.name());
  reg::Institution deleted;
  s = Registry(certs_->For("gateway"))->DeleteInstitution(Ctx("office-admin").get(), del, &deleted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(RegistryActors(created.name()),
            (std::vector<std::string>{"peer:gateway", "office-admin"}));
}

TEST_F(TransportSecurityTest, WithoutTlsTheActorMetadataIsRecordedAsBefore) {
  StartRegistry(Host("registry", TlsOptions{}));
  auto plain = Registry(TlsOptions{});
  reg::Institution created;
  grpc::Status s =
      plain->CreateInstitution(Ctx("office-admin").get(), NewInstitution("plain"), &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  reg::ListChangesRequest req;
  req.set_name(created.name());
  reg::ListChangesResponse resp;
  s = plain->ListChanges(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.changes_size(), 1);
  EXPECT_EQ(resp.changes(0).actor(), "office-admin");
}

}  // namespace
}  // namespace imp
