#ifndef IMP_TESTS_SUPPORT_TEST_DATABASE_H_
#define IMP_TESTS_SUPPORT_TEST_DATABASE_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "common/db/pool.h"

namespace imp::testing {

// The privileges deploy/provision-db.sh grants on a service's own schema (and nothing else).
inline constexpr char kRuntimePrivileges[] = "SELECT, INSERT, UPDATE, DELETE";
inline constexpr char kMigrationPrivileges[] = "CREATE, ALTER, INDEX, DROP, REFERENCES";

// A fresh, empty database and its two users, as deploy/provision-db.sh creates them: the runtime
// user (same name as the database; DML only) and the migration user (<name>_migrate; DML plus
// DDL), both on that database only. On the MariaDB that tests/run.sh started
// (IMP_TEST_DB_SOCKET). Dropped when destroyed, so tests are hermetic and may run in parallel.
class TestDatabase {
 public:
  // Aborts the test binary with a clear message when no test server is configured: the
  // integration tests are not allowed to silently skip.
  static std::unique_ptr<TestDatabase> Create(absl::string_view socket = "");
  ~TestDatabase();

  // Options for a service's pool: the runtime user, and the migration user for CheckReady to
  // apply migrations with (clear migration_user to start a service that may not migrate).
  db::PoolOptions pool_options() const;
  const std::string& name() const { return name_; }
  // Runs one statement as the administrator (root) inside this database (test setup and
  // inspection).
  void Execute(const std::string& sql) const;
  // The first column of the first row of `sql`, as a string ("" when there is no row).
  std::string QueryString(const std::string& sql) const;

 private:
  TestDatabase(std::string socket, std::string name, std::string password,
               std::string migration_password);
  std::string socket_;
  std::string name_;
  std::string password_;
  std::string migration_password_;
};

// A MariaDB server of the test's own, in a temporary directory on a free port, that the test may
// stop and start again (database-outage tests). Uses deploy/mariadb.sh, like up.sh. A start whose
// port was taken in the meantime is retried on another port (port() tells which).
class PrivateMariaDb {
 public:
  PrivateMariaDb();
  ~PrivateMariaDb();
  void Start();
  void Stop();
  const std::string& socket() const { return socket_; }
  int port() const { return port_; }

 private:
  std::string dir_;
  std::string socket_;
  int port_;
};

// deploy/mariadb.sh start's exit code when the server could not bind its port (EADDRINUSE).
inline constexpr int kPortTakenExit = 98;

// A loopback TCP port that binds now, picked at random below the kernel's ephemeral range
// (/proc/sys/net/ipv4/ip_local_port_range): a port inside that range can be taken by any outgoing
// connection before the server binds it. Never the same port twice in one process. The shell
// scripts' twin is tests/support/free_port.py (same range). A caller that starts a server on it
// still retries with another port when the bind fails.
int PickFreePort();
// [low, high): where PickFreePort picks (20000 up to the ephemeral range's low bound).
std::pair<int, int> TestPortRange();

}  // namespace imp::testing

#endif  // IMP_TESTS_SUPPORT_TEST_DATABASE_H_
