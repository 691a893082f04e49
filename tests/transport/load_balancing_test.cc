// Internal channels (MakeChannel) spread calls round-robin over every replica their target names
// or resolves to, and, with client-side health checking, send none to a replica that reports
// NOT_SERVING (its database node is down or outside the primary component, or it is draining).
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/net/channel.h"
#include "gtest/gtest.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "tests/support/test_database.h"
#include "tests/support/test_tls.h"

namespace imp {
namespace {

namespace reg = registry::v1;

// A replica that answers every GetInstitution with its own name, so a client can tell which
// replica served a call.
class NamedReplica final : public reg::RegistryService::CallbackService {
 public:
  explicit NamedReplica(std::string name, const TlsOptions* tls = nullptr)
      : name_(std::move(name)) {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    port_ = testing::PickFreePort();
    builder.AddListeningPort(absl::StrCat("127.0.0.1:", port_),
                             tls != nullptr
                                 ? MakeServerCredentials(*tls, ClientCertificates::kRequired)
                                 : grpc::InsecureServerCredentials());
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~NamedReplica() override { server_->Shutdown(std::chrono::system_clock::now()); }

  grpc::ServerUnaryReactor* GetInstitution(grpc::CallbackServerContext* ctx,
                                           const reg::GetInstitutionRequest*,
                                           reg::Institution* response) override {
    response->set_name(name_);
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  void SetServing(bool serving) { server_->GetHealthCheckService()->SetServingStatus("", serving); }
  int port() const { return port_; }
  bool started() const { return server_ != nullptr; }

 private:
  std::string name_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// Which replica served each of `calls` calls: name -> count ("error" for failed calls).
std::map<std::string, int> CallsPerReplica(reg::RegistryService::Stub& stub, int calls) {
  std::map<std::string, int> served;
  for (int i = 0; i < calls; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    ctx.set_wait_for_ready(true);
    reg::GetInstitutionRequest req;
    req.set_name("institutions/any");
    reg::Institution out;
    grpc::Status s = stub.GetInstitution(&ctx, req, &out);
    ++served[s.ok() ? out.name() : "error"];
  }
  return served;
}

// True once both replicas "a" and "b" have served a call (within 3 s).
bool BothServe(reg::RegistryService::Stub& stub) {
  std::map<std::string, int> served;
  const absl::Time deadline = absl::Now() + absl::Seconds(3);
  while ((served["a"] == 0 || served["b"] == 0) && absl::Now() < deadline) {
    for (const auto& [name, n] : CallsPerReplica(stub, 2)) served[name] += n;
  }
  return served["a"] > 0 && served["b"] > 0;
}

TEST(LoadBalancingTest, ACallerBalancesOverEveryReplicaTheTargetLists) {
  NamedReplica a("a"), b("b");
  ASSERT_TRUE(a.started() && b.started());
  auto stub = reg::RegistryService::NewStub(MakeChannel(
      absl::StrCat("ipv4:127.0.0.1:", a.port(), ",127.0.0.1:", b.port()), ChannelOptions{}));
  // The first calls go to the replica that connected first; round-robin takes turns once both
  // connections are up.
  ASSERT_TRUE(BothServe(*stub));
  auto served = CallsPerReplica(*stub, 40);
  EXPECT_EQ(served["error"], 0);
  EXPECT_GE(served["a"], 15) << "a: " << served["a"] << ", b: " << served["b"];
  EXPECT_GE(served["b"], 15) << "a: " << served["a"] << ", b: " << served["b"];
}

TEST(LoadBalancingTest, AReplicaThatReportsNotServingGetsNoCallsUntilItServesAgain) {
  NamedReplica a("a"), b("b");
  ASSERT_TRUE(a.started() && b.started());
  ChannelOptions options;
  options.health_check_service = "";
  auto stub = reg::RegistryService::NewStub(
      MakeChannel(absl::StrCat("ipv4:127.0.0.1:", a.port(), ",127.0.0.1:", b.port()), options));
  ASSERT_TRUE(BothServe(*stub));
  b.SetServing(false);
  // The event: the channel's health watch has heard of it, i.e. a run of calls that round-robin
  // over two ready replicas would split (every other one to b) all go to a.
  const absl::Time heard_by = absl::Now() + absl::Seconds(3);
  std::map<std::string, int> window;
  do {
    window = CallsPerReplica(*stub, 6);
  } while (window["a"] != 6 && absl::Now() < heard_by);
  auto served = CallsPerReplica(*stub, 40);
  EXPECT_EQ(served["a"], 40) << "b (NOT_SERVING) got " << served["b"] << " calls";

  b.SetServing(true);
  const absl::Time deadline = absl::Now() + absl::Seconds(3);
  int b_calls = 0;
  while (b_calls == 0 && absl::Now() < deadline) b_calls = CallsPerReplica(*stub, 10)["b"];
  EXPECT_GT(b_calls, 0) << "b got no calls within 3 s of SERVING again";
}

TEST(LoadBalancingTest, WithoutHealthCheckingEveryReplicaThatAcceptsConnectionsGetsCalls) {
  // impctl's channels: `impctl health` must reach a NOT_SERVING server to report it.
  NamedReplica a("a");
  ASSERT_TRUE(a.started());
  a.SetServing(false);
  auto stub = reg::RegistryService::NewStub(MakeChannel(absl::StrCat("127.0.0.1:", a.port()), {}));
  EXPECT_EQ(CallsPerReplica(*stub, 3)["a"], 3);
}

TEST(LoadBalancingTest, ADnsTargetReachesTheReplicasItsNameResolvesTo) {
  // The form of a Kubernetes headless Service (dns:///registry:50051); "localhost" resolves to
  // 127.0.0.1 (and maybe ::1, where nothing listens: round-robin skips that address).
  NamedReplica a("a");
  ASSERT_TRUE(a.started());
  auto stub = reg::RegistryService::NewStub(
      MakeChannel(absl::StrCat("dns:///localhost:", a.port()), ChannelOptions{}));
  EXPECT_EQ(CallsPerReplica(*stub, 5)["a"], 5);
}

TEST(LoadBalancingTest, ReplicasListedByAddressAreReachedOverMutualTls) {
  // A list of addresses has no name of its own; the certificates (SAN 127.0.0.1) are checked
  // against the first address's host. Before: "Peer name 127.0.0.1:P1,127.0.0.1:P2 is not in
  // peer certificate" for every replica.
  auto certs = testing::TestCertificates::Create({"registry", "gateway"});
  const TlsOptions server = certs->For("registry");
  NamedReplica a("a", &server), b("b", &server);
  ASSERT_TRUE(a.started() && b.started());
  ChannelOptions options;
  options.tls = certs->For("gateway");
  options.health_check_service = "";
  auto stub = reg::RegistryService::NewStub(
      MakeChannel(absl::StrCat("ipv4:127.0.0.1:", a.port(), ",127.0.0.1:", b.port()), options));
  EXPECT_TRUE(BothServe(*stub));
}

TEST(LoadBalancingTest, AListOfAddressesIsCheckedAgainstItsFirstHost) {
  EXPECT_EQ(FirstListedHost("ipv4:127.0.0.1:50161,127.0.0.1:50162"), "127.0.0.1");
  EXPECT_EQ(FirstListedHost("ipv4:10.0.0.5:1,10.0.0.6:1"), "10.0.0.5");
  EXPECT_EQ(FirstListedHost("ipv6:[::1]:50161,[::1]:50162"), "::1");
  EXPECT_EQ(FirstListedHost("ipv4:127.0.0.1:50161"), std::nullopt);
  EXPECT_EQ(FirstListedHost("dns:///registry:50051"), std::nullopt);
  EXPECT_EQ(FirstListedHost("127.0.0.1:50051"), std::nullopt);
}

TEST(LoadBalancingTest, TheServiceConfigNamesRoundRobinAndTheHealthCheckedService) {
  ChannelOptions options;
  EXPECT_EQ(ServiceConfigJson(options), R"({"loadBalancingConfig":[{"round_robin":{}}]})");
  options.health_check_service = "imp.registry.v1.RegistryService";
  EXPECT_EQ(ServiceConfigJson(options),
            R"({"loadBalancingConfig":[{"round_robin":{}}],)"
            R"("healthCheckConfig":{"serviceName":"imp.registry.v1.RegistryService"}})");
}

}  // namespace
}  // namespace imp
