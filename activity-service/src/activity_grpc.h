#ifndef IMP_ACTIVITY_ACTIVITY_GRPC_H_
#define IMP_ACTIVITY_ACTIVITY_GRPC_H_

#include "activity-service/src/activities.h"
#include "activity-service/src/import_streams.h"
#include "common/worker_pool.h"
#include "imp/activity/v1/activity.grpc.pb.h"

namespace imp::activity {

// The gRPC edge of the activity service: unary methods hand their request to Activities on a
// worker thread; ImportActivities applies each message on a worker as it arrives and holds no
// thread in between (import_reactor.h).
class ActivityGrpcService final
    : public v1::ActivityService::WithRawCallbackMethod_ImportActivities<
          v1::ActivityService::CallbackService> {
 public:
  ActivityGrpcService(Activities* activities, WorkerPool* workers, ImportLimits import_limits)
      : activities_(activities), workers_(workers), imports_(import_limits) {}

#define IMP_ACTIVITY_METHOD(Method, Request, Response)                                       \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx, const v1::Request* req, \
                                   v1::Response* resp) override;
  IMP_ACTIVITY_METHOD(GetActivity, GetActivityRequest, Activity)
  IMP_ACTIVITY_METHOD(ListActivities, ListActivitiesRequest, ListActivitiesResponse)
  IMP_ACTIVITY_METHOD(CreateActivity, CreateActivityRequest, Activity)
  IMP_ACTIVITY_METHOD(UpdateActivity, UpdateActivityRequest, Activity)
  IMP_ACTIVITY_METHOD(DeleteActivity, DeleteActivityRequest, Activity)
  IMP_ACTIVITY_METHOD(UndeleteActivity, UndeleteActivityRequest, Activity)
  IMP_ACTIVITY_METHOD(BatchGetActivities, BatchGetActivitiesRequest, BatchGetActivitiesResponse)
  IMP_ACTIVITY_METHOD(GetActivityStats, GetActivityStatsRequest, GetActivityStatsResponse)
  IMP_ACTIVITY_METHOD(ListChanges, ListChangesRequest, ListChangesResponse)
  IMP_ACTIVITY_METHOD(VerifyStatistics, VerifyStatisticsRequest, VerifyStatisticsResponse)
#undef IMP_ACTIVITY_METHOD

  // Served raw: see ImportReactor.
  grpc::ServerReadReactor<grpc::ByteBuffer>* ImportActivities(grpc::CallbackServerContext* ctx,
                                                              grpc::ByteBuffer* resp) override;

  int open_imports() { return imports_.open(); }

 private:
  Activities* activities_;
  WorkerPool* workers_;
  ImportStreams imports_;
};

}  // namespace imp::activity

#endif  // IMP_ACTIVITY_ACTIVITY_GRPC_H_
