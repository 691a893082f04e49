#ifndef IMP_ACTIVITY_IMPORT_APPLY_H_
#define IMP_ACTIVITY_IMPORT_APPLY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "activity-service/src/rollups.h"
#include "common/db/connection.h"
#include "common/server/request_context.h"
#include "imp/activity/v1/activity.pb.h"

// How an import writes its valid rows: creates, updates by external reference, or leaves
// unchanged, with the audit trail, on the import's held transaction.
namespace imp::activity {

// Rows per multi-row INSERT: large enough to amortise round trips, small enough for packets
// and for the memory one step of an import holds.
inline constexpr size_t kApplyChunkRows = 500;

// A validated row whose references checked out, and the id it gets if it creates an activity.
struct PendingRow {
  const v1::ImportRow* row;
  std::string id;
};

// Records a failed row in the response (at most 10,000 are listed; all are counted). A status
// message "field: reason" is split into the row error's field and reason.
void AddRowError(v1::ImportActivitiesResponse* out, int64_t row_number, const absl::Status& status);

// Applies `rows` (in order) on `c`: a row whose activity has an external_reference already
// stored for its host updates that activity, or leaves it unchanged when nothing differs;
// the others create activities with the row's id. Counts and names go into `out`, failed rows
// into its errors. What the written rows change in the statistics is added to `deltas`, for the
// caller to apply on the same transaction before it commits. Returns true when a row failed
// and `all_or_nothing` holds: then nothing of this chunk was written (nor added to `deltas`),
// and the caller must roll the whole import back.
bool ApplyRows(db::Connection& c, const RequestContext& ctx, const std::vector<PendingRow>& rows,
               bool all_or_nothing, rollups::Deltas* deltas, v1::ImportActivitiesResponse* out);

}  // namespace imp::activity

#endif  // IMP_ACTIVITY_IMPORT_APPLY_H_
