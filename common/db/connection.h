#ifndef IMP_COMMON_DB_CONNECTION_H_
#define IMP_COMMON_DB_CONNECTION_H_

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/db/statement.h"

namespace imp::db {

// One server connection plus the statements prepared on it. Used by one thread at a time (the
// pool guarantees it). Prepared statements live on the server per connection, so they are cached
// here and die with the connection; a reconnect creates a new Connection and re-prepares lazily.
class Connection {
 public:
  explicit Connection(std::unique_ptr<sql::Connection> raw);
  ~Connection();

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The cached prepared statement for `stmt`, prepared on first use. Throws sql::SQLException.
  sql::PreparedStatement& Prepare(const Statement& stmt);

  // A statement assembled at run time from named fragments (List queries, whose WHERE clause
  // depends on the filter). Cached by its text, up to kMaxDynamicStatements per connection.
  sql::PreparedStatement& PrepareDynamic(const std::string& sql);

  // Frees the cached dynamic statements longer than kLargeStatementBytes: the multi-row
  // INSERTs and upserts of imports and rollups (1,000 rows of up to 30 values). Connector/C++
  // keeps a bind buffer per placeholder, megabytes per such statement, and a connection kept
  // them for ever: the activity service sat at 135 MB idle after a 1,000,000-row import. The
  // pool calls this when a connection comes back (no result set of it is open then); the
  // statements stay cached for the whole transaction that uses them, batch after batch.
  void DropLargeStatements();

  // Runs a statement that takes no parameters and returns no rows (BEGIN, DDL, ...).
  void ExecuteDirect(const char* sql);

  // After a lost-connection error the connection must never be reused.
  void MarkBroken() { broken_ = true; }
  bool broken() const { return broken_; }

  // Whether the server is a node of a Galera cluster (wsrep_on), as found when connecting.
  bool galera() const { return galera_; }
  void set_galera(bool galera) { galera_ = galera; }

  absl::Time last_used() const { return last_used_; }
  void Touch(absl::Time now) { last_used_ = now; }
  bool Ping();  // a cheap round trip; false when the server is gone

  // Bounds each statement on this connection by `remaining` (MariaDB's max_statement_time), so
  // that a query outliving its caller's deadline is stopped by the server itself (error 1969)
  // instead of holding a worker and a connection after the caller gave up. The session value is
  // changed only when it would exceed `remaining` or fall far below it, so calls with similar
  // deadlines cost no extra round trip. Throws sql::SQLException.
  void LimitStatementTime(absl::Duration remaining);

  sql::Connection& raw() { return *raw_; }

 private:
  std::unique_ptr<sql::Connection> raw_;
  static constexpr size_t kMaxDynamicStatements = 64;
  static constexpr size_t kLargeStatementBytes = 8192;
  absl::flat_hash_map<const Statement*, std::unique_ptr<sql::PreparedStatement>> prepared_;
  absl::flat_hash_map<std::string, std::unique_ptr<sql::PreparedStatement>> dynamic_;
  bool broken_ = false;
  bool galera_ = false;
  absl::Time last_used_ = absl::InfinitePast();
  absl::Duration statement_limit_ = absl::ZeroDuration();  // 0: the server default (none)
};

}  // namespace imp::db

#endif  // IMP_COMMON_DB_CONNECTION_H_
