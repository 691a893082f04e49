// ActivityFacade::ImportActivities: the streaming import through the gateway. The stream is
// read on gRPC's threads; authorisation (per row, for scoped editors) happens before anything
// is forwarded; the relay to activity-service runs on a worker thread (a blocking client
// stream there never holds a gRPC callback thread).
#include "absl/strings/str_cat.h"
#include "gateway/src/facade.h"

namespace imp::gateway {
namespace {

namespace act = activity::v1;

class ImportProxy final : public grpc::ServerReadReactor<act::ImportActivitiesRequest> {
 public:
  ImportProxy(grpc::CallbackServerContext* ctx, Facade* facade, WorkerPool* workers,
              act::ImportActivitiesResponse* response)
      : ctx_(ctx), facade_(facade), workers_(workers), response_(response) {
    absl::StatusOr<Principal> who = facade_->tokens().Authenticate(ctx_->client_metadata());
    absl::Status allowed =
        who.ok() ? Authorize(*who, Access::kWrite, "ImportActivities") : who.status();
    if (!allowed.ok()) {
      Finish(ToGrpcStatus(allowed));
      return;
    }
    who_ = *who;
    StartRead(&message_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Relay();
      return;
    }
    for (const auto& row : message_.rows()) {
      absl::Status s = CheckScope(who_, InvolvedInstitutions(row.activity()),
                                  absl::StrCat("row ", row.row_number()));
      if (!s.ok()) {
        Finish(ToGrpcStatus(s));  // nothing has been forwarded
        return;
      }
    }
    messages_.push_back(std::move(message_));
    message_.Clear();
    StartRead(&message_);
  }

  void OnDone() override { delete this; }

 private:
  void Relay() {
    absl::Status queued = workers_->Submit([this] {
      auto client = facade_->backends().ContextFor(ctx_, who_.actor);
      auto writer = facade_->backends().activity_stub().ImportActivities(client.get(), response_);
      for (const auto& m : messages_) {
        if (!writer->Write(m)) break;  // the backend ended the call; Finish says why
      }
      writer->WritesDone();
      Finish(ForwardedStatus(writer->Finish()));
    });
    if (!queued.ok()) Finish(ToGrpcStatus(queued));
  }

  grpc::CallbackServerContext* ctx_;
  Facade* facade_;
  WorkerPool* workers_;
  act::ImportActivitiesResponse* response_;
  Principal who_;
  act::ImportActivitiesRequest message_;
  std::vector<act::ImportActivitiesRequest> messages_;
};

}  // namespace

grpc::ServerReadReactor<act::ImportActivitiesRequest>* ActivityFacade::ImportActivities(
    grpc::CallbackServerContext* ctx, act::ImportActivitiesResponse* resp) {
  return new ImportProxy(ctx, facade_, workers_, resp);
}

}  // namespace imp::gateway
