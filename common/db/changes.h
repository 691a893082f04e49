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
//           change_time DATETIME(6), KEY (resource_name, pk))
// Written in the same transaction as the change itself, so a change is never without its entry.
struct ChangeRecord {
  int64_t pk = 0;  // assigned by the database
  std::string resource_name;
  int64_t revision = 0;
  std::string actor;
  std::string action;                       // "CREATE", "UPDATE", "DELETE", "UNDELETE", ...
  std::vector<std::string> changed_fields;  // field mask paths
  std::string snapshot_json;                // the resource after the change (proto JSON)
  absl::Time change_time;
};

void RecordChange(Connection& conn, const ChangeRecord& change);
// The entry of one change to `resource` (already carrying its new revision and etag), with its
// proto JSON as the snapshot: what every write method of every service records.
void RecordResourceChange(Connection& conn, absl::string_view actor,
                          absl::string_view resource_name, int64_t revision,
                          absl::string_view action, const std::vector<std::string>& fields,
                          const google::protobuf::Message& resource, absl::Time now);
// Many entries in one multi-row INSERT (bulk imports).
void RecordChanges(Connection& conn, const std::vector<ChangeRecord>& changes);

// Newest first, starting below `before_pk` (0 = from the newest), at most `limit` rows.
std::vector<ChangeRecord> ListChanges(Connection& conn, absl::string_view resource_name,
                                      int64_t before_pk, int limit);

}  // namespace imp::db

#endif  // IMP_COMMON_DB_CHANGES_H_
