#include "activity-service/src/import_reactor.h"

#include <malloc.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/server/raw_messages.h"
#include "common/server/trace.h"
#include "common/status.h"

namespace imp::activity {

ImportReactor::ImportReactor(grpc::CallbackServerContext* ctx, Activities* activities,
                             WorkerPool* workers, ImportStreams* streams,
                             grpc::ByteBuffer* response)
    : ctx_(ctx),
      workers_(workers),
      streams_(streams),
      limits_(streams->limits()),
      response_(response),
      rc_(RequestContext::FromServerContext(*ctx, streams->limits().max_duration)) {
  const absl::Time now = absl::Now();
  caller_ = rc_.actor;
  // However long the caller's own deadline, the stream holds a transaction: it is bounded.
  rc_.deadline = std::min(rc_.deadline, now + limits_.max_duration);
  rc_.commit_gate = workers_->commit_gate();
  rc_.is_cancelled = [this] {
    absl::MutexLock lock(&mu_);
    return cancelled_ || ctx_->IsCancelled();
  };
  absl::Status admitted = streams_->Admit(caller_);
  if (!admitted.ok()) {
    {
      absl::MutexLock lock(&mu_);
      state_ = State::kFinished;
    }
    Finish(ToGrpcStatus(admitted));
    return;
  }
  admitted_ = true;
  session_ = activities->OpenImport(rc_, &answer_);
  {
    absl::MutexLock lock(&mu_);
    last_rows_ = now;
  }
  streams_->Watch(this);
  ReadNext();
}

void ImportReactor::ReadNext() {
  raw_.Clear();
  {
    absl::MutexLock lock(&mu_);
    state_ = State::kArming;
    wait_started_ = absl::Now();
  }
  StartRead(&raw_);
  // Only now may the supervisor end the stream: ending it before the read was started would
  // start a read on a finished call.
  absl::MutexLock lock(&mu_);
  if (state_ == State::kArming) state_ = State::kWaiting;
}

void ImportReactor::OnReadDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    // Claimed by the supervisor meanwhile: its End finishes the call, this read is moot.
    if (state_ != State::kArming && state_ != State::kWaiting) return;
    waited_ += absl::Now() - wait_started_;
    state_ = ok ? State::kWorking : State::kProbing;
  }
  if (ok) {
    Hand([this] { TakeMessage(); });
  } else {
    StartSendInitialMetadata();  // the probe: a half-close or a dead call?
  }
}

void ImportReactor::OnSendInitialMetadataDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    if (state_ != State::kProbing) return;
    state_ = State::kWorking;
  }
  Hand([this, ok] { TakeEnd(/*half_closed=*/ok); });
}

void ImportReactor::OnCancel() {
  bool waiting;
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    waiting = state_ == State::kWaiting;
  }
  // A stream waiting for its client is the supervisor's to roll back; a worker that has it
  // sees the cancellation itself (RequestContext::Cancelled, the commit's last check).
  if (waiting) streams_->Wake();
}

void ImportReactor::OnDone() {
  streams_->Forget(this);
  delete this;
}

void ImportReactor::Hand(WorkerPool::Task step) {
  // Never refused for waiting: a message taken off the stream must be applied or the import
  // ended, and it waits behind the unary calls queued before it. Import steps are left out of
  // the run-time averages (SubmitLongRunning): a 500-row chunk says nothing about a Get.
  // Each step runs under the caller's trace, so the registry lookups it makes are logged with it.
  absl::Status queued = workers_->SubmitLongRunning(
      [step = std::move(step), traceparent = rc_.traceparent]() mutable {
        ScopedTraceparent trace(traceparent);
        std::move(step)();
      },
      nullptr, caller_);
  if (queued.ok()) return;
  {
    absl::MutexLock lock(&mu_);
    state_ = State::kEndAsked;
    end_status_ = queued;
  }
  streams_->Wake();  // the rollback is a database call: not on this callback thread
}

bool ImportReactor::Draining() const {
  return rc_.commit_gate != nullptr && rc_.commit_gate->closed();
}

absl::Status ImportReactor::DrainedStatus() {
  return absl::UnavailableError(
      "the service is shutting down: the import was rolled back and nothing of it was applied; "
      "retry it with the same request_id");
}

