// Error details through the gateway: the backends' google.rpc details survive forwarding, and
// the errors the gateway makes itself carry them too. Real registry, activity and gateway
// servers on loopback, real MariaDB databases.
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "activity-service/src/activity_server.h"
#include "common/db/migrations.h"
#include "gateway/src/gateway_server.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "registry-service/src/registry_server.h"
#include "tests/support/test_database.h"

namespace imp::gateway {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;
namespace rpc = google::rpc;

constexpr char kEditor[] = "details-editor-token";
constexpr char kViewer[] = "details-viewer-token";

rpc::Status Details(const grpc::Status& status) {
  rpc::Status proto;
  EXPECT_TRUE(proto.ParseFromString(status.error_details()))
      << "no google.rpc.Status in the trailer of: " << status.error_message();
  EXPECT_EQ(proto.code(), static_cast<int>(status.error_code()));
  EXPECT_EQ(proto.message(), status.error_message());
  return proto;
}

template <typename D>
std::optional<D> Find(const rpc::Status& proto) {
  for (const auto& any : proto.details()) {
    D detail;
    if (any.Is<D>() && any.UnpackTo(&detail)) return detail;
  }
  return std::nullopt;
}

std::string ReasonOf(const grpc::Status& status) {
  auto info = Find<rpc::ErrorInfo>(Details(status));
  return info ? info->reason() : "";
}

class GatewayErrorDetailsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_db_ = testing::TestDatabase::Create();
    activity_db_ = testing::TestDatabase::Create();
    ServiceHostOptions host;
    host.readiness_interval = absl::Milliseconds(100);
    host.name = "registry";
    registry_ = std::make_unique<registry::RegistryServer>(host, registry_db_->pool_options());
    ASSERT_TRUE(registry_->Start().ok());
    host.name = "activity";
    activity_ = std::make_unique<activity::ActivityServer>(
        host, activity_db_->pool_options(), absl::StrCat("127.0.0.1:", registry_->port()));
    ASSERT_TRUE(activity_->Start().ok());
    tokens_file_ = absl::StrCat(::testing::TempDir(), "/details-tokens-", registry_->port());
    std::ofstream(tokens_file_) << db::Sha256Hex(kEditor) << " editor office-editor\n"
                                << db::Sha256Hex(kViewer) << " viewer analyst\n";
    GatewayOptions options;
    options.registry_target = absl::StrCat("127.0.0.1:", registry_->port());
    options.activity_target = absl::StrCat("127.0.0.1:", activity_->port());
    options.tokens_file = tokens_file_;
    options.backend_timeout = absl::Seconds(5);
    host.name = "gateway";
    gateway_ = std::make_unique<GatewayServer>(host, options);
    ASSERT_TRUE(gateway_->Start().ok());
    reg_ = reg::RegistryService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", gateway_->port()), grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 100; ++i) {
      reg::ListCooperationAreasResponse areas;
      if (reg_->ListCooperationAreas(Ctx(kViewer).get(), {}, &areas).ok()) return;
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "suite never became ready";
  }

  void TearDown() override {
    gateway_->Shutdown();
    activity_->Shutdown();
    registry_->Shutdown();
    std::remove(tokens_file_.c_str());
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(const char* token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (token != nullptr) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token));
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return ctx;
  }

  grpc::Status CreateInstitution(const char* token, const std::string& id,
                                 const std::string& country) {
    reg::CreateInstitutionRequest req;
    req.set_institution_id(id);
    req.mutable_institution()->set_display_name(absl::StrCat("Institution ", id));
    req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
    req.mutable_institution()->set_country(country);
    reg::Institution out;
    return reg_->CreateInstitution(Ctx(token).get(), req, &out);
  }

  std::unique_ptr<testing::TestDatabase> registry_db_, activity_db_;
  std::unique_ptr<registry::RegistryServer> registry_;
  std::unique_ptr<activity::ActivityServer> activity_;
  std::unique_ptr<GatewayServer> gateway_;
  std::string tokens_file_;
  std::unique_ptr<reg::RegistryService::Stub> reg_;
};

TEST_F(GatewayErrorDetailsTest, TheBackendsDetailsSurviveForwarding) {
  ASSERT_TRUE(CreateInstitution(kEditor, "a1", "FR").ok());
  ASSERT_TRUE(CreateInstitution(kEditor, "b1", "DE").ok());
  reg::BatchGetInstitutionsRequest req;
  req.add_names("institutions/a1");
  req.add_names("institutions/b1");
  req.add_names("institutions/zzz");
  reg::BatchGetInstitutionsResponse resp;
  const grpc::Status s = reg_->BatchGetInstitutions(Ctx(kViewer).get(), req, &resp);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  const rpc::Status proto = Details(s);
  ASSERT_TRUE(Find<rpc::BadRequest>(proto).has_value());
  EXPECT_EQ(Find<rpc::BadRequest>(proto)->field_violations(0).field(), "names[2]");
  ASSERT_TRUE(Find<rpc::ResourceInfo>(proto).has_value());
  EXPECT_EQ(Find<rpc::ResourceInfo>(proto)->resource_name(), "institutions/zzz");
  EXPECT_EQ(ReasonOf(s), "RESOURCE_NOT_FOUND");

  const grpc::Status bad = CreateInstitution(kEditor, "bad", "XX");
  ASSERT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Find<rpc::BadRequest>(Details(bad)).has_value());
  EXPECT_EQ(Find<rpc::BadRequest>(Details(bad))->field_violations(0).field(),
            "institution.country");
}

TEST_F(GatewayErrorDetailsTest, TheGatewaysOwnErrorsCarryAReason) {
  reg::ListInstitutionsResponse list;
  const grpc::Status anonymous = reg_->ListInstitutions(Ctx(nullptr).get(), {}, &list);
  ASSERT_EQ(anonymous.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ReasonOf(anonymous), "UNAUTHENTICATED");
  EXPECT_EQ(Find<rpc::ErrorInfo>(Details(anonymous))->domain(), "imp.v1");

  const grpc::Status viewer_write = CreateInstitution(kViewer, "x", "FR");
  ASSERT_EQ(viewer_write.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(viewer_write), "PERMISSION_DENIED");
}

TEST_F(GatewayErrorDetailsTest, ABackendThatDoesNotAnswerIsBackendUnavailable) {
  registry_->Shutdown();
  reg::GetInstitutionRequest get;
  get.set_name("institutions/a1");
  reg::Institution out;
  const grpc::Status s = reg_->GetInstitution(Ctx(kViewer).get(), get, &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(ReasonOf(s), "BACKEND_UNAVAILABLE");
}

}  // namespace
}  // namespace imp::gateway
