#ifndef IMP_COMMON_DB_MIGRATIONS_H_
#define IMP_COMMON_DB_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/db/connection.h"

namespace imp::db {

// One numbered migration file (NNNN_description.sql), compiled into the binary by
// imp_embed_migrations() in CMake.
struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// How long a migrator's lease lasts without renewal. The lease is renewed before every
// statement, so this bounds both how long one statement may run (the migration connection's
// read timeout is the same) and how long a crashed migrator blocks the next one.
inline constexpr absl::Duration kMigrationLease = absl::Minutes(5);

// Applies, in order, every migration not yet recorded in `schema_migrations`, recording each
// with the SHA-256 of its text. `conn` must belong to a DDL-capable (migration) user.
//
// Concurrent migrators (several replicas starting at once, on one server or on different nodes
// of a Galera cluster) are serialised by a lease in the replicated one-row table
// `schema_migrations_lock`: a migrator owns it when its committed UPDATE claimed the row (free or
// expired), renews it before each statement and frees it at the end; a crashed migrator's lease
// expires after kMigrationLease. A session-level row lock cannot do this job: MariaDB commits
// implicitly before and after every DDL statement, which would release it; named server locks are
// local to one Galera node.
//
// Returns OK when nothing is pending (without claiming the lease) or everything was applied;
// FAILED_PRECONDITION when an applied migration's recorded checksum differs from the embedded file
// (it was edited after it ran: start-up must stop); UNAVAILABLE when another migrator still holds
// the lease at `deadline` (the message names it); ABORTED when this migrator lost its lease.
absl::Status ApplyMigrations(Connection& conn, const std::vector<Migration>& migrations,
                             absl::Time deadline);

// Checks, without changing anything (a SELECT the runtime user may run), that
// `schema_migrations` records every migration in `migrations` with a matching checksum.
// UNAVAILABLE "schema at version N, binary needs M" while some are pending; FAILED_PRECONDITION
// when one was edited after it was applied.
absl::Status VerifyMigrations(Connection& conn, const std::vector<Migration>& migrations);

// Splits a migration file into statements: a statement ends with ';' at the end of a line;
// lines starting with "--" are comments.
std::vector<std::string> SplitSqlStatements(absl::string_view sql);

std::string Sha256Hex(absl::string_view data);

}  // namespace imp::db

#endif  // IMP_COMMON_DB_MIGRATIONS_H_
