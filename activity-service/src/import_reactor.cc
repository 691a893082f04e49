#include "activity-service/src/import_reactor.h"

#include <malloc.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/api/errors.h"
#include "common/server/raw_messages.h"
#include "common/server/request_context.h"
#include "common/status.h"

namespace imp::activity {

ImportReactor::ImportReactor(grpc::CallbackServerContext* ctx, Activities* activities,
                             WorkerPool* workers, const ImportLimits& limits,
                             std::atomic<int>* running, grpc::ByteBuffer* response)
    : ctx_(ctx),
      activities_(activities),
      workers_(workers),
      limits_(limits),
      running_(running),
      response_(response) {
  if (running_->fetch_add(1) >= limits_.max_concurrent) {
    running_->fetch_sub(1);
    Finish(ToGrpcStatus(
        api::WithRetryDelay(api::WithReason(absl::ResourceExhaustedError(absl::StrCat(
                                                "at most ", limits_.max_concurrent,
                                                " imports run at once; retry the import later")),
                                            api::kReasonOverloaded),
                            absl::Seconds(1))));
    return;
  }
  absl::Status queued = workers_->SubmitLongRunning([this] { Run(); },
                                                    [this](absl::Status refused) {
                                                      running_->fetch_sub(1);
                                                      Finish(ToGrpcStatus(refused));
                                                    });
  if (!queued.ok()) {
    running_->fetch_sub(1);
    Finish(ToGrpcStatus(queued));
  }
}

void ImportReactor::Run() {
  RequestContext rc = RequestContext::FromServerContext(*ctx_, limits_.default_timeout);
  rc.commit_gate = workers_->commit_gate();
  rc.is_cancelled = [this] {
    absl::MutexLock lock(&mu_);
    return cancelled_ || ctx_->IsCancelled();
  };
  deadline_ = rc.deadline;
  v1::ImportActivitiesResponse answer;
  absl::Status status = activities_->ImportActivities(rc, *this, &answer);
  // An import of 100,000 rows allocates and frees tens of megabytes (messages, chunks of rows,
  // rollup deltas) on this worker's malloc arena; glibc keeps freed arena memory mapped, so the
  // service would sit at its import peak for ever (110 MB idle after a 200,000-row import).
  // Hand it back now, once per import: a few milliseconds on a worker thread.
  malloc_trim(0);
  if (status.ok()) SerializeRawMessage(answer, response_);
  running_->fetch_sub(1);
  Finish(ToGrpcStatus(status));  // the last touch: OnDone may delete this right after
}

ImportReactor::Event ImportReactor::Await(absl::Time until) {
  absl::MutexLock lock(&mu_);
  auto happened = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return event_ != Event::kNone || cancelled_;
  };
  mu_.AwaitWithDeadline(absl::Condition(&happened), until);
  const Event event = event_;
  event_ = Event::kNone;
  return event;
}

absl::StatusOr<const v1::ImportActivitiesRequest*> ImportReactor::Next() {
  raw_.Clear();
  StartRead(&raw_);
  const absl::Time idle_until = std::min(absl::Now() + limits_.idle_timeout, deadline_);
  const Event read = Await(idle_until);
  if (read == Event::kMessage) {
    ++messages_;
    message_.Clear();
    absl::Status parsed =
        ParseRawMessage(raw_, &message_, absl::StrCat("message ", messages_, " of the stream"));
    if (!parsed.ok()) return parsed;
    return &message_;
  }
  if (read == Event::kNone) {
    // Nothing arrived: cancelled, past the deadline, or idle. The read stays pending until the
    // call is finished, which completes it.
    {
      absl::MutexLock lock(&mu_);
      if (cancelled_) return absl::CancelledError("the import was cancelled; nothing was applied");
    }
    if (absl::Now() >= deadline_) {
      return absl::DeadlineExceededError("the import's deadline passed; nothing was applied");
    }
    return absl::DeadlineExceededError(
        absl::StrCat("no message for ", absl::FormatDuration(limits_.idle_timeout),
                     ": the import stream was idle and has been ended; nothing was applied"));
  }
  // kEnded: a half-close or a dead call. Probe the call by sending the initial metadata.
  StartSendInitialMetadata();
  const Event probe = Await(deadline_);
  if (probe == Event::kMetadataSent && !ctx_->IsCancelled()) return nullptr;
  return absl::CancelledError(
      "the import stream ended without a half-close (cancelled or disconnected); nothing was "
      "applied");
}

void ImportReactor::OnReadDone(bool ok) {
  absl::MutexLock lock(&mu_);
  event_ = ok ? Event::kMessage : Event::kEnded;
}

void ImportReactor::OnSendInitialMetadataDone(bool ok) {
  absl::MutexLock lock(&mu_);
  event_ = ok ? Event::kMetadataSent : Event::kMetadataFailed;
}

void ImportReactor::OnCancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
}

void ImportReactor::OnDone() { delete this; }

}  // namespace imp::activity
