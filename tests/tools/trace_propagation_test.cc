// One request followed everywhere (issue #24): the W3C traceparent a caller sends, or the one the
// gateway makes when it sends none, is on the request-log line of every server the call reaches
// (gateway, activity service, registry), is passed on as a child (same trace id, new parent id),
// and a failed call's error details carry its trace id. Real servers on loopback, real MariaDB.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/api/errors.h"
#include "common/log.h"
#include "common/server/request_context.h"
#include "common/server/trace.h"
#include "common/status.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "tests/gateway/gateway_fixture.h"
#include "tests/support/log_capture.h"
#include "tools/impctl/client.h"

namespace imp::gateway {
namespace {

constexpr char kCreateActivity[] = "/imp.activity.v1.ActivityService/CreateActivity";
constexpr char kBatchGetInstitutions[] = "/imp.registry.v1.RegistryService/BatchGetInstitutions";
constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kSampled[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// The trace_id=... of each line ("" for a line without one).
std::vector<std::string> TraceIds(const std::vector<std::string>& lines) {
  static const std::regex kField(" trace_id=([0-9a-f]{32})( |$)");
  std::vector<std::string> ids;
  for (const auto& line : lines) {
    std::smatch m;
    ids.push_back(std::regex_search(line, m, kField) ? m[1].str() : "");
  }
  return ids;
}

class TracePropagationTest : public GatewayTest {
 protected:
  grpc::Status Create(const act::Activity& a, const std::string& traceparent) {
    auto ctx = Ctx(kAdmin);
    if (!traceparent.empty()) ctx->AddMetadata(kTraceparentMetadataKey, traceparent);
    act::CreateActivityRequest req;
    *req.mutable_activity() = a;
    act::Activity out;
    return act_->CreateActivity(ctx.get(), req, &out);
  }
};

TEST_F(TracePropagationTest, ACallersSampledTraceIsLoggedAtInfoByTheGatewayTheActivityAndRegistry) {
  ASSERT_TRUE(CreateInstitution(kAdmin, "volyn", "UA", "UA-07").ok());
  testing::LogCapture capture;
  SetMinLogLevel(LogLevel::kInfo);  // the default: fast successful calls are not logged...
  ASSERT_TRUE(Create(Training("volyn", "", D(2024, 3, 1), 2, 1), kSampled).ok());
  const std::string log = capture.Stop();
  SetMinLogLevel(LogLevel::kInfo);

  // ...unless sampled. The gateway's line and the activity service's line of the call.
  const auto created = testing::RpcLines(log, kCreateActivity);
  ASSERT_EQ(created.size(), 2u) << log;
  EXPECT_EQ(TraceIds(created), (std::vector<std::string>{kTraceId, kTraceId})) << log;
  for (const auto& line : created) EXPECT_TRUE(absl::StrContains(line, "level=info")) << line;
  // The activity service's reference check, in the registry's log.
  const auto checked = testing::RpcLines(log, kBatchGetInstitutions);
  ASSERT_FALSE(checked.empty()) << log;
  for (const auto& id : TraceIds(checked)) EXPECT_EQ(id, kTraceId) << log;
}

TEST_F(TracePropagationTest, ACallWithoutATraceparentIsFollowedUnderTheTraceTheGatewayMade) {
  ASSERT_TRUE(CreateInstitution(kAdmin, "volyn", "UA", "UA-07").ok());
  testing::LogCapture capture;  // down to debug: an unsampled fast call is logged there
  ASSERT_TRUE(Create(Training("volyn", "", D(2024, 3, 1), 2, 1), "").ok());
  const std::string log = capture.Stop();

  const auto ids = TraceIds(testing::RpcLines(log, kCreateActivity));
  ASSERT_EQ(ids.size(), 2u) << log;
  EXPECT_FALSE(ids[0].empty()) << log;
  EXPECT_EQ(ids[0], ids[1]) << log;
  const auto checked = TraceIds(testing::RpcLines(log, kBatchGetInstitutions));
  ASSERT_FALSE(checked.empty()) << log;
  for (const auto& id : checked) EXPECT_EQ(id, ids[0]) << log;
}

// The google.rpc.RequestInfo request ids in `status`'s error details.
std::vector<std::string> RequestIds(const grpc::Status& status) {
  google::rpc::Status proto;
  std::vector<std::string> ids;
  if (!proto.ParseFromString(status.error_details())) return ids;
  for (const auto& any : proto.details()) {
    google::rpc::RequestInfo info;
    if (any.Is<google::rpc::RequestInfo>() && any.UnpackTo(&info)) ids.push_back(info.request_id());
  }
  return ids;
}

TEST_F(TracePropagationTest, AFailedCallsErrorDetailsCarryItsTraceIdOnceWithTheOtherDetails) {
  // Refused by the activity service (an unknown institution), passed on by the gateway.
  grpc::Status refused = Create(Training("nobody", "", D(2024, 3, 1), 2, 1), kSampled);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(RequestIds(refused), (std::vector<std::string>{kTraceId}));
  EXPECT_FALSE(api::ReasonOf(FromGrpcStatus(refused)).empty()) << "the ErrorInfo stays";

  // Refused by the gateway itself (no token), under the trace it made.
  act::CreateActivityRequest req;
  act::Activity out;
  grpc::ClientContext anonymous;
  grpc::Status unauthenticated = act_->CreateActivity(&anonymous, req, &out);
  ASSERT_EQ(unauthenticated.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  const auto ids = RequestIds(unauthenticated);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0].size(), 32u);
}

// A training at `host` with two doctors from there: it references one institution.
act::Activity TrainingAt(const std::string& host) {
  act::Activity a;
  a.set_title("Internship");
  a.set_host_institution("institutions/" + host);
  *a.mutable_start_date() = D(2024, 3, 1);
  a.mutable_location()->set_country("FR");
  a.set_direction(act::Activity::DIRECTION_FROM_UKRAINE);
  auto* t = a.mutable_training();
  t->set_format(act::TrainingDetails::FORMAT_INTERNSHIP);
  auto* g = t->add_participant_groups();
  g->set_institution("institutions/" + host);
  g->set_profession(act::ParticipantGroup::PROFESSION_DOCTOR);
  g->set_headcount(2);
  return a;
}

// A registry that records the traceparent of each BatchGetInstitutions call and knows every
// institution: what the activity service sends on, seen from the other side.
class RecordingRegistry final : public reg::RegistryService::CallbackService {
 public:
  grpc::ServerUnaryReactor* BatchGetInstitutions(grpc::CallbackServerContext* ctx,
                                                 const reg::BatchGetInstitutionsRequest* req,
                                                 reg::BatchGetInstitutionsResponse* resp) override {
    {
      absl::MutexLock lock(&mu_);
      received_.push_back(ClientMetadataValue(*ctx, kTraceparentMetadataKey));
    }
    for (const auto& name : req->names()) resp->add_institutions()->set_name(name);
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  std::vector<std::string> received() {
    absl::MutexLock lock(&mu_);
    return received_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> received_ ABSL_GUARDED_BY(mu_);
};

// Records the traceparent an interceptor placed before the trace interceptor in the list sees
// in the received metadata (ServiceHost installs the request log and metrics there).
class ProbeFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  class Probe : public grpc::experimental::Interceptor {
   public:
    explicit Probe(ProbeFactory* factory) : factory_(factory) {}
    void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
      using grpc::experimental::InterceptionHookPoints;
      if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
        const auto* metadata = methods->GetRecvInitialMetadata();
        auto it = metadata->find(kTraceparentMetadataKey);
        absl::MutexLock lock(&factory_->mu_);
        factory_->seen_.push_back(
            it == metadata->end() ? "" : std::string(it->second.data(), it->second.size()));
      }
      methods->Proceed();
    }

