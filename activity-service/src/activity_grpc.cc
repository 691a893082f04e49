#include "activity-service/src/activity_grpc.h"

#include "absl/strings/str_cat.h"
#include "common/server/blocking_call.h"
#include "common/status.h"

namespace imp::activity {
namespace {

// Collects an import stream, then runs the import on a worker and finishes.
class ImportReactor final : public grpc::ServerReadReactor<v1::ImportActivitiesRequest> {
 public:
  ImportReactor(grpc::CallbackServerContext* ctx, Activities* activities, WorkerPool* workers,
                v1::ImportActivitiesResponse* response)
      : ctx_(ctx), activities_(activities), workers_(workers), response_(response) {
    StartRead(&message_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client has sent everything
      Run();
      return;
    }
    if (first_) {
      batch_.request_id = message_.request_id();
      batch_.mode = message_.mode();
      batch_.validate_only = message_.validate_only();
      first_ = false;
    }
    if (batch_.rows.size() + message_.rows_size() > kMaxImportRows) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("rows: at most ", kMaxImportRows, " rows per import call")));
      return;
    }
    for (auto& row : *message_.mutable_rows()) batch_.rows.push_back(std::move(row));
    message_.Clear();
    StartRead(&message_);
  }

  void OnDone() override { delete this; }

 private:
  void Run() {
    RequestContext rc = RequestContext::FromServerContext(*ctx_, absl::Minutes(10));
    absl::Status queued = workers_->Submit([this, rc = std::move(rc)] {
      Finish(ToGrpcStatus(activities_->ImportActivities(rc, batch_, response_)));
    });
    if (!queued.ok()) Finish(ToGrpcStatus(queued));
  }

  grpc::CallbackServerContext* ctx_;
  Activities* activities_;
  WorkerPool* workers_;
  v1::ImportActivitiesResponse* response_;
  v1::ImportActivitiesRequest message_;
  ImportBatch batch_;
  bool first_ = true;
};

}  // namespace

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
#undef IMP_ACTIVITY_METHOD

grpc::ServerReadReactor<v1::ImportActivitiesRequest>* ActivityGrpcService::ImportActivities(
    grpc::CallbackServerContext* ctx, v1::ImportActivitiesResponse* resp) {
  return new ImportReactor(ctx, activities_, workers_, resp);
}

}  // namespace imp::activity
