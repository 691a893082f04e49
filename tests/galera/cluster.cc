#include "tests/galera/cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/db/migrations.h"
#include "gtest/gtest.h"
#include "imp/activity/v1/activity.grpc.pb.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "tests/fault/suite.h"
#include "tests/support/test_database.h"

namespace imp::testing::galera {
namespace {

std::string SourceDir() {
  const char* dir = std::getenv("IMP_SOURCE_DIR");
  return dir != nullptr && *dir != '\0' ? dir : IMP_SOURCE_DIR_DEFAULT;
}

std::string Quote(const std::string& s) {
  return absl::StrCat("'", absl::StrReplaceAll(s, {{"'", "'\\''"}}), "'");
}

std::string RandomHex() {
  static std::mt19937_64 rng{std::random_device{}()};
  return absl::StrCat(absl::Hex(rng(), absl::kZeroPad16), absl::Hex(rng(), absl::kZeroPad16));
}

std::string TempDir(const char* prefix) {
  std::string tmpl = absl::StrCat("/tmp/", prefix, ".XXXXXX");
  return mkdtemp(tmpl.data()) != nullptr ? tmpl : "";
}

bool PortAccepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

}  // namespace

absl::StatusOr<std::string> RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = popen(absl::StrCat(command, " 2>&1").c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("popen failed: " + command);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  if (pclose(pipe) != 0) return absl::InternalError(absl::StrCat(command, " failed:\n", out));
  return out;
}

// ---- GaleraCluster ----

GaleraCluster::GaleraCluster() : dir_(TempDir("imp-galera")) {}

GaleraCluster::~GaleraCluster() {
  if (started_) (void)RunCommand(Script("stop"));
  if (::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
    std::printf("galera cluster logs kept in %s (node*/error.log)\n", dir_.c_str());
  } else if (!dir_.empty()) {
    (void)RunCommand("rm -rf " + Quote(dir_));
  }
}

std::string GaleraCluster::Script(const std::string& command, int node) const {
  return absl::StrCat(Quote(SourceDir() + "/deploy/galera/cluster.sh"), " ", command, " ",
                      Quote(dir_), node > 0 ? absl::StrCat(" ", node) : "");
}

absl::Status RunWhenThisProcessEnds(const std::string& command) {
  const std::string watchdog = absl::StrCat(
      "setsid bash -c ",
      Quote(absl::StrCat("while kill -0 ", getpid(), " 2>/dev/null; do sleep 1; done; ", command)),
      " </dev/null >/dev/null 2>&1 &");
  if (std::system(watchdog.c_str()) != 0) return absl::InternalError("cannot start the watchdog");
  return absl::OkStatus();
}

absl::Status GaleraCluster::Start() {
  if (dir_.empty()) return absl::InternalError("mkdtemp failed");
  started_ = true;
  // The nodes outlive the script that starts them; if this binary is killed (ctest timeout),
  // the watchdog stops them within a second or so.
  absl::Status watchdog =
      RunWhenThisProcessEnds(absl::StrCat("[ -d ", Quote(dir_), " ] && ", Script("stop")));
  if (!watchdog.ok()) return watchdog;
  auto out = RunCommand("IMP_GALERA_PORTS=free " + Script("start"));
  return out.ok() ? absl::OkStatus() : out.status();
}

absl::Status GaleraCluster::KillNode(int node) {
  auto out = RunCommand(Script("kill-node", node));
  return out.ok() ? absl::OkStatus() : out.status();
}

absl::Status GaleraCluster::StartNode(int node) {
  auto out = RunCommand(Script("start-node", node));
  return out.ok() ? absl::OkStatus() : out.status();
}

std::string GaleraCluster::Socket(int node) const {
  return absl::StrCat(dir_, "/node", node, "/mysqld.sock");
}

absl::StatusOr<std::string> GaleraCluster::Query(int node, const std::string& sql) const {
  auto out = RunCommand(absl::StrCat("mariadb --no-defaults --socket=", Quote(Socket(node)),
                                     " -uroot -N -B -e ", Quote(sql)));
  if (!out.ok()) return out.status();
  const size_t end = out->find_first_of("\t\n");
  return end == std::string::npos ? *out : out->substr(0, end);
}

int GaleraCluster::Port(const std::string& kind, int node) const {
  std::ifstream env(dir_ + "/cluster.env");
  const std::string prefix = kind + "_PORTS=";
  for (std::string line; std::getline(env, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::vector<std::string> ports = absl::StrSplit(line.substr(prefix.size()), ',');
    int port = 0;
    if (node >= 1 && node <= static_cast<int>(ports.size()) &&
        absl::SimpleAtoi(ports[node - 1], &port)) {
      return port;
    }
  }
  return 0;
}

std::string GaleraCluster::Status(int node, const std::string& variable) const {
  auto out = RunCommand(absl::StrCat("mariadb --no-defaults --socket=", Quote(Socket(node)),
                                     " -uroot -N -B -e ",
                                     Quote("SHOW STATUS LIKE '" + variable + "'"), " | cut -f2"));
  if (!out.ok()) return "";
  return std::string(absl::StripTrailingAsciiWhitespace(*out));
}

// ---- provisioning and migrations ----

absl::StatusOr<ServiceSchema> Provision(const GaleraCluster& cluster, const std::string& name) {
  ServiceSchema schema{name, RandomHex(), RandomHex()};
  auto out = RunCommand(absl::StrCat(Quote(SourceDir() + "/deploy/provision-db.sh"), " ",
                                     Quote(cluster.Socket(1)), " ", name, " ", schema.password, " ",
                                     schema.migration_password));
  if (!out.ok()) return out.status();
  return schema;
}

absl::Status Migrate(const GaleraCluster& cluster, int node, const std::string& binary,
                     const ServiceSchema& schema) {
  auto out = RunCommand(absl::StrCat("IMP_DB_MIGRATION_PASSWORD=", schema.migration_password, " ",
                                     Quote(fault::BuildDir() + "/" + binary),
                                     " --migrate_only --db_socket=", Quote(cluster.Socket(node)),
                                     " --db_name=", schema.name,
                                     " --db_migration_user=", schema.name, "_migrate"));
  return out.ok() ? absl::OkStatus() : out.status();
}

// ---- Deployment ----

Deployment::Deployment(GaleraCluster* cluster, ServiceSchema registry, ServiceSchema activity,
                       Topology topology)
    : cluster_(cluster),
      registry_schema_(std::move(registry)),
      activity_schema_(std::move(activity)),
      topology_(std::move(topology)),
      dir_(TempDir("imp-galera-suite")) {}

Deployment::~Deployment() {
  for (auto* group : {&gateway_, &activity_, &registry_}) {
    for (auto& p : *group) p->Kill();
  }
  if (::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
    std::printf("galera suite logs kept in %s\n", dir_.c_str());
  } else if (!dir_.empty()) {
    (void)RunCommand("rm -rf " + Quote(dir_));
  }
}

std::unique_ptr<Process> Deployment::Make(const std::string& name, const std::string& binary,
                                          std::vector<std::string> args,
                                          std::vector<std::pair<std::string, std::string>> env) {
  const int port = PickFreePort();  // never one given before in this process
  ProcessSpec spec;
  spec.name = name;
  spec.binary = absl::StrCat(fault::BuildDir(), "/", binary);
  spec.args = std::move(args);
  spec.args.insert(spec.args.begin(), absl::StrCat("--port=", port));
  spec.env = std::move(env);
  spec.log_path = absl::StrCat(dir_, "/", name, ".log");
  auto process = std::make_unique<Process>(std::move(spec));
  ports_.emplace_back(process.get(), port);
  return process;
}

std::shared_ptr<grpc::Channel> Deployment::Channel(const Process& p) const {
  const bool gateway = p.spec().name.rfind("gateway", 0) == 0;
  return fault::TestChannel(Target(p), gateway ? gateway_client_tls_ : client_tls_);
}

int Deployment::port(const Process& p) const {
  for (const auto& [process, port] : ports_) {
    if (process == &p) return port;
  }
  return 0;
}

std::string Deployment::GatewaysTarget() const {
  std::vector<std::string> addresses;
  for (const auto& g : gateway_) addresses.push_back(Target(*g));
  return "ipv4:" + absl::StrJoin(addresses, ",");
}

std::vector<Process*> Deployment::all() {
  std::vector<Process*> out;
  for (auto* group : {&registry_, &activity_, &gateway_}) {
    for (auto& p : *group) out.push_back(p.get());
  }
  return out;
}

absl::Status Deployment::Start() {
  if (dir_.empty()) return absl::InternalError("mkdtemp failed");
  admin_token_ = RandomHex();
  const std::string tokens = dir_ + "/tokens.txt";
  std::ofstream(tokens) << db::Sha256Hex(admin_token_) << " admin galera-admin\n";
  // Every replica of a service signs page tokens with the same key, so that a page token from
  // one replica is accepted by the next (round-robin sends each page anywhere).
  const std::string page_key = dir_ + "/page-token.key";
  std::ofstream(page_key) << RandomHex() << RandomHex() << "\n";

  certs_ = TestCertificates::Create({"gateway", "registry", "activity", "galera-test:client"});
  client_tls_ = certs_->For("galera-test");
  gateway_client_tls_ = certs_->CaOnly();
  auto tls_flags = [&](const std::string& who) {
    return std::vector<std::string>{"--tls_cert=" + certs_->Path(who + ".pem"),
                                    "--tls_key=" + certs_->Path(who + ".key"),
                                    "--tls_ca=" + certs_->Path("ca.pem")};
  };
  auto db_flags = [&](const ServiceSchema& schema, int node, const std::string& who) {
    std::vector<std::string> flags = {"--db_socket=" + cluster_->Socket(node),
                                      "--db_user=" + schema.name, "--db_name=" + schema.name,
                                      "--page_token_key_file=" + page_key};
    for (std::string& f : tls_flags(who)) flags.push_back(std::move(f));
    return flags;
  };
  for (size_t i = 0; i < topology_.registry_nodes.size(); ++i) {
    registry_.push_back(Make(absl::StrCat("registry", i + 1), "registry-service/registry_service",
                             db_flags(registry_schema_, topology_.registry_nodes[i], "registry"),
                             {{"IMP_DB_PASSWORD", registry_schema_.password}}));
  }
  if (absl::Status s = StartGroup(registry_); !s.ok()) return s;
  std::vector<std::string> registry_addresses;
  for (const auto& r : registry_) registry_addresses.push_back(Target(*r));
  const std::string registry_target = "ipv4:" + absl::StrJoin(registry_addresses, ",");
  for (size_t i = 0; i < topology_.activity_nodes.size(); ++i) {
    auto args = db_flags(activity_schema_, topology_.activity_nodes[i], "activity");
    args.push_back("--registry_target=" + registry_target);
    activity_.push_back(Make(absl::StrCat("activity", i + 1), "activity-service/activity_service",
                             args, {{"IMP_DB_PASSWORD", activity_schema_.password}}));
  }
  if (absl::Status s = StartGroup(activity_); !s.ok()) return s;
  std::vector<std::string> activity_addresses;
  for (const auto& a : activity_) activity_addresses.push_back(Target(*a));
  for (int i = 0; i < topology_.gateways; ++i) {
    std::vector<std::string> args = {
        "--tokens_file=" + tokens, "--registry_target=" + registry_target,
        "--activity_target=ipv4:" + absl::StrJoin(activity_addresses, ",")};
    for (std::string& f : tls_flags("gateway")) args.push_back(std::move(f));
    gateway_.push_back(Make(absl::StrCat("gateway", i + 1), "gateway/gateway", args, {}));
  }
  if (absl::Status s = StartGroup(gateway_); !s.ok()) return s;
  return absl::OkStatus();
}

absl::Status Deployment::StartGroup(const std::vector<std::unique_ptr<Process>>& group) {
  for (const auto& p : group) {
    if (absl::Status s = p->Start(); !s.ok()) return s;
  }
  for (const auto& p : group) {
    for (int attempt = 1;; ++attempt) {
      absl::Status s = StartAndWait(*p);
      if (s.ok()) break;
      // ServiceHost's words when the bind fails.
      const bool port_taken = !p->Running() && absl::StrContains(p->LogTail(5), "cannot listen on");
      if (!port_taken || attempt == 5) return s;
      const int port = PickFreePort();
      std::printf("galera: %s could not listen on port %d; starting it on %d\n",
                  p->spec().name.c_str(), this->port(*p), port);
      for (auto& [process, used] : ports_) {
        if (process == p.get()) used = port;
      }
      p->mutable_spec().args[0] = absl::StrCat("--port=", port);
    }
  }
  return absl::OkStatus();
}

absl::Status Deployment::StartAndWait(Process& p, absl::Duration timeout) {
  if (!p.Running()) {
    if (absl::Status s = p.Start(); !s.ok()) return s;
  }
  const absl::Time give_up = absl::Now() + timeout;
  auto failure = [&](const std::string& what) {
    return absl::DeadlineExceededError(absl::StrCat(p.spec().name, " ", what, " (",
                                                    absl::StrJoin(p.spec().args, " "),
                                                    "); its log ends:\n", p.LogTail()));
  };
  // A gRPC channel whose first connection is refused retries only seconds later (gRPC 1.51):
  // probe once the port accepts.
  while (!PortAccepts(port(p))) {
    if (!p.Running()) return failure("exited at start-up");
    if (absl::Now() > give_up) return failure("did not listen in time");
    absl::SleepFor(absl::Milliseconds(20));
  }
  std::vector<std::string> names = {""};
  if (p.spec().name.rfind("gateway", 0) == 0) {
    names.push_back(registry::v1::RegistryService::service_full_name());
    names.push_back(activity::v1::ActivityService::service_full_name());
  }
  fault::HealthProbe probe(Channel(p));
  for (const std::string& name : names) {
    std::string last;
    while ((last = probe.Check(name)) != "SERVING") {
      if (!p.Running()) return failure("exited");
      if (absl::Now() > give_up)
        return failure("was not SERVING (" + name + ", last " + last + ")");
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
  return absl::OkStatus();
}

}  // namespace imp::testing::galera