   private:
    ProbeFactory* const factory_;
  };

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo*) override {
    return new Probe(this);
  }
  std::vector<std::string> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> seen_ ABSL_GUARDED_BY(mu_);
};

TEST(TraceInterceptor, InterceptorsListedBeforeItSeeTheTraceparentItMadeAndSoDoesTheHandler) {
  RecordingRegistry registry;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&registry);
  auto probe = std::make_unique<ProbeFactory>();
  ProbeFactory* const probe_ptr = probe.get();
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::move(probe));
  interceptors.push_back(MakeTraceInterceptor());  // last, as ServiceHost installs it
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = reg::RegistryService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  for (const std::string sent : {"", "not-a-traceparent"}) {
    grpc::ClientContext ctx;
    if (!sent.empty()) ctx.AddMetadata(kTraceparentMetadataKey, sent);
    reg::BatchGetInstitutionsRequest req;
    req.add_names("institutions/x");
    reg::BatchGetInstitutionsResponse resp;
    ASSERT_TRUE(stub->BatchGetInstitutions(&ctx, req, &resp).ok());
  }
  server->Shutdown();
  const auto seen = probe_ptr->seen();
  const auto handled = registry.received();
  ASSERT_EQ(seen.size(), 2u);
  ASSERT_EQ(handled.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(ParseTraceparent(seen[i]).has_value()) << "'" << seen[i] << "'";
    EXPECT_EQ(handled[i], seen[i]);
  }
  EXPECT_NE(seen[0], seen[1]);
}

