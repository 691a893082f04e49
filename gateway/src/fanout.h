#ifndef IMP_GATEWAY_FANOUT_H_
#define IMP_GATEWAY_FANOUT_H_

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status.h"
#include "gateway/src/aggregation_support.h"
#include "imp/gateway/v1/gateway.pb.h"

namespace imp::gateway {

// Tracks the parallel backend calls of one aggregation: each branch reports once, a failed
// branch names its source, and the last report runs `finish` (on a gRPC thread: no blocking).
class Fanout {
 public:
  Fanout(int branches, std::function<void()> finish)
      : pending_(branches), finish_(std::move(finish)) {}

  // Marks a branch done; `failure` non-OK records its source as missing (the first failure of
  // a source is the one an error answer passes on).
  void Done(v1::Source source, const absl::Status& failure = absl::OkStatus()) {
    bool last = false;
    {
      absl::MutexLock lock(&mu_);
      if (!failure.ok()) {
        failures_.emplace(source, failure);
        warnings_.push_back(absl::StrCat(v1::Source_Name(source), ": ", failure.message()));
      }
      last = --pending_ == 0;
    }
    if (last) finish_();
  }

  // A warning about figures that are there (e.g. from a stale copy of the registry).
  void Warn(std::string warning) {
    absl::MutexLock lock(&mu_);
    warnings_.push_back(std::move(warning));
  }

  // Copies what went missing into a response's missing_sources and warnings (only an answer
  // that is sent OK is reported: with a source missing, that is a partial answer).
  template <typename Response>
  void Report(Response* out) {
    absl::MutexLock lock(&mu_);
    for (const auto& [source, failure] : failures_) {
      out->add_missing_sources(source);
      CountPartialAnswer(source);
    }
    for (const auto& w : warnings_) out->add_warnings(w);
  }

  // What a caller that did not allow a partial answer gets: OK when nothing is missing, else
  // the error of the first missing source (MissingSourceError).
  absl::Status Failure() {
    absl::MutexLock lock(&mu_);
    if (failures_.empty()) return absl::OkStatus();
    std::vector<v1::Source> missing;
    for (const auto& [source, failure] : failures_) missing.push_back(source);
    const auto& [first, failure] = *failures_.begin();
    return MissingSourceError(first, failure, missing);
  }

  absl::Mutex& mu() { return mu_; }  // guards the aggregation's shared result

 private:
  absl::Mutex mu_;
  int pending_ ABSL_GUARDED_BY(mu_);
  // Ordered by source, so that the error passed on does not depend on which branch ended first.
  std::map<v1::Source, absl::Status> failures_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> warnings_ ABSL_GUARDED_BY(mu_);
  std::function<void()> finish_;
};

// Starts the fan-out of one aggregation. When its `branches` are done it finishes `reactor`:
// with *not_found when the primary resource turned out not to exist; else, when a source is
// missing and the caller did not set `allow_partial`, with that source's error; else OK, the
// missing sources and warnings reported into `response`. Branches report to the returned
// Fanout; it lives until the finish step has run (the finish step drops the only long-lived
// reference).
template <typename Response>
Fanout* StartFanout(int branches, grpc::ServerUnaryReactor* reactor, Response* response,
                    bool allow_partial, std::shared_ptr<absl::Status> not_found = nullptr) {
  auto holder = std::make_shared<std::shared_ptr<Fanout>>();
  *holder =
      std::make_shared<Fanout>(branches, [reactor, response, allow_partial, not_found, holder]() {
        absl::Status failure = (*holder)->Failure();
        if (not_found != nullptr && !not_found->ok()) {
          reactor->Finish(ToGrpcStatus(*not_found));
        } else if (!failure.ok() && !allow_partial) {
          reactor->Finish(ToGrpcStatus(failure));
        } else {
          (*holder)->Report(response);
          reactor->Finish(grpc::Status::OK);
        }
        holder->reset();
      });
  return holder->get();
}

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_FANOUT_H_