void ImportReactor::TakeMessage() {
  // The drain's deadline has passed: this import can no longer commit, so it ends now (rolled
  // back before it is answered) rather than applying rows it will have to undo.
  if (Draining()) return EndWith(DrainedStatus());
  ++messages_;
  message_.Clear();
  absl::Status s =
      ParseRawMessage(raw_, &message_, absl::StrCat("message ", messages_, " of the stream"));
  raw_.Clear();
  if (s.ok()) s = session_->Add(message_);
  if (!s.ok()) return EndWith(s);
  if (message_.rows_size() > 0) {
    absl::MutexLock lock(&mu_);
    rows_ += message_.rows_size();
    last_rows_ = absl::Now();
  }
  if (Draining()) return EndWith(DrainedStatus());
  ReadNext();
}

void ImportReactor::TakeEnd(bool half_closed) {
  if (!half_closed || ctx_->IsCancelled()) {
    return EndWith(absl::CancelledError(
        "the import stream ended without a half-close (cancelled or disconnected); nothing was "
        "applied"));
  }
  // Finish would only be refused at the commit, after writing the statistics.
  if (Draining()) return EndWith(DrainedStatus());
  absl::Status s = session_->Finish();
  if (s.ok()) SerializeRawMessage(answer_, response_);
  EndWith(s);
}

bool ImportReactor::ClaimIfOver(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kEndAsked) {
    state_ = State::kClaimed;
    return true;
  }
  if (state_ != State::kWaiting) return false;
  absl::Status why = WhyOver(now);
  if (why.ok()) return false;
  end_status_ = std::move(why);
  state_ = State::kClaimed;
  return true;
}

void ImportReactor::End() {
  absl::Status why;
  {
    absl::MutexLock lock(&mu_);
    why = end_status_;
  }
  EndWith(std::move(why));
}

absl::Status ImportReactor::WhyOver(absl::Time now) {
  if (cancelled_ || ctx_->IsCancelled()) {
    return absl::CancelledError("the import was cancelled; nothing was applied");
  }
  if (Draining()) return DrainedStatus();
  if (now >= rc_.deadline) {
    return absl::DeadlineExceededError(
        absl::StrCat("the import's deadline passed (a stream stays open at most ",
                     absl::FormatDuration(limits_.max_duration), "); nothing was applied"));
  }
  if (now - last_rows_ >= limits_.idle_timeout) {
    return absl::DeadlineExceededError(
        absl::StrCat("no rows for ", absl::FormatDuration(limits_.idle_timeout),
                     ": the import stream was idle and has been ended; nothing was applied"));
  }
  const absl::Duration waited = waited_ + (now - wait_started_);
  if (waited >= limits_.idle_timeout &&
      static_cast<double>(rows_) < limits_.min_rows_per_second * absl::ToDoubleSeconds(waited)) {
    return absl::DeadlineExceededError(absl::StrCat(
        "the import stream delivered ", rows_, " rows in ",
        absl::FormatDuration(absl::Trunc(waited, absl::Milliseconds(100))),
        " of waiting for them, under the ", limits_.min_rows_per_second,
        " rows per second a stream must keep up: it has been ended; nothing was applied"));
  }
  return absl::OkStatus();
}

void ImportReactor::EndWith(absl::Status status) {
  // Rolls back whatever was not committed, before the status goes out: a client told an error
  // (UNAVAILABLE by the drain too) is told it once nothing of its import is left.
  session_.reset();
  // An import of 100,000 rows allocates and frees tens of megabytes (messages, chunks of rows,
  // rollup deltas) on the workers' malloc arenas; glibc keeps freed arena memory mapped, so the
  // service would sit at its import peak for ever (110 MB idle after a 200,000-row import).
  // Hand it back now, once per import: a few milliseconds.
  malloc_trim(0);
  if (admitted_) streams_->Release(caller_);
  {
    absl::MutexLock lock(&mu_);
    state_ = State::kFinished;
  }
  Finish(ToGrpcStatus(status));  // the last touch: OnDone may delete this right after
}

}  // namespace imp::activity
