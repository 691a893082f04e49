// Internal channels (gateway -> registry/activity, activity -> registry) accept every response a
// service may legitimately send (up to --max_message_mb), not gRPC's 4 MiB client default.
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "activity-service/src/activity_server.h"
#include "common/api/errors.h"
#include "common/api/page_budget.h"
#include "common/db/migrations.h"
#include "common/status.h"
#include "gateway/src/gateway_server.h"
#include "gtest/gtest.h"
#include "registry-service/src/registry_server.h"
#include "tests/support/test_database.h"

namespace imp {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;

constexpr char kViewerToken[] = "viewer-token-large";
// 500 institutions with the longest notes the registry accepts (10,000 bytes) make a page of
// about 5 MB: more than 4 MiB, well under the services' 32 MiB.
constexpr int kInstitutions = 500;

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token = "") {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("x-imp-actor", "large-message-test");
  if (!token.empty()) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return ctx;
}

class BackendChannelTest : public ::testing::Test {
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
    tokens_file_ = absl::StrCat(::testing::TempDir(), "/large-tokens-", registry_->port());
    std::ofstream(tokens_file_) << db::Sha256Hex(kViewerToken) << " viewer analyst\n";
    gateway::GatewayOptions options;
    options.registry_target = absl::StrCat("127.0.0.1:", registry_->port());
    options.activity_target = absl::StrCat("127.0.0.1:", activity_->port());
    options.tokens_file = tokens_file_;
    host.name = "gateway";
    gateway_ = std::make_unique<gateway::GatewayServer>(host, options);
    ASSERT_TRUE(gateway_->Start().ok());

    registry_stub_ = reg::RegistryService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", registry_->port()), grpc::InsecureChannelCredentials()));
    const std::string notes(10000, 'n');
    for (int i = 0; i < kInstitutions; ++i) {
      reg::CreateInstitutionRequest req;
      req.set_institution_id(absl::StrCat("hospital-", i));
      req.mutable_institution()->set_display_name(absl::StrCat("Hospital ", i));
      req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
      req.mutable_institution()->set_country("PL");
      req.mutable_institution()->set_notes(notes);
      reg::Institution out;
      grpc::Status s;
      // The first calls may arrive before the database is migrated.
      for (int attempt = 0; attempt < 100; ++attempt) {
        s = registry_stub_->CreateInstitution(Ctx().get(), req, &out);
        if (s.error_code() != grpc::StatusCode::UNAVAILABLE) break;
        absl::SleepFor(absl::Milliseconds(50));
      }
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
  }

  void TearDown() override {
    gateway_->Shutdown();
    activity_->Shutdown();
    registry_->Shutdown();
    std::remove(tokens_file_.c_str());
  }

  std::unique_ptr<testing::TestDatabase> registry_db_;
  std::unique_ptr<testing::TestDatabase> activity_db_;
  std::unique_ptr<registry::RegistryServer> registry_;
  std::unique_ptr<activity::ActivityServer> activity_;
  std::unique_ptr<gateway::GatewayServer> gateway_;
  std::unique_ptr<reg::RegistryService::Stub> registry_stub_;
  std::string tokens_file_;
};

TEST_F(BackendChannelTest, ABatchGetPastTheByteBudgetIsRefusedThroughTheGatewayAndWhatFitsAnyClientTakes) {
  // List pages stop at 3 MiB (AIP-158 allows short pages) and so do BatchGet answers: 500 large
  // institutions (about 5 MB) are refused saying how many fit, and those come back in one
  // answer that a client with gRPC's default 4 MiB receive limit accepts.
  auto gateway = reg::RegistryService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", gateway_->port()), grpc::InsecureChannelCredentials()));
  reg::BatchGetInstitutionsRequest req;
  for (int i = 0; i < kInstitutions; ++i) req.add_names(absl::StrCat("institutions/hospital-", i));
  reg::BatchGetInstitutionsResponse resp;
  grpc::Status s = gateway->BatchGetInstitutions(Ctx(kViewerToken).get(), req, &resp);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  const absl::Status refused = FromGrpcStatus(s);
  EXPECT_EQ(api::ReasonOf(refused), api::kReasonAnswerTooLarge);
  const int fits = api::AnswerFitsOf(refused);
  ASSERT_GT(fits, 100);  // about 300 institutions of 10 KB fit in 3 MiB
  ASSERT_LT(fits, kInstitutions);
  reg::BatchGetInstitutionsRequest part;
  for (int i = 0; i < fits; ++i) part.add_names(req.names(i));
  s = gateway->BatchGetInstitutions(Ctx(kViewerToken).get(), part, &resp);
  ASSERT_TRUE(s.ok()) << StatusCodeName(s.error_code()) << ": " << s.error_message();
  EXPECT_EQ(resp.institutions_size(), fits);
  EXPECT_LE(resp.ByteSizeLong(), api::kMaxPageBytes);
}

TEST_F(BackendChannelTest, ActivityServiceChecksReferencesWhoseAnswerWouldPassTheByteBudget) {
  // One row per institution: the reference check asks the registry for all 500 at once, is told
  // how many fit in one answer, and asks for those, then the rest.
  auto activities = act::ActivityService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", activity_->port()), grpc::InsecureChannelCredentials()));
  act::ImportActivitiesResponse resp;
  auto ctx = Ctx();
  auto writer = activities->ImportActivities(ctx.get(), &resp);
  act::ImportActivitiesRequest msg;
  msg.set_request_id("large-reference-check");
  msg.set_validate_only(true);
  for (int i = 0; i < kInstitutions; ++i) {
    act::ImportRow* row = msg.add_rows();
    row->set_row_number(i + 2);
    act::Activity* a = row->mutable_activity();
    a->set_title("Rehabilitation seminar");
    a->set_host_institution(absl::StrCat("institutions/hospital-", i));
    a->mutable_start_date()->set_year(2024);
    a->mutable_start_date()->set_month(3);
    a->mutable_start_date()->set_day(1);
    a->mutable_location()->set_country("PL");
    a->set_direction(act::Activity::DIRECTION_FROM_UKRAINE);
    a->mutable_event()->set_type(act::EventDetails::TYPE_SEMINAR);
  }
  ASSERT_TRUE(writer->Write(msg));
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  ASSERT_TRUE(s.ok()) << StatusCodeName(s.error_code()) << ": " << s.error_message();
  EXPECT_EQ(resp.rows_received(), kInstitutions);
  EXPECT_EQ(resp.rows_failed(), 0) << resp.DebugString().substr(0, 2000);
}

}  // namespace
}  // namespace imp
