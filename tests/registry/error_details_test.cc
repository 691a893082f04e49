// The registry's errors carry google.rpc details a client can act on: a real RegistryServer on
// loopback, a MariaDB database of the test's own, and the raw `grpc-status-details-bin` bytes
// decoded as google.rpc.Status the way any client library does.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "registry-service/src/registry_server.h"
#include "tests/support/test_database.h"

namespace imp::registry {
namespace {

namespace rpc = google::rpc;
using v1::Institution;

// The details of `status` as a client decodes them: they must mirror the code and message.
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

class RegistryErrorDetailsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabase::Create();
    ServiceHostOptions host;
    host.name = "registry-details-test";
    host.readiness_interval = absl::Milliseconds(100);
    server_ = std::make_unique<RegistryServer>(host, db_->pool_options());
    ASSERT_TRUE(server_->Start().ok());
    stub_ = v1::RegistryService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 100; ++i) {
      grpc::ClientContext ctx;
      v1::ListCooperationAreasResponse resp;
      if (stub_->ListCooperationAreas(&ctx, {}, &resp).ok()) return;
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "registry never became ready";
  }

  void TearDown() override { server_->Shutdown(); }

  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("x-imp-actor", "tester");
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }

  grpc::Status Create(const std::string& id, const std::string& display, const std::string& country,
                      Institution* out, const std::string& request_id = "") {
    v1::CreateInstitutionRequest req;
    req.set_institution_id(id);
    req.set_request_id(request_id);
    req.mutable_institution()->set_display_name(display);
    req.mutable_institution()->set_kind(Institution::KIND_HOSPITAL);
    req.mutable_institution()->set_country(country);
    return stub_->CreateInstitution(Ctx().get(), req, out);
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<RegistryServer> server_;
  std::unique_ptr<v1::RegistryService::Stub> stub_;
};

TEST_F(RegistryErrorDetailsTest, ABadFieldOnCreateComesBackAsABadRequestNamingIt) {
  Institution out;
  const grpc::Status s = Create("lviv", "Lviv Regional Clinical Hospital", "XX", &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  const rpc::Status proto = Details(s);
  auto bad = Find<rpc::BadRequest>(proto);
  ASSERT_TRUE(bad.has_value());
  ASSERT_EQ(bad->field_violations_size(), 1);
  EXPECT_EQ(bad->field_violations(0).field(), "institution.country");
  EXPECT_FALSE(bad->field_violations(0).description().empty());
  auto info = Find<rpc::ErrorInfo>(proto);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "FIELD_INVALID");
  EXPECT_EQ(info->domain(), "imp.v1");
}

TEST_F(RegistryErrorDetailsTest, BatchGetNamesTheIndexAndTheResourceOfTheUnknownName) {
  Institution out;
  ASSERT_TRUE(Create("a1", "Alpha", "FR", &out).ok());
  ASSERT_TRUE(Create("b1", "Beta", "DE", &out).ok());
  v1::BatchGetInstitutionsRequest req;
  req.add_names("institutions/a1");
  req.add_names("institutions/b1");
  req.add_names("institutions/zzz");
  v1::BatchGetInstitutionsResponse resp;
  const grpc::Status s = stub_->BatchGetInstitutions(Ctx().get(), req, &resp);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  const rpc::Status proto = Details(s);
  auto bad = Find<rpc::BadRequest>(proto);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->field_violations(0).field(), "names[2]");
  auto resource = Find<rpc::ResourceInfo>(proto);
  ASSERT_TRUE(resource.has_value());
  EXPECT_EQ(resource->resource_name(), "institutions/zzz");
  EXPECT_EQ(resource->resource_type(), "type.googleapis.com/imp.registry.v1.Institution");
  EXPECT_EQ(Find<rpc::ErrorInfo>(proto)->reason(), "RESOURCE_NOT_FOUND");

  v1::BatchGetAgreementsRequest agreements;
  agreements.add_names("agreements/none");
  v1::BatchGetAgreementsResponse agreements_resp;
  const grpc::Status a = stub_->BatchGetAgreements(Ctx().get(), agreements, &agreements_resp);
  ASSERT_EQ(a.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Find<rpc::BadRequest>(Details(a))->field_violations(0).field(), "names[0]");
  EXPECT_EQ(Find<rpc::ResourceInfo>(Details(a))->resource_name(), "agreements/none");
}

