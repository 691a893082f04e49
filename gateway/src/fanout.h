#ifndef IMP_GATEWAY_FANOUT_H_
#define IMP_GATEWAY_FANOUT_H_

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status.h"
#include "imp/gateway/v1/gateway.pb.h"

namespace imp::gateway {

// Tracks the parallel backend calls of one aggregation: each branch reports once, a failed
// branch names its source, and the last report runs `finish` (on a gRPC thread: no blocking).
class Fanout {
 public:
  Fanout(int branches, std::function<void()> finish)
      : pending_(branches), finish_(std::move(finish)) {}

  // Marks a branch done; `failure` non-OK records its source as missing.
  void Done(v1::Source source, const absl::Status& failure = absl::OkStatus()) {
    bool last = false;
    {
      absl::MutexLock lock(&mu_);
      if (!failure.ok()) {
        if (std::find(missing_.begin(), missing_.end(), source) == missing_.end()) {
          missing_.push_back(source);
        }
        warnings_.push_back(absl::StrCat(v1::Source_Name(source), ": ", failure.message()));
      }
      last = --pending_ == 0;
    }
    if (last) finish_();
  }

  // Copies what went missing into a response's missing_sources and warnings.
  template <typename Response>
  void Report(Response* out) {
    absl::MutexLock lock(&mu_);
    for (auto s : missing_) out->add_missing_sources(s);
    for (const auto& w : warnings_) out->add_warnings(w);
  }

  bool Missing(v1::Source source) {
    absl::MutexLock lock(&mu_);
    return std::find(missing_.begin(), missing_.end(), source) != missing_.end();
  }

  absl::Mutex& mu() { return mu_; }  // guards the aggregation's shared result

 private:
  absl::Mutex mu_;
  int pending_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::Source> missing_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> warnings_ ABSL_GUARDED_BY(mu_);
  std::function<void()> finish_;
};

// Starts the fan-out of one aggregation: when its `branches` are done it reports the missing
// sources into `response` and finishes `reactor` with OK, or with *not_found when the primary
// resource turned out not to exist. Branches report to the returned Fanout; it lives until the
// finish step has run (the finish step drops the only long-lived reference).
template <typename Response>
Fanout* StartFanout(int branches, grpc::ServerUnaryReactor* reactor, Response* response,
                    std::shared_ptr<absl::Status> not_found = nullptr) {
  auto holder = std::make_shared<std::shared_ptr<Fanout>>();
  *holder = std::make_shared<Fanout>(branches, [reactor, response, not_found, holder]() {
    if (not_found != nullptr && !not_found->ok()) {
      reactor->Finish(ToGrpcStatus(*not_found));
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
