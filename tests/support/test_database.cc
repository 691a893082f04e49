#include "tests/support/test_database.h"

#include <arpa/inet.h>
#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"

namespace imp::testing {
namespace {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "FATAL test setup: %s\n", message.c_str());
  std::abort();
}

std::string RandomSuffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return absl::StrCat(absl::Hex(rng(), absl::kZeroPad16));
}

// deploy/mariadb.sh's administrator: root, or the OS user running it, through unix_socket
// authentication (no password; the server checks who is at the other end of the socket).
std::string AdminUser() {
  const passwd* pw = getpwuid(geteuid());
  return pw != nullptr ? pw->pw_name : "root";
}

std::unique_ptr<sql::Connection> RootConnection(const std::string& socket) {
  static sql::mysql::MySQL_Driver* driver = sql::mysql::get_mysql_driver_instance();
  sql::ConnectOptionsMap props;
  props["hostName"] = sql::SQLString("localhost");
  props["socket"] = sql::SQLString(socket);
  props["userName"] = sql::SQLString(AdminUser());
  props["password"] = sql::SQLString("");
  props["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  try {
    return std::unique_ptr<sql::Connection>(driver->connect(props));
  } catch (const sql::SQLException& e) {
    Die(absl::StrCat("cannot connect to the test MariaDB at ", socket, ": ", e.what()));
  }
}

void RunAsRoot(const std::string& socket, const std::string& sql) {
  auto conn = RootConnection(socket);
  std::unique_ptr<sql::Statement> stmt(conn->createStatement());
  stmt->execute(sql);
}

std::string MigrationUserOf(const std::string& name) { return name + "_migrate"; }

std::string SourceDir() {
  const char* dir = std::getenv("IMP_SOURCE_DIR");
  return dir != nullptr ? dir : IMP_SOURCE_DIR_DEFAULT;
}

}  // namespace

std::pair<int, int> TestPortRange() {
  constexpr int kLowest = 20000;
  int low = 32768, high = 60999;
  if (FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r"); f != nullptr) {
    if (std::fscanf(f, "%d %d", &low, &high) != 2) low = 32768, high = 60999;
    std::fclose(f);
  }
  if (low - kLowest >= 1000) return {kLowest, low};
  if (65535 - high >= 1000) return {high + 1, 65536};
  return {1024, 65536};  // no port is safe from outgoing connections: callers' retries cover it
}

int PickFreePort() {
  static absl::Mutex mu(absl::kConstInit);
  static std::set<int>* given = new std::set<int>();
  static std::mt19937 rng{std::random_device{}()};
  const auto [low, high] = TestPortRange();
  absl::MutexLock lock(&mu);
  std::uniform_int_distribution<int> any(low, high - 1);
  for (int attempt = 0; attempt < 10000; ++attempt) {
    const int port = any(rng);
    if (given->count(port) > 0) continue;
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) Die("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    // No SO_REUSEADDR: a port a connection still holds (even in TIME_WAIT) counts as taken.
    const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    if (bound) {
      given->insert(port);
      return port;
    }
  }
  Die(absl::StrCat("no free port in [", low, ", ", high, ")"));
}

std::unique_ptr<TestDatabase> TestDatabase::Create(absl::string_view socket) {
  std::string sock(socket);
  if (sock.empty()) {
    const char* env = std::getenv("IMP_TEST_DB_SOCKET");
    if (env == nullptr || *env == '\0') {
      Die("IMP_TEST_DB_SOCKET is not set: run the tests through tests/run.sh, which starts "
          "MariaDB");
    }
    sock = env;
  }
  const std::string name = absl::StrCat("t_", RandomSuffix());
  const std::string password = RandomSuffix();
  const std::string migration_password = RandomSuffix();
  RunAsRoot(sock, absl::StrCat("CREATE DATABASE ", name,
                               " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"));
  // The grants deploy/provision-db.sh gives (there at localhost and 127.0.0.1; tests connect
  // over the socket only). '_' is escaped: in a database-level grant it is a wildcard.
  const std::string schema = absl::StrReplaceAll(name, {{"_", "\\_"}});
  const std::string migration_user = MigrationUserOf(name);
  RunAsRoot(sock,
            absl::StrCat("CREATE USER '", name, "'@'localhost' IDENTIFIED BY '", password, "'"));
  RunAsRoot(sock, absl::StrCat("GRANT ", kRuntimePrivileges, " ON `", schema, "`.* TO '", name,
                               "'@'localhost'"));
  RunAsRoot(sock, absl::StrCat("CREATE USER '", migration_user, "'@'localhost' IDENTIFIED BY '",
                               migration_password, "'"));
  RunAsRoot(sock, absl::StrCat("GRANT ", kRuntimePrivileges, ", ", kMigrationPrivileges, " ON `",
                               schema, "`.* TO '", migration_user, "'@'localhost'"));
  return std::unique_ptr<TestDatabase>(new TestDatabase(sock, name, password, migration_password));
}

