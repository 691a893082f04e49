#ifndef IMP_TESTS_FAULT_SUITE_H_
#define IMP_TESTS_FAULT_SUITE_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "common/net/tls.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "imp/activity/v1/activity.grpc.pb.h"
#include "imp/gateway/v1/gateway.grpc.pb.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "tests/support/process.h"
#include "tests/support/test_database.h"

// The fault suite's launcher: a MariaDB of the test's own plus the three real binaries
// (registry-service, activity-service, gateway) on free loopback ports, each restartable on the
// same port, and the clients the tests use to reach them.
namespace imp::testing::fault {

// Where the binaries are: $IMP_BUILD_DIR, else the build directory this test was built in.
std::string BuildDir();

// A private MariaDB (tests/support PrivateMariaDb over deploy/mariadb.sh) that a test may kill
// with SIGKILL, stall with SIGSTOP and start again on the same directory and port. Destroying it
// resumes a stalled server first, then stops it.
class FaultDatabase {
 public:
  FaultDatabase();  // starts the server
  ~FaultDatabase();

  const std::string& socket() const { return db_.socket(); }
  // The server's pid, from <dir>/mysqld.pid; -1 when unknown.
  pid_t Pid() const;
  // kill -9 and wait until the process is gone.
  void Kill9();
  void Stall();   // SIGSTOP
  void Resume();  // SIGCONT
  // deploy/mariadb.sh start on the same directory and port (after Kill9).
  void Restart();
  // Runs `sql` as root (mariadb CLI over the socket) and returns the first column of the first
  // row ("" when there is none).
  std::string Query(const std::string& sql) const;

 private:
  std::string dir_;
  PrivateMariaDb db_;
  bool stalled_ = false;
};

// How a service reaches its database: the flags and environment it is started with.
struct ServiceDatabase {
  std::string database;  // the schema, for inspection queries
  std::vector<std::string> flags;
  std::vector<std::pair<std::string, std::string>> env;
};

// THE one place the fault suite provisions a service's schema and database user(s), the way
// deploy/local/up.sh does (deploy/provision-db.sh). Adapt here when provisioning changes.
ServiceDatabase ProvisionServiceDatabase(const FaultDatabase& db, const std::string& name);

struct SuiteOptions {
  // Extra flags per binary (e.g. --drain_seconds=2, --backend_timeout_seconds=2).
  std::vector<std::string> registry_flags;
  std::vector<std::string> activity_flags;
  std::vector<std::string> gateway_flags;
};

// grpc.health.v1 status of `service` ("" for the whole server) as a word: SERVING, NOT_SERVING,
// SERVICE_UNKNOWN, or the gRPC code of a failed check (e.g. UNAVAILABLE, DEADLINE_EXCEEDED).
class HealthProbe {
 public:
  explicit HealthProbe(const std::string& target);
  // Over `channel` (e.g. a TestChannel with TLS).
  explicit HealthProbe(std::shared_ptr<grpc::Channel> channel);
  std::string Check(const std::string& service, absl::Duration timeout = absl::Milliseconds(500));

 private:
  std::unique_ptr<grpc::health::v1::Health::Stub> stub_;
};

// A channel for the tests' own calls, with a short reconnect backoff and a connection of its own.
// Measured here (gRPC 1.51): a channel whose connection was refused still retries only every ~5 s,
// whatever the backoff arguments, so the Suite makes a new one after restarting a process.
std::shared_ptr<grpc::Channel> TestChannel(const std::string& target);
// The same over TLS with `tls` (its client certificate, when it has one): the certificate of a
// server on 127.0.0.1 is checked against that address.
std::shared_ptr<grpc::Channel> TestChannel(const std::string& target, const TlsOptions& tls);

// A context with a deadline; `token` adds the gateway's Bearer authorization, otherwise the
// x-imp-actor metadata internal callers send.
std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout, const std::string& token = "");

class Suite {
 public:
  explicit Suite(SuiteOptions options = {});
  // Kills what is still running (also after a failed assertion), then stops MariaDB. Logs are
  // kept (and their directory printed) when the test failed.
  ~Suite();

  // MariaDB, provisioning, the three binaries, and the seed institution (kSeedHost, rows.h);
  // fails the test (fatal) when something does not become SERVING within 30 s, quoting the
  // process's log.
  void Start();
  // (Re)starts one process on its port (when it is not running) and waits until its health is
  // SERVING. The stubs below that reach a restarted process are replaced: don't hold references
  // to them across a restart.
  void StartAndWait(Process& process, absl::Duration timeout = absl::Seconds(30));

