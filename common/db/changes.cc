#include "common/db/changes.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <limits>
#include <memory>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/api/proto_util.h"
#include "common/db/query.h"
#include "common/db/sql_time.h"
#include "common/db/statement.h"

namespace imp::db {
namespace {

constexpr Statement kInsertChange{
    "insert_change",
    "INSERT INTO changes (resource_name, revision, actor, action, changed_fields, snapshot, "
    "change_time) VALUES (?, ?, ?, ?, ?, ?, ?)"};
constexpr char kInsertChangesPrefix[] =
    "INSERT INTO changes (resource_name, revision, actor, action, changed_fields, snapshot, "
    "change_time) VALUES ";
constexpr char kChangeValues[] = "(?, ?, ?, ?, ?, ?, ?)";
constexpr char kMoreChangeValues[] = ", (?, ?, ?, ?, ?, ?, ?)";
constexpr Statement kListChanges{
    "list_changes",
    "SELECT pk, resource_name, revision, actor, action, changed_fields, snapshot, change_time "
    "FROM changes WHERE resource_name = ? AND pk < ? ORDER BY pk DESC LIMIT ?"};

}  // namespace

void RecordChange(Connection& conn, const ChangeRecord& change) {
  auto& ps = conn.Prepare(kInsertChange);
  ps.setString(1, change.resource_name);
  ps.setInt64(2, change.revision);
  ps.setString(3, change.actor);
  ps.setString(4, change.action);
  ps.setString(5, absl::StrJoin(change.changed_fields, ","));
  ps.setString(6, change.snapshot_json);
  ps.setString(7, TimeToSql(change.change_time));
  ps.executeUpdate();
}

void RecordResourceChange(Connection& conn, absl::string_view actor,
                          absl::string_view resource_name, int64_t revision,
                          absl::string_view action, const std::vector<std::string>& fields,
                          const google::protobuf::Message& resource, absl::Time now) {
  ChangeRecord change;
  change.resource_name = std::string(resource_name);
  change.revision = revision;
  change.actor = std::string(actor);
  change.action = std::string(action);
  change.changed_fields = fields;
  change.snapshot_json = api::ToJson(resource);
  change.change_time = now;
  RecordChange(conn, change);
}

void RecordChanges(Connection& conn, const std::vector<ChangeRecord>& changes) {
  if (changes.empty()) return;
  Query insert(kInsertChangesPrefix);
  for (size_t i = 0; i < changes.size(); ++i) {
    const ChangeRecord& c = changes[i];
    insert.BindAll(
        i == 0 ? kChangeValues : kMoreChangeValues,
        {c.resource_name, c.revision, c.actor, c.action, absl::StrJoin(c.changed_fields, ","),
         c.snapshot_json, TimeToSql(c.change_time)});
  }
  insert.ExecuteUpdate(conn);
}

std::vector<ChangeRecord> ListChanges(Connection& conn, absl::string_view resource_name,
                                      int64_t before_pk, int limit) {
  auto& ps = conn.Prepare(kListChanges);
  ps.setString(1, std::string(resource_name));
  ps.setInt64(2, before_pk > 0 ? before_pk : std::numeric_limits<int64_t>::max());
  ps.setInt(3, limit);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  std::vector<ChangeRecord> out;
  while (rs->next()) {
    ChangeRecord c;
    c.pk = rs->getInt64(1);
    c.resource_name = rs->getString(2);
    c.revision = rs->getInt64(3);
    c.actor = rs->getString(4);
    c.action = rs->getString(5);
    const std::string fields = rs->getString(6);
    if (!fields.empty()) c.changed_fields = absl::StrSplit(fields, ',');
    c.snapshot_json = rs->getString(7);
    c.change_time = TimeFromSql(std::string(rs->getString(8)));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace imp::db