TestDatabase::TestDatabase(std::string socket, std::string name, std::string password,
                           std::string migration_password)
    : socket_(std::move(socket)),
      name_(std::move(name)),
      password_(std::move(password)),
      migration_password_(std::move(migration_password)) {}

TestDatabase::~TestDatabase() {
  try {
    RunAsRoot(socket_, absl::StrCat("DROP DATABASE IF EXISTS ", name_));
    RunAsRoot(socket_, absl::StrCat("DROP USER IF EXISTS '", name_, "'@'localhost', '",
                                    MigrationUserOf(name_), "'@'localhost'"));
  } catch (...) {
    // The server may already be gone (outage tests); nothing to clean then.
  }
}

db::PoolOptions TestDatabase::pool_options() const {
  db::PoolOptions options;
  options.socket = socket_;
  options.user = name_;
  options.password = password_;
  options.migration_user = MigrationUserOf(name_);
  options.migration_password = migration_password_;
  options.database = name_;
  options.size = 8;
  options.connect_timeout = absl::Seconds(2);
  return options;
}

void TestDatabase::Execute(const std::string& sql) const {
  auto conn = RootConnection(socket_);
  conn->setSchema(name_);
  std::unique_ptr<sql::Statement> stmt(conn->createStatement());
  stmt->execute(sql);
}

std::string TestDatabase::QueryString(const std::string& sql) const {
  auto conn = RootConnection(socket_);
  conn->setSchema(name_);
  std::unique_ptr<sql::Statement> stmt(conn->createStatement());
  std::unique_ptr<sql::ResultSet> rs(stmt->executeQuery(sql));
  if (!rs->next()) return "";
  return rs->getString(1);
}

PrivateMariaDb::PrivateMariaDb() : port_(PickFreePort()) {
  char tmpl[] = "/tmp/imp-private-db.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) Die("mkdtemp failed");
  dir_ = tmpl;
  socket_ = dir_ + "/mysqld.sock";
}

PrivateMariaDb::~PrivateMariaDb() {
  Stop();
  std::system(absl::StrCat("rm -rf '", dir_, "'").c_str());
}

void PrivateMariaDb::Start() {
  // The port was free when picked; something may have bound it since. deploy/mariadb.sh exits 98
  // (EADDRINUSE) as soon as the server gives up for that reason: start again on another port.
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    const std::string cmd =
        absl::StrCat(SourceDir(), "/deploy/mariadb.sh start '", dir_, "' ", port_);
    const int status = std::system(cmd.c_str());
    if (status == 0) return;
    const bool port_taken = WIFEXITED(status) && WEXITSTATUS(status) == kPortTakenExit;
    if (!port_taken || attempt == kAttempts) Die("could not start a private MariaDB: " + cmd);
    const int taken = port_;
    port_ = PickFreePort();
    std::fprintf(stderr, "private MariaDB: port %d was taken; starting on %d instead\n", taken,
                 port_);
  }
}

void PrivateMariaDb::Stop() {
  const std::string cmd = absl::StrCat(SourceDir(), "/deploy/mariadb.sh stop '", dir_, "'");
  if (std::system(cmd.c_str()) != 0) Die("could not stop the private MariaDB");
}

}  // namespace imp::testing
