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
// LoadPartners for many rows in one statement (an IN list over their pks).
void LoadPartnersOf(db::Connection& c, const std::vector<ActivityRow*>& rows);
std::optional<ActivityRow> FindActivity(db::Connection& c, const std::string& id, bool for_update);

// Inserts the activity and its involvements (two statements). 1062 when the id is taken.
void InsertActivity(db::Connection& c, const std::string& id, const v1::Activity& a,
                    absl::Time now);
// What FindActivity reads back once InsertActivity(c, id, a, now) has stored `a` (revision 1,
// pk unknown), so that a create answers without reading its row again: end date defaulted,
// kind derived, partners in stored order, output-only and unknown fields the client sent
// dropped.
ActivityRow AsInserted(const std::string& id, const v1::Activity& a, absl::Time now);
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
