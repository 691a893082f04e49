#include "common/db/connection.h"

#include <cppconn/exception.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"

namespace imp::db {

Connection::Connection(std::unique_ptr<sql::Connection> raw) : raw_(std::move(raw)) {}

Connection::~Connection() {
  // Statements must be freed before their connection.
  prepared_.clear();
  dynamic_.clear();
  try {
    if (raw_ && !broken_) raw_->close();
  } catch (const sql::SQLException&) {
    // Closing a connection to a server that is gone is not an error worth reporting.
  }
}

sql::PreparedStatement& Connection::Prepare(const Statement& stmt) {
  auto it = prepared_.find(&stmt);
  if (it != prepared_.end()) return *it->second;
  std::unique_ptr<sql::PreparedStatement> ps(raw_->prepareStatement(stmt.sql));
  return *prepared_.emplace(&stmt, std::move(ps)).first->second;
}

sql::PreparedStatement& Connection::PrepareDynamic(const std::string& sql) {
  auto it = dynamic_.find(sql);
  if (it != dynamic_.end()) return *it->second;
  // Filters combine in few ways; if a client cycles through many, start the cache afresh
  // rather than let server-side statements pile up.
  if (dynamic_.size() >= kMaxDynamicStatements) dynamic_.clear();
  std::unique_ptr<sql::PreparedStatement> ps(raw_->prepareStatement(sql));
  return *dynamic_.emplace(sql, std::move(ps)).first->second;
}

void Connection::DropLargeStatements() {
  absl::erase_if(dynamic_,
                 [](const auto& entry) { return entry.first.size() > kLargeStatementBytes; });
}

void Connection::ExecuteDirect(const char* sql) {
  std::unique_ptr<sql::Statement> s(raw_->createStatement());
  s->execute(sql);
}

void Connection::LimitStatementTime(absl::Duration remaining) {
  // MariaDB takes seconds with microsecond precision; below a millisecond nothing can run.
  const absl::Duration wanted = std::max(remaining, absl::Milliseconds(1));
  const bool too_long = statement_limit_ == absl::ZeroDuration() || statement_limit_ > wanted;
  const bool far_too_short = statement_limit_ < wanted * 0.8;
  if (!too_long && !far_too_short) return;
  const absl::Duration limit = absl::Floor(wanted, absl::Milliseconds(1));
  const std::string sql =
      absl::StrFormat("SET SESSION max_statement_time = %.3f", absl::ToDoubleSeconds(limit));
  ExecuteDirect(sql.c_str());
  statement_limit_ = limit;
}

bool Connection::Ping() {
  try {
    std::unique_ptr<sql::Statement> s(raw_->createStatement());
    std::unique_ptr<sql::ResultSet> rs(s->executeQuery("SELECT 1"));
    return rs->next();
  } catch (const sql::SQLException&) {
    broken_ = true;
    return false;
  }
}

}  // namespace imp::db
