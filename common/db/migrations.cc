#include "common/db/migrations.h"

#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <random>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/db/errors.h"
#include "common/db/statement.h"
#include "common/log.h"

namespace imp::db {
namespace {

constexpr int kErrNoSuchTable = 1146;
constexpr int kConflictAttempts = 5;
const int kLeaseSeconds = static_cast<int>(absl::ToInt64Seconds(kMigrationLease));

constexpr Statement kCreateMigrationsTable{
    "create_schema_migrations",
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INT NOT NULL PRIMARY KEY,"
    " name VARCHAR(255) NOT NULL,"
    " checksum CHAR(64) NOT NULL,"
    " applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"};
// One row (id = 1). `generation` changes on every claim and renewal, so a successful UPDATE
// always changes the row and its affected-row count is 1 whatever the client's row-count mode.
constexpr Statement kCreateLockTable{
    "create_schema_migrations_lock",
    "CREATE TABLE IF NOT EXISTS schema_migrations_lock ("
    " id TINYINT UNSIGNED NOT NULL PRIMARY KEY,"
    " owner VARCHAR(255) NULL,"
    " expires DATETIME(6) NULL,"
    " generation BIGINT UNSIGNED NOT NULL DEFAULT 0"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"};
constexpr Statement kSeedLock{"seed_migration_lease",
                              "INSERT IGNORE INTO schema_migrations_lock (id) VALUES (1)"};
// UTC_TIMESTAMP, not NOW(): the value must not depend on a session's time zone, since migrators
// on different connections (and tests, and operators) compare it.
constexpr Statement kClaimLease{
    "claim_migration_lease",
    "UPDATE schema_migrations_lock SET owner = ?,"
    " expires = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, generation = generation + 1"
    " WHERE id = 1 AND (owner IS NULL OR expires < UTC_TIMESTAMP(6))"};
// Still ours as long as nobody else claimed it: a claim changes the owner, a release clears it.
constexpr Statement kRenewLease{
    "renew_migration_lease",
    "UPDATE schema_migrations_lock SET expires = UTC_TIMESTAMP(6) + INTERVAL ? SECOND,"
    " generation = generation + 1 WHERE id = 1 AND owner = ?"};
constexpr Statement kReleaseLease{
    "release_migration_lease",
    "UPDATE schema_migrations_lock SET owner = NULL, expires = NULL, generation = generation + 1"
    " WHERE id = 1 AND owner = ?"};
constexpr Statement kLeaseHolder{"migration_lease_holder",
                                 "SELECT owner, expires FROM schema_migrations_lock WHERE id = 1"};
constexpr Statement kSelectApplied{"select_applied_migrations",
                                   "SELECT version, checksum FROM schema_migrations"};
constexpr Statement kInsertApplied{
    "insert_applied_migration",
    "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)"};

// Runs one autocommit statement, retrying deadlocks and lock waits: under Galera a certification
// failure (another node committed a conflicting change to the same row first) surfaces as 1213.
template <typename Fn>
void RetryConflicts(Fn&& fn) {
  absl::Duration backoff = absl::Milliseconds(10);
  for (int attempt = 1;; ++attempt) {
    try {
      fn();
      return;
    } catch (const sql::SQLException& e) {
      if (!IsRetryableConflict(e.getErrorCode()) || attempt == kConflictAttempts) throw;
    }
    absl::SleepFor(backoff);
    backoff *= 2;
  }
}

// version -> recorded checksum. A schema that was never migrated has no table yet.
absl::flat_hash_map<int, std::string> ReadApplied(Connection& conn) {
  absl::flat_hash_map<int, std::string> applied;
  try {
    std::unique_ptr<sql::ResultSet> rs(conn.Prepare(kSelectApplied).executeQuery());
    while (rs->next()) applied[rs->getInt("version")] = rs->getString("checksum");
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() != kErrNoSuchTable) throw;
  }
  return applied;
}

struct Progress {
  absl::Status edited;                    // FAILED_PRECONDITION naming the first edited file
  std::vector<const Migration*> pending;  // in version order
  int at_version = 0;                     // every migration up to this one is applied
  int needs_version = 0;                  // the binary's newest migration
};

Progress Compare(const absl::flat_hash_map<int, std::string>& applied,
                 const std::vector<Migration>& migrations) {
  Progress p;
  for (const Migration& m : migrations) {
    p.needs_version = std::max(p.needs_version, m.version);
    auto it = applied.find(m.version);
    if (it == applied.end()) {
      p.pending.push_back(&m);
      continue;
    }
    const std::string checksum = Sha256Hex(m.sql);
    if (it->second != checksum && p.edited.ok()) {
      p.edited = absl::FailedPreconditionError(absl::StrCat(
          "migration ", m.name, " was changed after it was applied (applied checksum ", it->second,
          ", file checksum ", checksum, "); add a new migration instead of editing this one"));
    }
    if (p.pending.empty()) p.at_version = m.version;
  }
  return p;
}

std::string NewLeaseOwner() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::random_device random;
  return absl::StrCat(host, ":", getpid(), ":", absl::Hex(random(), absl::kZeroPad8));
}

std::string DescribeHolder(Connection& conn) {
  std::unique_ptr<sql::ResultSet> rs(conn.Prepare(kLeaseHolder).executeQuery());
  if (!rs->next() || rs->isNull("owner")) return "another migrator (just released)";
  return absl::StrCat(std::string(rs->getString("owner")), " (lease until ",
                      std::string(rs->getString("expires")), " UTC)");
}

// Waits for the lease until `deadline`; returns this migrator's owner id once it holds it.
absl::StatusOr<std::string> ClaimLease(Connection& conn, absl::Time deadline) {
  const std::string owner = NewLeaseOwner();
  absl::Duration pause = absl::Milliseconds(50);
  for (;;) {
    int claimed = 0;
    RetryConflicts([&] {
      auto& claim = conn.Prepare(kClaimLease);
      claim.setString(1, owner);
      claim.setInt(2, kLeaseSeconds);
      claimed = claim.executeUpdate();
    });
    if (claimed == 1) return owner;
    if (absl::Now() + pause > deadline) {
      return absl::UnavailableError(absl::StrCat("schema migrations are being applied by ",
                                                 DescribeHolder(conn), "; retry later"));
    }
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Seconds(1));
  }
}

