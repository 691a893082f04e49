#include "common/db/migrations.h"

#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <openssl/evp.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/db/errors.h"
#include "common/db/statement.h"
#include "common/log.h"

namespace imp::db {
namespace {

constexpr Statement kCreateMigrationsTable{
    "create_schema_migrations",
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INT NOT NULL PRIMARY KEY,"
    " name VARCHAR(255) NOT NULL,"
    " checksum CHAR(64) NOT NULL,"
    " applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"};
constexpr Statement kLock{"migrations_lock",
                          "SELECT GET_LOCK(CONCAT(DATABASE(), '.migrations'), 60)"};
constexpr Statement kUnlock{"migrations_unlock",
                            "SELECT RELEASE_LOCK(CONCAT(DATABASE(), '.migrations'))"};
constexpr Statement kSelectApplied{"select_applied_migration",
                                   "SELECT checksum FROM schema_migrations WHERE version = ?"};
constexpr Statement kInsertApplied{
    "insert_applied_migration",
    "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)"};

absl::Status ApplyLocked(Connection& conn, const std::vector<Migration>& migrations) {
  for (const Migration& m : migrations) {
    const std::string checksum = Sha256Hex(m.sql);
    auto& select = conn.Prepare(kSelectApplied);
    select.setInt(1, m.version);
    std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
    if (rs->next()) {
      const std::string applied = rs->getString(1);
      if (applied != checksum) {
        return absl::FailedPreconditionError(absl::StrCat(
            "migration ", m.name, " was changed after it was applied (applied checksum ", applied,
            ", file checksum ", checksum, "); add a new migration instead of editing this one"));
      }
      continue;
    }
    for (const std::string& statement : SplitSqlStatements(m.sql)) {
      conn.ExecuteDirect(statement.c_str());
    }
    auto& insert = conn.Prepare(kInsertApplied);
    insert.setInt(1, m.version);
    insert.setString(2, m.name);
    insert.setString(3, checksum);
    insert.executeUpdate();
    Log(LogLevel::kInfo, "migration_applied", {{"name", m.name}});
  }
  return absl::OkStatus();
}

}  // namespace

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::vector<std::string> SplitSqlStatements(absl::string_view sql) {
  std::vector<std::string> statements;
  std::string current;
  for (absl::string_view line : absl::StrSplit(sql, '\n')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || absl::StartsWith(trimmed, "--")) continue;
    absl::StrAppend(&current, line, "\n");
    if (absl::EndsWith(trimmed, ";")) {
      current.resize(current.rfind(';'));
      statements.push_back(std::move(current));
      current.clear();
    }
  }
  if (!absl::StripAsciiWhitespace(current).empty()) statements.push_back(std::move(current));
  return statements;
}

absl::Status ApplyMigrations(Connection& conn, const std::vector<Migration>& migrations) {
  try {
    conn.ExecuteDirect(kCreateMigrationsTable.sql);
    {
      std::unique_ptr<sql::ResultSet> rs(conn.Prepare(kLock).executeQuery());
      if (!rs->next() || rs->getInt(1) != 1) {
        return absl::UnavailableError("could not take the migrations lock");
      }
    }
    absl::Status status = ApplyLocked(conn, migrations);
    std::unique_ptr<sql::ResultSet> unlock(conn.Prepare(kUnlock).executeQuery());
    return status;
  } catch (const sql::SQLException& e) {
    if (IsConnectionLost(e.getErrorCode())) conn.MarkBroken();
    return MapSqlException(e, "migrations");
  }
}

}  // namespace imp::db
