// What a replica does when its Galera node cannot serve, and what a replica on one node reads of a
// write acknowledged through another.
#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "tests/fault/suite.h"
#include "tests/galera/environment.h"
#include "tests/support/process.h"

namespace imp::testing::galera {
namespace {

namespace reg = registry::v1;
using fault::Context;
using fault::HealthProbe;

// Polls `probe` until `service` reports `want` or `timeout` passes; the last answer.
std::string AwaitHealth(HealthProbe& probe, const std::string& want, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last;
  while ((last = probe.Check("")) != want && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  return last;
}

reg::CreateInstitutionRequest NewInstitution(const std::string& id) {
  reg::CreateInstitutionRequest req;
  req.set_institution_id(id);
  req.mutable_institution()->set_display_name("Galera node test " + id);
  req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
  req.mutable_institution()->set_country("UA");
  req.mutable_institution()->set_region("UA-46");
  return req;
}

// A node outside the cluster's primary component, or still joining, answers `SELECT 1` but
// refuses every table (error 1047). `wsrep_reject_queries = ALL` (an operator's way to take a
// node out of rotation) makes a node answer exactly so.
TEST(GaleraNodes, AReplicaWhoseNodeRefusesQueriesReportsNotServingAndAnswersUnavailable) {
  ASSERT_NE(shared().cluster, nullptr);
  GaleraCluster& cluster = *shared().cluster;
  Deployment suite(&cluster, shared().registry, shared().activity,
                   Topology{{1}, {}, /*gateways=*/0});
  absl::Status started = suite.Start();
  ASSERT_TRUE(started.ok()) << started.message();
  HealthProbe health(suite.Channel(suite.registry(0)));
  auto stub = reg::RegistryService::NewStub(suite.Channel(suite.registry(0)));

  ASSERT_TRUE(cluster.Query(1, "SET GLOBAL wsrep_reject_queries = ALL").ok());
  absl::Cleanup accept = [&] { (void)cluster.Query(1, "SET GLOBAL wsrep_reject_queries = NONE"); };
  EXPECT_EQ(AwaitHealth(health, "NOT_SERVING", absl::Seconds(5)), "NOT_SERVING")
      << "a replica whose node refuses queries still said SERVING";
  reg::GetInstitutionRequest get;
  get.set_name("institutions/galera-not-there");
  reg::Institution out;
  grpc::Status s = stub->GetInstitution(Context(absl::Seconds(5)).get(), get, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();

  ASSERT_TRUE(cluster.Query(1, "SET GLOBAL wsrep_reject_queries = NONE").ok());
  EXPECT_EQ(AwaitHealth(health, "SERVING", absl::Seconds(5)), "SERVING");
  s = stub->GetInstitution(Context(absl::Seconds(5)).get(), get, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
}

// Galera applies a write on the other nodes shortly after it commits; a replica on another node
// must not answer NOT_FOUND for a resource the client was just told exists. Node 2 is made to
// lag deterministically: a session holds FLUSH TABLES WITH READ LOCK for 3 s, which pauses its
// applier.
TEST(GaleraNodes, AReplicaOnAnotherNodeReadsAWriteAcknowledgedAMomentAgo) {
  ASSERT_NE(shared().cluster, nullptr);
  GaleraCluster& cluster = *shared().cluster;
  Deployment suite(&cluster, shared().registry, shared().activity,
                   Topology{{1, 2}, {}, /*gateways=*/0});
  absl::Status started = suite.Start();
  ASSERT_TRUE(started.ok()) << started.message();
  auto on_node1 = reg::RegistryService::NewStub(suite.Channel(suite.registry(0)));
  auto on_node2 = reg::RegistryService::NewStub(suite.Channel(suite.registry(1)));

  ProcessSpec lag;
  lag.name = "lag";
  lag.binary = "/usr/bin/mariadb";
  lag.args = {"--no-defaults", "--socket=" + cluster.Socket(2), "-uroot", "-e",
              "FLUSH TABLES WITH READ LOCK; SELECT SLEEP(3);"};
  lag.log_path = cluster.dir() + "/lag.log";
  Process holder(lag);
  ASSERT_TRUE(holder.Start().ok());
  // Until the lock is held (the session sleeps).
  for (int i = 0; i < 50; ++i) {
    auto sleeping = cluster.Query(
        2, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE STATE = 'User sleep'");
    if (sleeping.ok() && *sleeping == "1") break;
    absl::SleepFor(absl::Milliseconds(50));
  }

  const std::string id = absl::StrCat("galera-causal-", absl::ToUnixMicros(absl::Now()));
  reg::Institution created;
  grpc::Status s =
      on_node1->CreateInstitution(Context(absl::Seconds(10)).get(), NewInstitution(id), &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  reg::GetInstitutionRequest get;
  get.set_name(created.name());
  reg::Institution read;
  const absl::Time asked = absl::Now();
  s = on_node2->GetInstitution(Context(absl::Seconds(10)).get(), get, &read);
  const absl::Duration waited = absl::Now() - asked;
  EXPECT_TRUE(s.ok()) << "node 2's replica answered " << s.error_code() << " " << s.error_message()
                      << " for a write acknowledged through node 1";
  EXPECT_EQ(read.etag(), created.etag());
  std::printf("FIGURES causal read on a lagging node: waited_s=%s\n",
              fault::Seconds(waited).c_str());
  holder.Wait(absl::Seconds(10));
}

}  // namespace
}  // namespace imp::testing::galera