  FaultDatabase& db() { return *db_; }
  Process& registry() { return *registry_; }
  Process& activity() { return *activity_; }
  Process& gateway() { return *gateway_; }
  std::string registry_target() const { return Target(registry_port_); }
  std::string activity_target() const { return Target(activity_port_); }
  std::string gateway_target() const { return Target(gateway_port_); }
  const std::string& admin_token() const { return admin_token_; }
  const std::string& activity_database() const { return activity_db_.database; }
  const std::string& registry_database() const { return registry_db_.database; }

  registry::v1::RegistryService::Stub& registry_stub() { return *registry_stub_; }
  activity::v1::ActivityService::Stub& activity_stub() { return *activity_stub_; }
  // The gateway's facade of the two services (calls need Context(..., admin_token())).
  registry::v1::RegistryService::Stub& gateway_registry_stub() { return *gateway_registry_; }
  activity::v1::ActivityService::Stub& gateway_activity_stub() { return *gateway_activity_; }

  // Activities in the activity-service's table (straight from the database, so it works while
  // the service is down); `where` restricts it, e.g. "YEAR(start_date) = 2024".
  long StoredActivities(const std::string& where = "") const;
  // Restarts the activity service when it is not running, then counts (see StoredActivities).
  long StoredActivitiesAfterRestart(const std::string& where = "");
  // Activities as a READ UNCOMMITTED reader sees them: also the rows an import's open
  // transaction has written so far (the import applies each message as it arrives), i.e. what
  // the service has received and applied, before it commits or rolls back.
  long UncommittedActivities(const std::string& where = "") const;
  // Transactions open in MariaDB that have written rows (an import being applied).
  long OpenWriteTransactions() const;

 private:
  static std::string Target(int port) { return "127.0.0.1:" + std::to_string(port); }
  std::unique_ptr<Process> MakeProcess(const std::string& name, const std::string& binary,
                                       std::vector<std::string> args,
                                       std::vector<std::pair<std::string, std::string>> env);
  void Seed();
  // (Re)creates the tests' stubs: all of them, or those reaching `restarted`.
  void MakeStubs(const Process* restarted);

  SuiteOptions options_;
  std::string dir_;  // logs and the tokens file
  std::unique_ptr<FaultDatabase> db_;
  ServiceDatabase registry_db_, activity_db_;
  int registry_port_ = 0, activity_port_ = 0, gateway_port_ = 0;
  std::string admin_token_;
  std::unique_ptr<Process> registry_, activity_, gateway_;
  std::unique_ptr<registry::v1::RegistryService::Stub> registry_stub_, gateway_registry_;
  std::unique_ptr<activity::v1::ActivityService::Stub> activity_stub_, gateway_activity_;
};

// A thread joined when it goes out of scope, also when an assertion returns early. Its function
// must end by itself (every loop in the fault tests is bounded in time).
class JoiningThread {
 public:
  template <typename F>
  explicit JoiningThread(F&& f) : thread_(std::forward<F>(f)) {}
  ~JoiningThread() { Join(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

// Polls `done` every `every` until it holds or `timeout` passes; returns whether it held. The
// fault suite's only way to wait for an event it cannot be told about.
bool WaitFor(const std::function<bool()>& done, absl::Duration timeout,
             absl::Duration every = absl::Milliseconds(20));

// The request log lines (event=rpc, common/server/request_log.h) `process` wrote for `method`
// (its short name, e.g. "ImportActivities") with gRPC status `status` (e.g. "CANCELLED"):
// what the service itself says a call ended with. Failed calls are logged at warning level,
// so they are always there; successful ones only when slow or at IMP_LOG_LEVEL=debug.
int RpcLogLines(const Process& process, const std::string& method, const std::string& status);
// The statuses of those lines, in log order, whatever the status.
std::vector<std::string> RpcStatusesLogged(const Process& process, const std::string& method);
// The whole log of `process` (for failure messages and searches).
std::string LogOf(const Process& process);

// Prints `FIGURES <test>: key=value ...` on one line (copied into RELIABILITY.md), records the
// figures as test properties, and appends them as one JSON object to FiguresPath() (printed):
//   {"test":"Suite.Name","utc":"2026-12-07T11:00:00Z","git_commit":"<sha>"|null,
//    "figures":{"key":<number when the value is one, else the text>,...}}
void PrintFigures(const std::vector<std::pair<std::string, std::string>>& figures);
// $IMP_REPORT_DIR/fault-figures.jsonl, else <build dir>/reports/fault-figures.jsonl.
std::string FiguresPath();

// The p-th percentile (0..100) of `values`. An empty list has no percentile: that is a failed
// measurement, not a fast one, so it fails the test (non-fatal) and returns NaN (which fails
// every bound it is compared with).
double Percentile(std::vector<double> values, double p);

// Seconds or milliseconds as text with a fixed precision, for figures.
std::string Seconds(absl::Duration d);
std::string Millis(double ms);

}  // namespace imp::testing::fault

#endif  // IMP_TESTS_FAULT_SUITE_H_
