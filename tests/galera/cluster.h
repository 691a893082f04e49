#ifndef IMP_TESTS_GALERA_CLUSTER_H_
#define IMP_TESTS_GALERA_CLUSTER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/net/tls.h"
#include "tests/support/process.h"
#include "tests/support/test_tls.h"

// The Galera tests' launcher: a 3-node MariaDB Galera cluster on loopback (deploy/galera/
// cluster.sh, the same script deploy/galera/up.sh uses), the two service schemas provisioned and
// migrated the way a deploy does it, and the suite as replicas: registry-service and
// activity-service replicas, each pointed at a node of its own, and gateway replicas balancing
// round-robin over them.
namespace imp::testing::galera {

// Runs a shell command; its stdout (and stderr) or an error quoting them.
absl::StatusOr<std::string> RunCommand(const std::string& command);
// Starts a detached shell that runs `command` once this process has ended, however it ends (a
// ctest timeout kills it): what it started outside its own children must not outlive it. A
// shell has no event for a non-child's end, so it looks once a second.
absl::Status RunWhenThisProcessEnds(const std::string& command);

class GaleraCluster {
 public:
  GaleraCluster();  // a temporary directory; nothing started yet
  // Stops the nodes and removes the directory (kept, and printed, when a test failed).
  ~GaleraCluster();

  // Starts the three nodes on free ports and waits until each is Synced. A watchdog process
  // stops them if this test binary dies without cleaning up.
  absl::Status Start();
  absl::Status KillNode(int node);   // kill -9
  absl::Status StartNode(int node);  // rejoin and wait until Synced
  std::string Socket(int node) const;
  // The first column of the first row of `sql` run as root on `node` ("" when none).
  absl::StatusOr<std::string> Query(int node, const std::string& sql) const;
  // A wsrep status variable of `node` (e.g. wsrep_local_state_comment), "" when unreachable.
  std::string Status(int node, const std::string& variable) const;
  // `node`'s port of a kind ("SQL", "GCOMM", "IST" or "SST") as cluster.sh last chose it (it picks
  // new ones for a node whose start found a port in use); 0 when unknown.
  int Port(const std::string& kind, int node) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string Script(const std::string& command, int node = 0) const;
  std::string dir_;
  bool started_ = false;
};

// A service's schema and users (deploy/provision-db.sh, run on node 1; Galera replicates them).
struct ServiceSchema {
  std::string name;  // schema and runtime user; the migration user is name + "_migrate"
  std::string password;
  std::string migration_password;
};
absl::StatusOr<ServiceSchema> Provision(const GaleraCluster& cluster, const std::string& name);
// `binary --migrate_only` as the migration user through `node`, as a deploy's migration step.
absl::Status Migrate(const GaleraCluster& cluster, int node, const std::string& binary,
                     const ServiceSchema& schema);

// Where the replicas of the suite connect: registry replica i uses node registry_nodes[i], and so
// on; every gateway balances over every replica.
struct Topology {
  std::vector<int> registry_nodes = {1, 2};
  std::vector<int> activity_nodes = {3, 1};
  int gateways = 2;
};

class Deployment {
 public:
  Deployment(GaleraCluster* cluster, ServiceSchema registry, ServiceSchema activity,
             Topology topology);
  ~Deployment();  // kills every replica

  // Starts every replica (from the calling thread: see Process) and waits until each is SERVING:
  // the registry replicas, then the activity replicas, then the gateways, so that a replica whose
  // port was taken after it was picked can be started on another before its clients are given
  // its address. Returns an error quoting the log of the first that does not become SERVING.
  absl::Status Start();
  // (Re)starts `p` when it is not running and waits until it is SERVING (gateways: also their
  // facades of both backends).
  absl::Status StartAndWait(Process& p, absl::Duration timeout = absl::Seconds(60));

  Process& registry(int i) { return *registry_[i]; }
  Process& activity(int i) { return *activity_[i]; }
  Process& gateway(int i) { return *gateway_[i]; }
  int port(const Process& p) const;
  std::string Target(const Process& p) const { return "127.0.0.1:" + std::to_string(port(p)); }
  // "ipv4:127.0.0.1:P1,127.0.0.1:P2": every replica of the gateways (what a client balances over).
  std::string GatewaysTarget() const;
  const std::string& admin_token() const { return admin_token_; }
  // Every replica runs as deploy/galera/up.sh runs it: TLS, mutual between the services, with
  // certificates of a throwaway CA made by deploy/tls-certs.sh. The test's own calls present
  // the client certificate "galera-test" (backends) or only verify the server (gateways).
  const TlsOptions& client_tls() const { return client_tls_; }
  const TlsOptions& gateway_client_tls() const { return gateway_client_tls_; }
  // A test channel to `p` with the TLS it needs (fault::TestChannel's arguments).
  std::shared_ptr<grpc::Channel> Channel(const Process& p) const;
  const ServiceSchema& registry_schema() const { return registry_schema_; }
  const ServiceSchema& activity_schema() const { return activity_schema_; }
  std::vector<Process*> all();

 private:
  std::unique_ptr<Process> Make(const std::string& name, const std::string& binary,
                                std::vector<std::string> args,
                                std::vector<std::pair<std::string, std::string>> env);
  // Starts `group` and waits until each is SERVING; one that exited because it could not listen
  // on its port is given a new port and started again (5 attempts).
  absl::Status StartGroup(const std::vector<std::unique_ptr<Process>>& group);
  GaleraCluster* cluster_;
  ServiceSchema registry_schema_, activity_schema_;
  Topology topology_;
  std::string dir_;  // logs, the tokens file and the page token key
  std::string admin_token_;
  std::unique_ptr<TestCertificates> certs_;
  TlsOptions client_tls_, gateway_client_tls_;
  std::vector<std::unique_ptr<Process>> registry_, activity_, gateway_;
  std::vector<std::pair<const Process*, int>> ports_;
};

}  // namespace imp::testing::galera

#endif  // IMP_TESTS_GALERA_CLUSTER_H_
