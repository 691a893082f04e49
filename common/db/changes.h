#ifndef IMP_COMMON_DB_CHANGES_H_
#define IMP_COMMON_DB_CHANGES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/db/connection.h"

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
// Many entries in one multi-row INSERT (bulk imports).
void RecordChanges(Connection& conn, const std::vector<ChangeRecord>& changes);

// Newest first, starting below `before_pk` (0 = from the newest), at most `limit` rows.
std::vector<ChangeRecord> ListChanges(Connection& conn, absl::string_view resource_name,
                                      int64_t before_pk, int limit);

}  // namespace imp::db

#endif  // IMP_COMMON_DB_CHANGES_H_
