#include "activity-service/src/import_streams.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/api/errors.h"

namespace imp::activity {
namespace {

// How often the supervisor looks at the streams when nothing wakes it: the precision of the
// idle, slow-stream and duration limits, and how soon a waiting stream sees the drain.
constexpr absl::Duration kTick = absl::Milliseconds(100);

absl::Status Refused(std::string why) {
  return api::WithRetryDelay(
      api::WithReason(absl::ResourceExhaustedError(std::move(why)), api::kReasonOverloaded),
      absl::Seconds(1));
}

}  // namespace

ImportStreams::ImportStreams(const ImportLimits& limits)
    : limits_(limits), supervisor_([this] { Supervise(); }) {}

ImportStreams::~ImportStreams() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    wake_.Signal();
  }
  supervisor_.join();
}

absl::Status ImportStreams::Admit(const std::string& caller) {
  absl::MutexLock lock(&mu_);
  if (open_ >= limits_.max_concurrent) {
    return Refused(absl::StrCat("at most ", limits_.max_concurrent,
                                " imports run at once; retry the import later"));
  }
  int& mine = open_by_caller_[caller];
  if (mine >= limits_.max_per_caller) {
    return Refused(absl::StrCat("at most ", limits_.max_per_caller,
                                " imports of one caller run at once; this caller has ", mine,
                                " open; retry when one has ended"));
  }
  ++mine;
  ++open_;
  return absl::OkStatus();
}

void ImportStreams::Release(const std::string& caller) {
  absl::MutexLock lock(&mu_);
  --open_;
  auto it = open_by_caller_.find(caller);
  if (it != open_by_caller_.end() && --it->second <= 0) open_by_caller_.erase(it);
}

void ImportStreams::Watch(SupervisedStream* stream) {
  absl::MutexLock lock(&mu_);
  watched_.insert(stream);
}

void ImportStreams::Forget(SupervisedStream* stream) {
  absl::MutexLock lock(&mu_);
  watched_.erase(stream);
}

void ImportStreams::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
  wake_.Signal();
}

void ImportStreams::Supervise() {
  for (;;) {
    std::vector<SupervisedStream*> over;
    {
      absl::MutexLock lock(&mu_);
      if (!woken_ && !stopping_) wake_.WaitWithTimeout(&mu_, kTick);
      woken_ = false;
      if (stopping_) return;
      const absl::Time now = absl::Now();
      for (SupervisedStream* stream : watched_) {
        if (stream->ClaimIfOver(now)) over.push_back(stream);
      }
    }
    // Claimed streams are not deleted before End finishes them, so they are safe to use
    // without the lock, which OnDone (a gRPC callback thread) must never wait for long.
    for (SupervisedStream* stream : over) stream->End();
  }
}

}  // namespace imp::activity