absl::Status RenewLease(Connection& conn, const std::string& owner, const Migration& m) {
  int renewed = 0;
  RetryConflicts([&] {
    auto& renew = conn.Prepare(kRenewLease);
    renew.setInt(1, kLeaseSeconds);
    renew.setString(2, owner);
    renewed = renew.executeUpdate();
  });
  if (renewed == 1) return absl::OkStatus();
  return absl::AbortedError(
      absl::StrCat("lost the schema migration lease while applying ", m.name,
                   " (it expired and another migrator claimed it); the next migrator continues"));
}

void ReleaseLease(Connection& conn, const std::string& owner) {
  try {
    RetryConflicts([&] {
      auto& release = conn.Prepare(kReleaseLease);
      release.setString(1, owner);
      release.executeUpdate();
    });
  } catch (const sql::SQLException& e) {
    // Not fatal: the lease expires on its own after kMigrationLease.
    if (IsConnectionLost(e.getErrorCode())) conn.MarkBroken();
    Log(LogLevel::kWarning, "migration_lease_not_released", {{"message", e.what()}});
  }
}

// Runs with the lease held. Re-reads what is applied: another migrator may have finished between
// our first look and our claim. The lease is renewed before every statement, so it only expires
// when one statement runs longer than kMigrationLease (or this process dies).
absl::Status ApplyPending(Connection& conn, const std::vector<Migration>& migrations,
                          const std::string& owner) {
  Progress progress = Compare(ReadApplied(conn), migrations);
  if (!progress.edited.ok()) return progress.edited;
  for (const Migration* m : progress.pending) {
    try {
      for (const std::string& statement : SplitSqlStatements(m->sql)) {
        if (absl::Status s = RenewLease(conn, owner, *m); !s.ok()) return s;
        conn.ExecuteDirect(statement.c_str());
      }
      if (absl::Status s = RenewLease(conn, owner, *m); !s.ok()) return s;
      auto& insert = conn.Prepare(kInsertApplied);
      insert.setInt(1, m->version);
      insert.setString(2, m->name);
      insert.setString(3, Sha256Hex(m->sql));
      insert.executeUpdate();
    } catch (const sql::SQLException& e) {
      if (IsConnectionLost(e.getErrorCode())) conn.MarkBroken();
      return MapSqlException(e, absl::StrCat("migration ", m->name));
    }
    Log(LogLevel::kInfo, "migration_applied", {{"name", m->name}});
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

absl::Status ApplyMigrations(Connection& conn, const std::vector<Migration>& migrations,
                             absl::Time deadline) {
  std::string owner;  // set once this migrator holds the lease
  absl::Status status;
  try {
    conn.ExecuteDirect(kCreateMigrationsTable.sql);
    conn.ExecuteDirect(kCreateLockTable.sql);
    RetryConflicts([&] { conn.Prepare(kSeedLock).executeUpdate(); });
    // The common case (every replica's start after the first) needs no lease at all.
    Progress before = Compare(ReadApplied(conn), migrations);
    if (!before.edited.ok()) return before.edited;
    if (before.pending.empty()) return absl::OkStatus();
    absl::StatusOr<std::string> claimed = ClaimLease(conn, deadline);
    if (!claimed.ok()) return claimed.status();
    owner = *std::move(claimed);
    status = ApplyPending(conn, migrations, owner);
  } catch (const sql::SQLException& e) {
    if (IsConnectionLost(e.getErrorCode())) conn.MarkBroken();
    status = MapSqlException(e, "migrations");
  }
  if (!owner.empty() && !conn.broken()) ReleaseLease(conn, owner);
  return status;
}

absl::Status VerifyMigrations(Connection& conn, const std::vector<Migration>& migrations) {
  try {
    Progress progress = Compare(ReadApplied(conn), migrations);
    if (!progress.edited.ok()) return progress.edited;
    if (progress.pending.empty()) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat(
        "schema at version ", progress.at_version, ", binary needs ", progress.needs_version,
        ": apply the pending migrations as the migration user (--migrate_only, or "
        "--db_migration_user)"));
  } catch (const sql::SQLException& e) {
    if (IsConnectionLost(e.getErrorCode())) conn.MarkBroken();
    return MapSqlException(e, "verify migrations");
  }
}

}  // namespace imp::db
