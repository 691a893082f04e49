// The activity service finds the unknown reference in the registry's error details, never in
// its message text: a real ActivityServer (own MariaDB database) whose registry is a scripted
// RegistryService on loopback that answers BatchGet with the registry's details but with
// message text of another shape.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "activity-service/src/activity_server.h"
#include "common/api/errors.h"
#include "common/status.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "imp/activity/v1/activity.grpc.pb.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "tests/support/test_database.h"

namespace imp::activity {
namespace {

namespace reg = registry::v1;
namespace rpc = google::rpc;
using v1::Activity;

// BatchGetInstitutions the way the registry answers it (first unknown name: NOT_FOUND with a
// BadRequest on "names[i]" and a ResourceInfo), except that the message is `message_`.
class ScriptedRegistry final : public reg::RegistryService::Service {
 public:
  explicit ScriptedRegistry(std::set<std::string> known) : known_(std::move(known)) {}

  void set_message(std::string message) {
    absl::MutexLock lock(&mu_);
    message_ = std::move(message);
  }

  // From now on BatchGet sheds load the way the registry's admission control does.
  void set_overloaded(bool overloaded) {
    absl::MutexLock lock(&mu_);
    overloaded_ = overloaded;
  }

  grpc::Status BatchGetInstitutions(grpc::ServerContext*,
                                    const reg::BatchGetInstitutionsRequest* req,
                                    reg::BatchGetInstitutionsResponse* resp) override {
    {
      absl::MutexLock lock(&mu_);
      if (overloaded_) {
        return ToGrpcStatus(api::WithRetryDelay(
            api::WithReason(absl::ResourceExhaustedError(
                                "server overloaded: no worker became free in time; retry"),
                            api::kReasonOverloaded),
            absl::Milliseconds(700)));
      }
    }
    for (int i = 0; i < req->names_size(); ++i) {
      if (known_.count(req->names(i)) == 0) {
        const absl::Status real = api::ResourceNotFound(
            api::ResourceType<reg::Institution>(), req->names(i), absl::StrCat("names[", i, "]"));
        absl::MutexLock lock(&mu_);
        absl::Status scripted(real.code(), message_);
        real.ForEachPayload(
            [&](absl::string_view url, const absl::Cord& p) { scripted.SetPayload(url, p); });
        return ToGrpcStatus(scripted);
      }
      resp->add_institutions()->set_name(req->names(i));
    }
    return grpc::Status::OK;
  }

 private:
  const std::set<std::string> known_;
  absl::Mutex mu_;
  std::string message_ ABSL_GUARDED_BY(mu_);
  bool overloaded_ ABSL_GUARDED_BY(mu_) = false;
};

google::type::Date D(int y, int m, int d) {
  google::type::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

class ReferenceDetailsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int registry_port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &registry_port);
    builder.RegisterService(&registry_);
    registry_server_ = builder.BuildAndStart();
    ASSERT_NE(registry_port, 0);

    db_ = testing::TestDatabase::Create();
    ServiceHostOptions host;
    host.readiness_interval = absl::Milliseconds(100);
    host.name = "activity-references-test";
    activity_ = std::make_unique<ActivityServer>(host, db_->pool_options(),
                                                 absl::StrCat("127.0.0.1:", registry_port));
    ASSERT_TRUE(activity_->Start().ok());
    act_ = v1::ActivityService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", activity_->port()), grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 100; ++i) {
      v1::ListActivitiesResponse list;
      if (act_->ListActivities(Ctx().get(), {}, &list).ok()) return;
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "activity service never became ready";
  }

  void TearDown() override {
    activity_->Shutdown();
    registry_server_->Shutdown();
  }

  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("x-imp-actor", "tester");
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return ctx;
  }

  // A visit hosted by Volyn with the given partners (no agreement, no cooperation area).
  static Activity Visit(const std::vector<std::string>& partners) {
    Activity a;
    a.set_title("Site visit");
    a.set_host_institution("institutions/volyn");
    for (const auto& p : partners) a.add_partner_institutions(p);
    *a.mutable_start_date() = D(2024, 5, 6);
    a.mutable_location()->set_country("UA");
    a.mutable_location()->set_region("UA-07");
    a.set_direction(Activity::DIRECTION_TO_UKRAINE);
    a.mutable_visit()->set_type(v1::VisitDetails::TYPE_MISSION_TO_UKRAINE);
    a.mutable_visit()->set_specialists(3);
    return a;
  }

  ScriptedRegistry registry_{{"institutions/volyn", "institutions/sussex", "institutions/lille"}};
  std::unique_ptr<grpc::Server> registry_server_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<ActivityServer> activity_;
  std::unique_ptr<v1::ActivityService::Stub> act_;
};

TEST_F(ReferenceDetailsTest, TheUnknownReferenceIsFoundFromDetailsWhateverTheMessageSays) {
  // Messages without the "names[i]: " form, and one whose text names the wrong entry: only the
  // details identify the unknown name.
  for (const char* message : {"no such institution", "names[0]: institutions/volyn not found"}) {
    registry_.set_message(message);
    Activity out;
    v1::CreateActivityRequest req;
    *req.mutable_activity() =
        Visit({"institutions/sussex", "institutions/nowhere", "institutions/lille"});
    const grpc::Status s = act_->CreateActivity(Ctx().get(), req, &out);
    ASSERT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << message << " -> " << s.error_message();
    EXPECT_EQ(s.error_message(),
              "activity.partner_institutions[1]: institutions/nowhere does not exist");
    rpc::Status proto;
    ASSERT_TRUE(proto.ParseFromString(s.error_details()));
    const absl::Status details = FromGrpcStatus(s);
    EXPECT_EQ(api::ReasonOf(details), "REFERENCE_INVALID");
    EXPECT_EQ(api::FieldOf(details), "activity.partner_institutions[1]");
    EXPECT_EQ(api::ResourceNameOf(details), "institutions/nowhere");
    auto failure = api::GetDetail<rpc::PreconditionFailure>(details);
    ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->violations(0).type(), "REFERENCE");
    EXPECT_EQ(failure->violations(0).subject(), "activity.partner_institutions[1]");
  }
  EXPECT_EQ(db_->QueryString("SELECT COUNT(*) FROM activities"), "0");

  // And with every reference known, the activity is created.
  Activity out;
  v1::CreateActivityRequest req;
  *req.mutable_activity() = Visit({"institutions/sussex", "institutions/lille"});
  const grpc::Status ok = act_->CreateActivity(Ctx().get(), req, &out);
  EXPECT_TRUE(ok.ok()) << ok.error_message();
}

TEST_F(ReferenceDetailsTest, ARegistryOverloadRefusalReachesTheCallerAsOverloadWithItsRetryDelay) {
  registry_.set_overloaded(true);
  Activity out;
  v1::CreateActivityRequest req;
  *req.mutable_activity() = Visit({"institutions/sussex"});
  const grpc::Status s = act_->CreateActivity(Ctx().get(), req, &out);
  // Overload is not an outage: the client is to back off and retry, as the registry asked.
  ASSERT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  const absl::Status details = FromGrpcStatus(s);
  EXPECT_EQ(api::ReasonOf(details), api::kReasonOverloaded);
  auto retry = api::GetDetail<rpc::RetryInfo>(details);
  ASSERT_TRUE(retry.has_value()) << "the registry's RetryInfo was dropped";
  EXPECT_EQ(retry->retry_delay().nanos(), 700 * 1000 * 1000);
  EXPECT_EQ(db_->QueryString("SELECT COUNT(*) FROM activities"), "0");
}

}  // namespace
}  // namespace imp::activity
