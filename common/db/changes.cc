#include "common/db/changes.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <limits>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/db/query.h"
#include "common/db/snapshot_diff.h"
#include "common/db/sql_time.h"
#include "common/db/statement.h"

namespace imp::db {
namespace {

constexpr Statement kInsertChange{
    "insert_change",
    "INSERT INTO changes (resource_name, revision, actor, action, changed_fields, snapshot_kind, "
    "cleared_fields, spliced_fields, version_hash, snapshot, change_time) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"};
constexpr char kInsertChangesPrefix[] =
    "INSERT INTO changes (resource_name, revision, actor, action, changed_fields, snapshot_kind, "
    "cleared_fields, spliced_fields, version_hash, snapshot, change_time) VALUES ";
constexpr char kChangeValues[] = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kMoreChangeValues[] = ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr Statement kListChanges{
    "list_changes",
    "SELECT pk, resource_name, revision, actor, action, changed_fields, snapshot_kind, "
    "cleared_fields, spliced_fields, snapshot, change_time FROM changes "
    "WHERE resource_name = ? AND pk < ? ORDER BY pk DESC LIMIT ?"};
// What a diff is checked against: the newest entry's revision and version.
constexpr Statement kNewestChange{
    "newest_change",
    "SELECT revision, version_hash FROM changes WHERE resource_name = ? "
    "ORDER BY pk DESC LIMIT 1"};
// The entries before one (pk < ?) from the nearest keyframe at or before it on, oldest first.
constexpr Statement kListChangesFromKeyframe{
    "list_changes_from_keyframe",
    "SELECT pk, resource_name, revision, actor, action, changed_fields, snapshot_kind, "
    "cleared_fields, spliced_fields, snapshot, change_time FROM changes "
    "WHERE resource_name = ? AND pk < ? AND pk >= (SELECT MAX(k.pk) FROM changes k "
    "WHERE k.resource_name = ? AND k.pk <= ? AND k.snapshot_kind = 'FULL') ORDER BY pk"};

constexpr char kFull[] = "FULL";
constexpr char kDiff[] = "DIFF";

const char* KindText(SnapshotKind kind) { return kind == SnapshotKind::kDiff ? kDiff : kFull; }

std::vector<std::string> SplitFields(const std::string& joined) {
  if (joined.empty()) return {};
  return absl::StrSplit(joined, ',');
}

// FieldSplices as stored: "field:prefix:suffix", comma-separated.
std::string SplicesText(const std::vector<FieldSplice>& splices) {
  return absl::StrJoin(splices, ",", [](std::string* out, const FieldSplice& s) {
    absl::StrAppend(out, s.field, ":", s.prefix, ":", s.suffix);
  });
}

std::vector<FieldSplice> SplicesFromText(const std::string& text) {
  std::vector<FieldSplice> out;
  for (const std::string& item : SplitFields(text)) {
    std::vector<std::string> parts = absl::StrSplit(item, ':');
    FieldSplice splice;
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[1], &splice.prefix) ||
        !absl::SimpleAtoi(parts[2], &splice.suffix)) {
      continue;  // never written so; ApplyStoredSnapshot then replaces the field whole
    }
    splice.field = std::move(parts[0]);
    out.push_back(std::move(splice));
  }
  return out;
}

// Whether the newest entry of `resource_name` is `revision` and recorded `version`.
bool NewestEntryRecorded(Connection& conn, const std::string& resource_name, int64_t revision,
                         const google::protobuf::Message& version) {
  auto& ps = conn.Prepare(kNewestChange);
  ps.setString(1, resource_name);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  return rs->next() && rs->getInt64("revision") == revision &&
         std::string(rs->getString("version_hash")) == VersionHash(version);
}

std::vector<ChangeRecord> ReadChanges(sql::PreparedStatement& ps) {
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  std::vector<ChangeRecord> out;
  while (rs->next()) {
    ChangeRecord c;
    c.pk = rs->getInt64("pk");
    c.resource_name = rs->getString("resource_name");
    c.revision = rs->getInt64("revision");
    c.actor = rs->getString("actor");
    c.action = rs->getString("action");
    c.changed_fields = SplitFields(rs->getString("changed_fields"));
    c.snapshot_kind = std::string(rs->getString("snapshot_kind")) == kDiff ? SnapshotKind::kDiff
                                                                           : SnapshotKind::kFull;
    c.cleared_fields = SplitFields(rs->getString("cleared_fields"));
    c.spliced_fields = SplicesFromText(rs->getString("spliced_fields"));
    c.snapshot_json = rs->getString("snapshot");
    c.change_time = TimeFromSql(std::string(rs->getString("change_time")));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

void RecordChange(Connection& conn, const ChangeRecord& change) {
  auto& ps = conn.Prepare(kInsertChange);
  ps.setString(1, change.resource_name);
  ps.setInt64(2, change.revision);
  ps.setString(3, change.actor);
  ps.setString(4, change.action);
  ps.setString(5, absl::StrJoin(change.changed_fields, ","));
  ps.setString(6, KindText(change.snapshot_kind));
  ps.setString(7, absl::StrJoin(change.cleared_fields, ","));
  ps.setString(8, SplicesText(change.spliced_fields));
  ps.setString(9, change.version_hash);
  ps.setString(10, change.snapshot_json);
  ps.setString(11, TimeToSql(change.change_time));
  ps.executeUpdate();
}

void RecordResourceChange(Connection& conn, absl::string_view actor,
                          absl::string_view resource_name, int64_t revision,
                          absl::string_view action, const std::vector<std::string>& fields,
                          const google::protobuf::Message& resource,
                          const google::protobuf::Message* before, absl::Time now) {
  ChangeRecord change;
  change.resource_name = std::string(resource_name);
  change.revision = revision;
  change.actor = std::string(actor);
  change.action = std::string(action);
  change.changed_fields = fields;
  const bool diff_base = before != nullptr && MayStoreDiff(resource, revision) &&
                         NewestEntryRecorded(conn, change.resource_name, revision - 1, *before);
  SetSnapshot(resource, diff_base ? before : nullptr, &change);
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
         KindText(c.snapshot_kind), absl::StrJoin(c.cleared_fields, ","),
         SplicesText(c.spliced_fields), c.version_hash, c.snapshot_json, TimeToSql(c.change_time)});
  }
  insert.ExecuteUpdate(conn);
}

ChangeHistory ListChanges(Connection& conn, absl::string_view resource_name, int64_t before_pk,
                          int limit) {
  auto& ps = conn.Prepare(kListChanges);
  ps.setString(1, std::string(resource_name));
  ps.setInt64(2, before_pk > 0 ? before_pk : std::numeric_limits<int64_t>::max());
  ps.setInt(3, limit);
  ChangeHistory history;
  history.records = ReadChanges(ps);
  if (history.records.empty() || history.records.back().snapshot_kind == SnapshotKind::kFull) {
    return history;
  }
  auto& base = conn.Prepare(kListChangesFromKeyframe);
  const int64_t oldest = history.records.back().pk;
  base.setString(1, std::string(resource_name));
  base.setInt64(2, oldest);
  base.setString(3, std::string(resource_name));
  base.setInt64(4, oldest);
  history.base = ReadChanges(base);
  return history;
}

}  // namespace imp::db
