#ifndef IMP_COMMON_DB_CHANGES_H_
#define IMP_COMMON_DB_CHANGES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/db/connection.h"
#include "google/protobuf/message.h"

namespace imp::db {

// The audit trail, kept in each service's own `changes` table:
//   changes(pk BIGINT AUTO_INCREMENT, resource_name VARCHAR(200), revision BIGINT,
//           actor VARCHAR(200), action VARCHAR(32), changed_fields TEXT, snapshot LONGTEXT,
//           change_time DATETIME(6), snapshot_kind VARCHAR(8), cleared_fields TEXT,
//           spliced_fields TEXT, version_hash CHAR(64), KEY (resource_name, pk))
// Written in the same transaction as the change itself, so a change is never without its entry.
// A snapshot is stored whole (a keyframe) or as a diff against the entry before it
// (snapshot_diff.h: small changes of large resources).
enum class SnapshotKind {
  kFull,  // snapshot_kind 'FULL' (every entry written before migration 0007)
  kDiff,  // 'DIFF'
};

// In a diff, the new value of a repeated field is the first `prefix` elements of its value
// before, then the elements the diff sets, then the last `suffix` elements of its value before:
// a change of one element of a long list (or one element added) stores that element only.
struct FieldSplice {
  std::string field;  // a top-level field name
  int prefix = 0;
  int suffix = 0;
};

struct ChangeRecord {
  int64_t pk = 0;  // assigned by the database
  std::string resource_name;
  int64_t revision = 0;
  std::string actor;
  std::string action;                       // "CREATE", "UPDATE", "DELETE", "UNDELETE", ...
  std::vector<std::string> changed_fields;  // field mask paths
  // kFull: the resource after the change (proto JSON). kDiff: the top-level fields the change
  // set, as a partial resource (proto JSON), with the fields it cleared in `cleared_fields`
  // and the repeated fields it set by splicing in `spliced_fields`.
  SnapshotKind snapshot_kind = SnapshotKind::kFull;
  std::string snapshot_json;
  std::vector<std::string> cleared_fields;  // kDiff: top-level field names
  std::vector<FieldSplice> spliced_fields;  // kDiff
  // VersionHash (snapshot_diff.h) of the resource after the change; "" in entries written
  // before migration 0007.
  std::string version_hash;
  absl::Time change_time;
};

// One page of a resource's audit trail as stored, with the entries its snapshots are rebuilt
// from (ReconstructSnapshots in snapshot_diff.h).
struct ChangeHistory {
  std::vector<ChangeRecord> records;  // newest first
  // Oldest first, the entries before records.back() from the nearest keyframe at or before it
  // on: empty when records.back() is a keyframe.
  std::vector<ChangeRecord> base;
};

void RecordChange(Connection& conn, const ChangeRecord& change);
// The entry of one change to `resource` (already carrying its new revision and etag): what every
// write method of every service records. `before` is the resource at revision - 1 (the stored
// row the write read, locked, before changing it), or nullptr (a create): a small change of a
// large resource stores a diff against it (SetSnapshot) when the newest entry recorded exactly
// that version (its revision and VersionHash), and a keyframe otherwise.
void RecordResourceChange(Connection& conn, absl::string_view actor,
                          absl::string_view resource_name, int64_t revision,
                          absl::string_view action, const std::vector<std::string>& fields,
                          const google::protobuf::Message& resource,
                          const google::protobuf::Message* before, absl::Time now);
// Many entries in one multi-row INSERT (bulk imports).
void RecordChanges(Connection& conn, const std::vector<ChangeRecord>& changes);

// Newest first, starting below `before_pk` (0 = from the newest), at most `limit` rows, and the
// entries their snapshots are rebuilt from.
ChangeHistory ListChanges(Connection& conn, absl::string_view resource_name, int64_t before_pk,
                          int limit);

}  // namespace imp::db

#endif  // IMP_COMMON_DB_CHANGES_H_
