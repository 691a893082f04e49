#include "activity-service/src/activity_grpc.h"

#include "activity-service/src/import_reactor.h"
#include "common/server/blocking_call.h"
#include "common/status.h"

namespace imp::activity {

#define IMP_ACTIVITY_METHOD(Method, Request, Response)                                 \
  grpc::ServerUnaryReactor* ActivityGrpcService::Method(                               \
      grpc::CallbackServerContext* ctx, const v1::Request* req, v1::Response* resp) {  \
    return ServeBlocking(ctx, *workers_, [this, req, resp](const RequestContext& rc) { \
      return activities_->Method(rc, *req, resp);                                      \
    });                                                                                \
  }
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

grpc::ServerReadReactor<grpc::ByteBuffer>* ActivityGrpcService::ImportActivities(
    grpc::CallbackServerContext* ctx, grpc::ByteBuffer* resp) {
  return new ImportReactor(ctx, activities_, workers_, &imports_, resp);
}

}  // namespace imp::activity
