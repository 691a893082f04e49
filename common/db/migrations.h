#ifndef IMP_COMMON_DB_MIGRATIONS_H_
#define IMP_COMMON_DB_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/db/connection.h"

namespace imp::db {

// One numbered migration file (NNNN_description.sql), compiled into the binary by
// imp_embed_migrations() in CMake.
struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// Applies, in order, every migration not yet recorded in `schema_migrations`, recording each
// with the SHA-256 of its text. A migration whose recorded checksum differs from the embedded
// file was edited after it ran: that is FAILED_PRECONDITION and start-up must stop. Safe against
// concurrent starters (a named server lock serialises them).
absl::Status ApplyMigrations(Connection& conn, const std::vector<Migration>& migrations);

// Splits a migration file into statements: a statement ends with ';' at the end of a line;
// lines starting with "--" are comments.
std::vector<std::string> SplitSqlStatements(absl::string_view sql);

std::string Sha256Hex(absl::string_view data);

}  // namespace imp::db

#endif  // IMP_COMMON_DB_MIGRATIONS_H_
