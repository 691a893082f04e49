#ifndef IMP_ACTIVITY_ACTIVITIES_H_
#define IMP_ACTIVITY_ACTIVITIES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "activity-service/src/references.h"
#include "activity-service/src/stats_cache.h"
#include "activity-service/src/validation.h"
#include "common/db/database.h"
#include "common/server/request_context.h"
#include "imp/activity/v1/activity.pb.h"

namespace imp::activity {

// Where an import's messages come from: the gRPC edge implements it over the call's stream
// (activity_grpc.cc), logic tests over a vector.
class ImportStream {
 public:
  virtual ~ImportStream() = default;
  // The next message, valid until the next call; nullptr at the end of a stream the client
  // half-closed while still waiting for the answer — the only end after which an import may
  // commit. CANCELLED or DEADLINE_EXCEEDED when the client went away, the deadline passed or
  // the stream stayed idle too long.
  virtual absl::StatusOr<const v1::ImportActivitiesRequest*> Next() = 0;
};

inline constexpr size_t kMaxImportRows = limits::kMaxImportRows;

// The activity service's logic: validation, reference checks through the registry, storage,
// imports, statistics and the audit trail. A plain class over the database and a
// ReferenceLookup; ActivityGrpcService only forwards calls to it. Every method blocks, so it
// runs on a worker thread. Thread-safe.
class Activities {
 public:
  Activities(db::Database* db, ReferenceLookup* references, StatsCacheLimits stats_cache = {})
      : db_(db), references_(references), stats_cache_(stats_cache) {}

  absl::Status GetActivity(const RequestContext& ctx, const v1::GetActivityRequest& req,
                           v1::Activity* out);
  absl::Status ListActivities(const RequestContext& ctx, const v1::ListActivitiesRequest& req,
                              v1::ListActivitiesResponse* out);
  absl::Status CreateActivity(const RequestContext& ctx, const v1::CreateActivityRequest& req,
                              v1::Activity* out);
  absl::Status UpdateActivity(const RequestContext& ctx, const v1::UpdateActivityRequest& req,
                              v1::Activity* out);
  absl::Status DeleteActivity(const RequestContext& ctx, const v1::DeleteActivityRequest& req,
                              v1::Activity* out);
  absl::Status UndeleteActivity(const RequestContext& ctx, const v1::UndeleteActivityRequest& req,
                                v1::Activity* out);
  absl::Status BatchGetActivities(const RequestContext& ctx,
                                  const v1::BatchGetActivitiesRequest& req,
                                  v1::BatchGetActivitiesResponse* out);
  // Reads `stream` to its end, applying rows as they come (see activity.proto). Holds one
  // message and one chunk of rows at a time, never the whole import.
  absl::Status ImportActivities(const RequestContext& ctx, ImportStream& stream,
                                v1::ImportActivitiesResponse* out);
  absl::Status GetActivityStats(const RequestContext& ctx, const v1::GetActivityStatsRequest& req,
                                v1::GetActivityStatsResponse* out);
  // The answers GetActivityStats keeps (what tests look at).
  const StatsCache& stats_cache() const { return stats_cache_; }
  absl::Status ListChanges(const RequestContext& ctx, const v1::ListChangesRequest& req,
                           v1::ListChangesResponse* out);
  // Recomputes the statistics rollups from the activity rows and lists what differs
  // (stats_verify.cc).
  absl::Status VerifyStatistics(const RequestContext& ctx, const v1::VerifyStatisticsRequest& req,
                                v1::VerifyStatisticsResponse* out);

 private:
  // FAILED_PRECONDITION naming the first bad reference, UNAVAILABLE when the registry is down.
  absl::Status CheckReferences(const v1::Activity& activity, absl::Time deadline);

  db::Database* db_;
  ReferenceLookup* references_;
  StatsCache stats_cache_;
};

// What the registry's answer means for one activity: the first problem, as
// FAILED_PRECONDITION "field: reason", or OK.
absl::Status ReferenceProblem(const v1::Activity& activity, const ReferenceFacts& facts);

// Adds everything an activity references.
void CollectReferences(const v1::Activity& activity, References& references);

}  // namespace imp::activity

#endif  // IMP_ACTIVITY_ACTIVITIES_H_
