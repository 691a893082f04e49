#ifndef IMP_ACTIVITY_STORE_H_
#define IMP_ACTIVITY_STORE_H_

#include <cppconn/resultset.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/db/connection.h"
#include "imp/activity/v1/activity.pb.h"

// Row <-> resource mapping for the activity tables. Runs on the caller's connection (inside its
// transaction) and throws sql::SQLException on database errors.
namespace imp::activity::store {

struct ActivityRow {
  int64_t pk = 0;
  int64_t revision = 0;
  bool deleted = false;
  v1::Activity activity;  // complete: name, kind, partners, times, etag
};

std::string ActivityName(absl::string_view id);
std::string IdOf(absl::string_view name);  // "institutions/x" -> "x"

// Reads a row whose columns are IMP_ACTIVITY_COLUMNS (partners not loaded).
ActivityRow ReadActivity(sql::ResultSet& rs);
void LoadPartners(db::Connection& c, ActivityRow& row);
std::optional<ActivityRow> FindActivity(db::Connection& c, const std::string& id, bool for_update);

// Inserts the activity and its involvements; returns the new pk. 1062 when the id is taken.
int64_t InsertActivity(db::Connection& c, const std::string& id, const v1::Activity& a,
                       absl::Time now);
void UpdateActivity(db::Connection& c, int64_t pk, const v1::Activity& a, absl::Time now);

// Bulk insert for imports: a few multi-row statements per chunk instead of several statements
// per row. `ids` are not yet taken (see PksOf); returns the new rows' pks by id.
absl::flat_hash_map<std::string, int64_t> InsertActivities(
    db::Connection& c, const std::vector<std::string>& ids,
    const std::vector<const v1::Activity*>& activities, absl::Time now);
// The pks of those of `ids` that exist.
absl::flat_hash_map<std::string, int64_t> PksOf(db::Connection& c,
                                                const std::vector<std::string>& ids);
// The activities stored under `references` for one host institution (partners loaded), by
// reference; deleted ones included. Locks them (FOR UPDATE) until the transaction ends.
absl::flat_hash_map<std::string, ActivityRow> FindByExternalReferences(
    db::Connection& c, const std::string& host_id, const std::vector<std::string>& references);
// The id of the activity stored under (host, reference), if any.
std::optional<std::string> FindIdByExternalReference(db::Connection& c, const std::string& host_id,
                                                     const std::string& reference);
// Would storing `a` over `stored` change nothing (every stored column and the partners)?
bool SameContent(const ActivityRow& stored, const v1::Activity& a);
void SetActivityDeleteTime(db::Connection& c, int64_t pk, std::optional<absl::Time> when,
                           absl::Time now);

}  // namespace imp::activity::store

#endif  // IMP_ACTIVITY_STORE_H_
