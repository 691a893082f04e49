#include "common/db/query.h"

#include <cppconn/prepared_statement.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace imp::db {

Query& Query::Sql(absl::string_view fragment) {
  absl::StrAppend(&sql_, fragment);
  return *this;
}

Query& Query::Bind(absl::string_view fragment, std::string value) {
  absl::StrAppend(&sql_, fragment);
  params_.emplace_back(std::move(value));
  return *this;
}

Query& Query::Bind(absl::string_view fragment, int64_t value) {
  absl::StrAppend(&sql_, fragment);
  params_.emplace_back(value);
  return *this;
}

Query& Query::BindAll(absl::string_view fragment, std::vector<Value> values) {
  absl::StrAppend(&sql_, fragment);
  for (auto& v : values) params_.push_back(std::move(v));
  return *this;
}

namespace {

size_t PaddedSize(size_t n) {
  size_t padded = 1;
  while (padded < n) padded *= 2;
  return padded;
}

template <typename T>
void AppendInList(const std::vector<T>& values, std::string& sql,
                  std::vector<Query::Value>& params) {
  if (values.empty()) {  // IN (NULL) matches nothing
    sql.append("NULL");
    return;
  }
  const size_t padded = PaddedSize(values.size());
  for (size_t i = 0; i < padded; ++i) {
    sql.append(i == 0 ? "?" : ", ?");
    params.emplace_back(values[std::min(i, values.size() - 1)]);
  }
}

}  // namespace

Query& Query::BindInList(const std::vector<std::string>& values) {
  AppendInList(values, sql_, params_);
  return *this;
}

Query& Query::BindInList(const std::vector<int64_t>& values) {
  AppendInList(values, sql_, params_);
  return *this;
}

sql::PreparedStatement& Query::Bound(Connection& conn) const {
  auto& ps = conn.PrepareDynamic(sql_);
  for (size_t i = 0; i < params_.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    if (const auto* s = std::get_if<std::string>(&params_[i])) {
      ps.setString(index, *s);
    } else if (const auto* n = std::get_if<int64_t>(&params_[i])) {
      ps.setInt64(index, *n);
    } else {
      ps.setNull(index, 0);
    }
  }
  return ps;
}

std::unique_ptr<sql::ResultSet> Query::Execute(Connection& conn) const {
  return std::unique_ptr<sql::ResultSet>(Bound(conn).executeQuery());
}

int Query::ExecuteUpdate(Connection& conn) const { return Bound(conn).executeUpdate(); }

std::string EscapeLike(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace imp::db
