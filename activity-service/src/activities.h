#ifndef IMP_ACTIVITY_ACTIVITIES_H_
#define IMP_ACTIVITY_ACTIVITIES_H_

#include <memory>
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

// Where a pulled import's messages come from (Activities::ImportActivities): logic tests and the
// fuzz harness. The gRPC edge pushes messages into an ImportSession instead.
class ImportStream {
 public:
  virtual ~ImportStream() = default;
  // The next message, valid until the next call; nullptr at the end of a stream the client
  // half-closed while still waiting for the answer — the only end after which an import may
  // commit. CANCELLED or DEADLINE_EXCEEDED when the client went away, the deadline passed or
  // the stream stayed idle too long.
  virtual absl::StatusOr<const v1::ImportActivitiesRequest*> Next() = 0;
};

// One import call, fed message by message as the stream delivers them (Activities::OpenImport).
// The gRPC edge (import_reactor.h) calls it on a worker for each message and holds no thread
// while it waits for the next. Used by one thread at a time.
class ImportSession {
 public:
  // Rolls back whatever was applied and not committed (a database call: on a worker).
  virtual ~ImportSession() = default;
  // The next message; the first fixes the mode and the request id. After an error the session
  // is finished: the call ends with that error and nothing is applied.
  virtual absl::Status Add(const v1::ImportActivitiesRequest& message) = 0;
  // The confirmed end of the stream (the client half-closed and still waits): commits the
  // import, or replays the first answer to its request id.
  virtual absl::Status Finish() = 0;
};

inline constexpr size_t kMaxImportRows = limits::kMaxImportRows;

// The activity service's logic: validation, reference checks through the registry, storage,
// imports, statistics and the audit trail. A plain class over the database and a
// ReferenceLookup; ActivityGrpcService only forwards calls to it. Every method blocks, so it
// runs on a worker thread. Thread-safe.
class Activities {
 public:
  // `stats_budget`: the database time one GetActivityStats call may take; past it the call is
  // RESOURCE_EXHAUSTED (reason QUERY_TOO_EXPENSIVE) naming the filter.
  Activities(db::Database* db, ReferenceLookup* references, StatsCacheLimits stats_cache = {},
             absl::Duration stats_budget = kDefaultStatsBudget)
      : db_(db), references_(references), stats_cache_(stats_cache), stats_budget_(stats_budget) {}

  static constexpr absl::Duration kDefaultStatsBudget = absl::Seconds(3);

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
  // An import applying rows as they come (see activity.proto). Holds one message and one chunk
  // of rows at a time, never the whole import. `ctx` and `out` outlive the session.
  std::unique_ptr<ImportSession> OpenImport(const RequestContext& ctx,
                                            v1::ImportActivitiesResponse* out);
  // The same over a pulled stream (logic tests, the fuzz harness): reads it to its end.
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
  absl::Status StatsWithinDeadline(const RequestContext& ctx,
                                   const v1::GetActivityStatsRequest& req,
                                   v1::GetActivityStatsResponse* out);
  // FAILED_PRECONDITION naming the first bad reference, UNAVAILABLE when the registry is down.
  absl::Status CheckReferences(const v1::Activity& activity, absl::Time deadline);

  db::Database* db_;
  ReferenceLookup* references_;
  StatsCache stats_cache_;
  const absl::Duration stats_budget_;
};

// What the registry's answer means for one activity: the first problem, as
// FAILED_PRECONDITION "field: reason", or OK.
absl::Status ReferenceProblem(const v1::Activity& activity, const ReferenceFacts& facts);

// Adds everything an activity references.
void CollectReferences(const v1::Activity& activity, References& references);

}  // namespace imp::activity

#endif  // IMP_ACTIVITY_ACTIVITIES_H_
