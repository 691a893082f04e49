#ifndef IMP_COMMON_DB_QUERY_H_
#define IMP_COMMON_DB_QUERY_H_

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/db/connection.h"

namespace imp::db {

// A statement assembled from a service's named SQL fragments, with every value bound as a
// parameter (never spliced into the text). Used where the WHERE clause depends on the request,
// and for multi-row INSERTs whose row count varies.
class Query {
 public:
  // A bound value: SQL NULL, a string or an integer.
  using Value = std::variant<std::monostate, std::string, int64_t>;

  explicit Query(std::string sql) : sql_(std::move(sql)) {}

  // Appends a fragment of SQL text from statements.h (never user input).
  Query& Sql(absl::string_view fragment);
  // Appends a fragment containing one or more '?' and the values they bind, in order.
  Query& Bind(absl::string_view fragment, std::string value);
  Query& Bind(absl::string_view fragment, int64_t value);
  Query& BindAll(absl::string_view fragment, std::vector<Value> values);
  // Appends the placeholders of an IN list, "?, ?, ...", binding `values` (none: "NULL", which
  // matches nothing). The list is padded to the next power of two by repeating the last value: a
  // repeated value changes nothing in an IN list, and the padding keeps the statement texts few
  // (each is prepared once per connection and cached), whatever the number of values.
  Query& BindInList(const std::vector<std::string>& values);
  Query& BindInList(const std::vector<int64_t>& values);

  std::unique_ptr<sql::ResultSet> Execute(Connection& conn) const;
  // For INSERT/UPDATE/DELETE: the number of rows affected.
  int ExecuteUpdate(Connection& conn) const;
  const std::string& sql() const { return sql_; }

 private:
  sql::PreparedStatement& Bound(Connection& conn) const;

  std::string sql_;
  std::vector<Value> params_;
};

// Escapes % and _ so that `text` matches literally inside a LIKE pattern.
std::string EscapeLike(absl::string_view text);

}  // namespace imp::db

#endif  // IMP_COMMON_DB_QUERY_H_
