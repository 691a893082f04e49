// ActivityFacade::ImportActivities: the streaming import through the gateway, relayed message by
// message to activity-service with the non-blocking client API. The gateway holds one message
// at a time: it reads the next message from the client only when the backend has taken the
// previous one, so flow control holds a fast client back instead of the gateway's memory.
#include <atomic>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/server/raw_messages.h"
#include "gateway/src/facade.h"
#include "gateway/src/scope.h"

namespace imp::gateway {
namespace {

namespace act = activity::v1;

// One relayed import: the client's call (this server reactor) and the backend call (Backend, a
// client reactor). Each side's callbacks run on gRPC threads, possibly at the same time, so the
// shared state is under mu_; no callback blocks.
//
// The end of the client's stream is relayed as WritesDone only when it was a half-close: as in
// activity-service (import_reactor.h), OnReadDone(false) is followed by sending the initial
// metadata, which fails on a call that was cancelled or whose client died. A dead client's
// backend call is cancelled instead, so the backend rolls the import back.
//
// Lifetime: the relay is deleted when both calls are done (two references, one per OnDone).
//
// The client's messages arrive raw and are parsed here (common/server/raw_messages.h), so that a
// message that does not parse is INVALID_ARGUMENT (and the backend call is cancelled) instead of
// being taken for the end of the stream.
class ImportRelay final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  ImportRelay(grpc::CallbackServerContext* ctx, Facade* facade, grpc::ByteBuffer* response)
      : ctx_(ctx), facade_(facade), response_(response), backend_(this) {
    absl::StatusOr<Principal> who = facade_->tokens().Authenticate(ctx_->client_metadata());
    absl::Status allowed =
        who.ok() ? Authorize(*who, Access::kWrite, "ImportActivities") : who.status();
    if (!allowed.ok()) {
      refs_.store(1);  // no backend call
      Finish(ToGrpcStatus(allowed));
      return;
    }
    who_ = *who;
    client_ = facade_->backends().ContextFor(ctx_, who_.actor, kImportDefaultTimeout);
    facade_->backends().activity()->ImportActivities(client_.get(), &backend_response_, &backend_);
    // OnDone waits until the relay has started its last backend operation. The backend's
    // initial metadata (OnReadInitialMetadataDone) arrives early if it ends the call first.
    backend_.AddHold();
    backend_.StartCall();
    StartRead(&raw_);
  }

  // Client side.
  void OnReadDone(bool ok) override {
    if (Finished()) return;  // a read completing after the relay answered
    // The caller's token is checked again with every message and at the end, before the backend
    // is told to commit: a token revoked (or its role changed) while the stream is open stops
    // the import, and nothing of it is applied.
    if (absl::Status allowed = StillAllowed(); !allowed.ok()) {
      Abandon(allowed);
      return;
    }
    if (!ok) {
      StartSendInitialMetadata();  // the probe: see the class comment
      return;
    }
    message_.Clear();
    absl::Status parsed =
        ParseRawMessage(raw_, &message_, absl::StrCat("message ", ++messages_, " of the stream"));
    if (!parsed.ok()) {
      Abandon(parsed);
      return;
    }
    // The rows-per-call limit is the activity service's: it ends the stream past it.
    rows_ += message_.rows_size();
    if (!who_.scoped()) {
      Forward();
      return;
    }
    // A scoped editor: every row must be its own to write (scope.h), which needs the parties of
    // the agreements the rows name; each name is asked of the registry once per call.
    std::vector<std::string> unknown;
    for (const auto& row : message_.rows()) {
      const std::string& agreement = row.activity().agreement();
      if (!agreement.empty() && !parties_.contains(agreement)) unknown.push_back(agreement);
    }
    if (unknown.empty()) {
      CheckRowsThenForward();
      return;
    }
    // The lookup's answer comes on another thread, possibly after the backend ended the call:
    // it holds a reference to the relay until it has been handled.
    refs_.fetch_add(1);
    ResolveAgreementParties(facade_->backends(), ctx_, who_.actor, std::move(unknown),
                            [this](absl::StatusOr<AgreementParties> resolved) {
                              absl::Cleanup release = [this] { Unref(); };
                              if (Finished()) return;
                              if (!resolved.ok()) {
                                Abandon(resolved.status());
                                return;
                              }
                              for (auto& [name, parties] : *resolved) {
                                parties_[name] = std::move(parties);
                              }
                              CheckRowsThenForward();
                            });
  }

  void OnSendInitialMetadataDone(bool ok) override {
    KeepAlive alive(this);  // releases the hold below
    if (Finished()) return;
    if (!ok || ctx_->IsCancelled()) {
      Abandon(absl::CancelledError("the client went away before finishing its import stream"));
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      if (early_end_) return;  // the hold is released; the backend's status answers
      writes_done_ = true;
    }
    backend_.StartWritesDone();
    ReleaseBackendHold();
  }

  // The caller as the tokens file says now; later rows are checked against its scope as it is.
  absl::Status StillAllowed() {
    absl::StatusOr<Principal> who = facade_->tokens().Authenticate(ctx_->client_metadata());
    if (!who.ok()) return who.status();
    if (absl::Status allowed = Authorize(*who, Access::kWrite, "ImportActivities"); !allowed.ok()) {
      return allowed;
    }
    who_ = *std::move(who);
    return absl::OkStatus();
  }