TEST(TraceHop, TheActivityServiceSendsTheRegistryAChildOfTheCallersTraceparent) {
  grpc::EnableDefaultHealthCheckService(true);  // the service's channel asks the registry's health
  RecordingRegistry registry;
  grpc::ServerBuilder builder;
  int registry_port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &registry_port);
  builder.RegisterService(&registry);
  std::unique_ptr<grpc::Server> registry_server = builder.BuildAndStart();
  ASSERT_NE(registry_server, nullptr);

  auto db = imp::testing::TestDatabase::Create();
  ServiceHostOptions host;
  host.name = "activity";
  host.readiness_interval = absl::Milliseconds(100);
  activity::ActivityServer activity(host, db->pool_options(),
                                    absl::StrCat("127.0.0.1:", registry_port));
  ASSERT_TRUE(activity.Start().ok());
  auto stub = act::ActivityService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", activity.port()), grpc::InsecureChannelCredentials()));
  act::CreateActivityRequest req;
  *req.mutable_activity() = TrainingAt("volyn");
  grpc::Status s;
  for (int i = 0; i < 100; ++i) {  // until the service is ready (database migrated)
    grpc::ClientContext ctx;
    ctx.AddMetadata(kTraceparentMetadataKey, kSampled);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    act::Activity out;
    s = stub->CreateActivity(&ctx, req, &out);
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(s.ok()) << s.error_message();
  activity.Shutdown();
  registry_server->Shutdown();

  const auto received = registry.received();
  ASSERT_FALSE(received.empty());
  const TraceContext caller = *ParseTraceparent(kSampled);
  for (const auto& traceparent : received) {
    auto hop = ParseTraceparent(traceparent);
    ASSERT_TRUE(hop.has_value()) << "'" << traceparent << "'";
    EXPECT_EQ(hop->trace_id, caller.trace_id);
    EXPECT_EQ(hop->flags, caller.flags);
    EXPECT_NE(hop->parent_id, caller.parent_id) << "a child has a parent id of its own";
  }
}

TEST(ImpctlTrace, AFailedCallNamesTheTraceOfItsErrorDetailsElseTheCommandsOwn) {
  ASSERT_TRUE(impctl::InitCommandTrace().ok());  // no --traceparent, no $IMP_TRACEPARENT
  const auto own = ParseTraceparent(impctl::CommandTraceparent());
  ASSERT_TRUE(own.has_value()) << impctl::CommandTraceparent();
  EXPECT_TRUE(own->sampled()) << "impctl's calls are logged at info level";
  EXPECT_EQ(impctl::TraceIdOfError(absl::UnavailableError("no server")), own->trace_id);
  auto with_info = WithRequestInfo(grpc::Status(grpc::StatusCode::NOT_FOUND, "x"), kTraceId);
  ASSERT_TRUE(with_info.has_value());
  EXPECT_EQ(impctl::TraceIdOfError(FromGrpcStatus(*with_info)), kTraceId);
}

}  // namespace
}  // namespace imp::gateway