TEST_F(RegistryErrorDetailsTest, AlreadyExistsNamesTheResourceThatExists) {
  Institution out;
  ASSERT_TRUE(Create("kauno", "Kauno klinikos", "LT", &out).ok());
  // The same id: the row's own resource.
  grpc::Status s = Create("kauno", "Something else", "LT", &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Find<rpc::ResourceInfo>(Details(s))->resource_name(), "institutions/kauno");
  EXPECT_EQ(Find<rpc::ErrorInfo>(Details(s))->reason(), "RESOURCE_EXISTS");
  EXPECT_EQ(Find<rpc::ErrorInfo>(Details(s))->metadata().at("field"), "institution_id");
  // The same name under a new id: the other institution, not the one asked for.
  s = Create("kauno-2", "KAUNO KLINIKOS", "LT", &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Find<rpc::ResourceInfo>(Details(s))->resource_name(), "institutions/kauno");
  EXPECT_EQ(Find<rpc::ErrorInfo>(Details(s))->metadata().at("field"), "institution");
}

TEST_F(RegistryErrorDetailsTest, AStaleEtagIsAnEtagMismatch) {
  Institution created;
  ASSERT_TRUE(Create("sussex", "University Hospitals of Sussex", "GB", &created).ok());
  v1::UpdateInstitutionRequest req;
  req.mutable_institution()->set_name(created.name());
  req.mutable_institution()->set_city("Brighton");
  req.mutable_institution()->set_etag(created.etag());
  req.mutable_update_mask()->add_paths("city");
  Institution updated;
  ASSERT_TRUE(stub_->UpdateInstitution(Ctx().get(), req, &updated).ok());
  const grpc::Status stale = stub_->UpdateInstitution(Ctx().get(), req, &updated);
  ASSERT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  auto info = Find<rpc::ErrorInfo>(Details(stale));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "ETAG_MISMATCH");
  EXPECT_EQ(info->metadata().at("resource"), "institutions/sussex");
}

TEST_F(RegistryErrorDetailsTest, ARequestIdReusedForAnotherIdIsRefusedNamingTheEarlierResource) {
  Institution first, again;
  ASSERT_TRUE(Create("lille", "CHU Lille", "FR", &first, "req-7").ok());
  // A retry is still a replay.
  ASSERT_TRUE(Create("lille", "CHU Lille", "FR", &again, "req-7").ok());
  EXPECT_EQ(again.name(), "institutions/lille");
  // The same request id for another institution would have answered with institutions/lille
  // as if institutions/lyon had been created.
  Institution lyon;
  const grpc::Status s = Create("lyon", "HCL Lyon", "FR", &lyon, "req-7");
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  const rpc::Status proto = Details(s);
  EXPECT_EQ(Find<rpc::ErrorInfo>(proto)->reason(), "REQUEST_ID_REUSED");
  EXPECT_EQ(Find<rpc::ErrorInfo>(proto)->metadata().at("field"), "request_id");
  EXPECT_EQ(Find<rpc::ResourceInfo>(proto)->resource_name(), "institutions/lille");
  v1::GetInstitutionRequest get;
  get.set_name("institutions/lyon");
  EXPECT_EQ(stub_->GetInstitution(Ctx().get(), get, &lyon).error_code(),
            grpc::StatusCode::NOT_FOUND)
      << "nothing was created";
}

}  // namespace
}  // namespace imp::registry