  // Fields are named by the row's index in the whole stream (rows[i]), as a field path does.
  void CheckRowsThenForward() {
    const int64_t first = rows_ - message_.rows_size();
    for (int i = 0; i < message_.rows_size(); ++i) {
      absl::Status allowed = MayWriteActivity(who_, nullptr, message_.rows(i).activity(), parties_,
                                              absl::StrCat("rows[", first + i, "].activity"));
      if (!allowed.ok()) {
        Abandon(allowed);  // nothing of this import is applied
        return;
      }
    }
    Forward();
  }

  // Hands the message in hand to the backend; the next is read when the backend has taken it.
  void Forward() {
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || early_end_) return;  // the backend is ending the call; its status answers
      writing_ = true;
    }
    backend_.StartWrite(&message_);
  }

  void OnCancel() override {
    if (client_ != nullptr) client_->TryCancel();
  }

  void OnDone() override { Unref(); }

 private:
  static constexpr absl::Duration kImportDefaultTimeout = absl::Minutes(30);

  class Backend final : public grpc::ClientWriteReactor<act::ImportActivitiesRequest> {
   public:
    explicit Backend(ImportRelay* relay) : relay_(relay) {}
    void OnWriteDone(bool ok) override { relay_->BackendWriteDone(ok); }
    void OnReadInitialMetadataDone(bool) override { relay_->BackendAnswering(); }
    void OnDone(const grpc::Status& status) override { relay_->BackendDone(status); }

   private:
    ImportRelay* const relay_;
  };

  void BackendWriteDone(bool ok) {
    KeepAlive alive(this);  // releasing the hold may end the relay before mu_ is unlocked
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok || finished_ || early_end_) {  // the backend call is ending: BackendDone answers
        ReleaseBackendHoldLocked();
        return;
      }
    }
    StartRead(&raw_);
  }

  // The backend sent its initial metadata: after our WritesDone that confirms the half-close;
  // before it, the backend is ending the call early (an error) while the client may still send.
  void BackendAnswering() {
    KeepAlive alive(this);
    absl::MutexLock lock(&mu_);
    if (writes_done_) return;
    early_end_ = true;
    if (!writing_) ReleaseBackendHoldLocked();
  }

  void BackendDone(const grpc::Status& status) {
    FinishOnce(ForwardedStatus(status), /*with_response=*/true);
    Unref();
  }

  // Ends the relay with `status` and makes the backend roll back: its call is cancelled.
  void Abandon(const absl::Status& status) {
    KeepAlive alive(this);
    FinishOnce(ToGrpcStatus(status));
    client_->TryCancel();
    ReleaseBackendHold();
  }

  void FinishOnce(const grpc::Status& status, bool with_response = false) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      finished_ = true;
    }
    if (with_response && status.ok()) SerializeRawMessage(backend_response_, response_);
    Finish(status);
  }

  bool Finished() {
    absl::MutexLock lock(&mu_);
    return finished_;
  }

  void ReleaseBackendHold() {
    absl::MutexLock lock(&mu_);
    ReleaseBackendHoldLocked();
  }

  void ReleaseBackendHoldLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (hold_released_) return;
    hold_released_ = true;
    backend_.RemoveHold();
  }

  void Unref() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

  // Removing the backend's hold lets the backend's OnDone run on another thread, and with the
  // client's side already done that is the relay's last reference: it deletes the relay, mutex
  // included, possibly while this thread is still unlocking it. A method that releases the hold
  // keeps the relay alive until it has returned (declared before its MutexLock, so the unlock
  // finishes first).
  class KeepAlive {
   public:
    explicit KeepAlive(ImportRelay* relay) : relay_(relay) { relay_->refs_.fetch_add(1); }
    ~KeepAlive() { relay_->Unref(); }
    KeepAlive(const KeepAlive&) = delete;
    KeepAlive& operator=(const KeepAlive&) = delete;

   private:
    ImportRelay* const relay_;
  };

  grpc::CallbackServerContext* const ctx_;
  Facade* const facade_;
  grpc::ByteBuffer* const response_;
  Principal who_;
  std::unique_ptr<grpc::ClientContext> client_;
  Backend backend_;
  grpc::ByteBuffer raw_;                  // read from the client
  act::ImportActivitiesRequest message_;  // raw_ parsed, then written to the backend
  act::ImportActivitiesResponse backend_response_;
  // Only touched between reading a message and forwarding it, one message at a time.
  int64_t rows_ = 0;
  int64_t messages_ = 0;
  AgreementParties parties_;  // the agreements the rows named so far (scoped editors)
  std::atomic<int> refs_{2};

  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool writes_done_ ABSL_GUARDED_BY(mu_) = false;
  bool early_end_ ABSL_GUARDED_BY(mu_) = false;
  bool hold_released_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerReadReactor<grpc::ByteBuffer>* ActivityFacade::ImportActivities(
    grpc::CallbackServerContext* ctx, grpc::ByteBuffer* resp) {
  return new ImportRelay(ctx, facade_, resp);
}

}  // namespace imp::gateway
