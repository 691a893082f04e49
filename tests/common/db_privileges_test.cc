// Least privilege on the test MariaDB (started by deploy/mariadb.sh, as up.sh starts it): no root
// over TCP, runtime users limited to DML on their own schema, and every table of both services
// with a primary key (Galera replicates and certifies rows by it).
#include <cppconn/exception.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "activity-service/src/activity_server.h"
#include "common/db/database.h"
#include "common/db/pool.h"
#include "gtest/gtest.h"
#include "registry-service/src/registry_server.h"
#include "tests/support/test_database.h"

namespace imp::db {
namespace {

constexpr int kErrTableAccessDenied = 1142;

absl::Time Soon() { return absl::Now() + absl::Seconds(10); }

// Runs a shell command; returns its exit status and fills `output` with stdout and stderr.
int RunShell(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[512];
  output->clear();
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) output->append(buffer);
  return pclose(pipe);
}

// The error code `sql` fails with when run as the database's runtime user (0: it succeeded).
int RuntimeUserError(const testing::TestDatabase& tdb, const char* sql) {
  ConnectionPool pool(tdb.pool_options());
  auto conn = pool.Acquire(Soon());
  EXPECT_TRUE(conn.ok()) << conn.status();
  if (!conn.ok()) return -1;
  try {
    (*conn)->ExecuteDirect(sql);
    return 0;
  } catch (const sql::SQLException& e) {
    return e.getErrorCode();
  }
}

TEST(DbPrivileges, RootIsRefusedOverTcpAndServedOverTheSocket) {
  const char* port = std::getenv("IMP_TEST_DB_PORT");
  const char* socket = std::getenv("IMP_TEST_DB_SOCKET");
  ASSERT_TRUE(port != nullptr && socket != nullptr) << "run through tests/run.sh";
  std::string output;
  const int tcp = RunShell(absl::StrCat("mariadb --no-defaults -h127.0.0.1 -P", port,
                                        " -uroot -e 'SELECT CURRENT_USER()'"),
                           &output);
  EXPECT_NE(tcp, 0) << "root got in over TCP: " << output;
  // Refused by the server (host not allowed / access denied), not a wrong port.
  EXPECT_TRUE(output.find("1130") != std::string::npos ||
              output.find("1045") != std::string::npos || output.find("1698") != std::string::npos)
      << output;
  const int via_socket = RunShell(
      absl::StrCat("mariadb --no-defaults -S '", socket, "' -u\"$(id -un)\"", " -N -e 'SELECT 1'"),
      &output);
  EXPECT_EQ(via_socket, 0) << output;
}

TEST(DbPrivileges, RuntimeUserCannotCreateDropOrAlterTables) {
  auto tdb = testing::TestDatabase::Create();
  ASSERT_TRUE(MigrateSchema(tdb->pool_options(), registry::Migrations(), Soon()).ok());
  EXPECT_EQ(RuntimeUserError(*tdb, "CREATE TABLE extra (id INT PRIMARY KEY)"),
            kErrTableAccessDenied);
  EXPECT_EQ(RuntimeUserError(*tdb, "DROP TABLE institutions"), kErrTableAccessDenied);
  EXPECT_EQ(RuntimeUserError(*tdb, "ALTER TABLE institutions ADD COLUMN extra INT"),
            kErrTableAccessDenied);
  EXPECT_EQ(RuntimeUserError(*tdb, "CREATE INDEX extra ON institutions (create_time)"),
            kErrTableAccessDenied);
  // What it needs it has.
  EXPECT_EQ(RuntimeUserError(*tdb, "DELETE FROM institutions WHERE 1 = 0"), 0);
}

TEST(DbPrivileges, NeitherUserCanReadAnotherServicesSchema) {
  auto registry_db = testing::TestDatabase::Create();
  auto activity_db = testing::TestDatabase::Create();
  ASSERT_TRUE(MigrateSchema(registry_db->pool_options(), registry::Migrations(), Soon()).ok());
  const std::string read_registry =
      absl::StrCat("SELECT COUNT(*) FROM ", registry_db->name(), ".institutions");
  EXPECT_EQ(RuntimeUserError(*activity_db, read_registry.c_str()), kErrTableAccessDenied);
  PoolOptions migrator = activity_db->pool_options();
  migrator.user = migrator.migration_user;
  migrator.password = migrator.migration_password;
  ConnectionPool pool(migrator);
  auto conn = pool.Acquire(Soon());
  ASSERT_TRUE(conn.ok()) << conn.status();
  try {
    (*conn)->ExecuteDirect(read_registry.c_str());
    ADD_FAILURE() << "the activity migration user read the registry's schema";
  } catch (const sql::SQLException& e) {
    EXPECT_EQ(e.getErrorCode(), kErrTableAccessDenied) << e.what();
  }
}

// Tables of the current schema without a primary key, comma-separated ("" when none).
std::string TablesWithoutPrimaryKey(const testing::TestDatabase& tdb) {
  return tdb.QueryString(
      "SELECT COALESCE(GROUP_CONCAT(t.TABLE_NAME ORDER BY t.TABLE_NAME), '') "
      "FROM information_schema.TABLES t LEFT JOIN information_schema.TABLE_CONSTRAINTS c "
      "ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME "
      "AND c.CONSTRAINT_TYPE = 'PRIMARY KEY' "
      "WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' "
      "AND c.CONSTRAINT_NAME IS NULL");
}

TEST(DbPrivileges, EveryTableOfBothServicesHasAPrimaryKey) {
  for (const auto* migrations : {&registry::Migrations(), &activity::Migrations()}) {
    auto tdb = testing::TestDatabase::Create();
    ASSERT_TRUE(MigrateSchema(tdb->pool_options(), *migrations, Soon()).ok());
    // Not vacuous: the service's tables and the runner's two are there.
    EXPECT_GE(std::stoi(tdb->QueryString("SELECT COUNT(*) FROM information_schema.TABLES "
                                         "WHERE TABLE_SCHEMA = DATABASE()")),
              4);
    EXPECT_EQ(tdb->QueryString("SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                               "TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN "
                               "('schema_migrations', 'schema_migrations_lock')"),
              "2");
    EXPECT_EQ(TablesWithoutPrimaryKey(*tdb), "") << (*migrations)[0].name;
  }
}

}  // namespace
}  // namespace imp::db
