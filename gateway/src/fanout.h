#ifndef IMP_GATEWAY_FANOUT_H_
#define IMP_GATEWAY_FANOUT_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gateway/src/async_call.h"
#include "gateway/src/backends.h"
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

// Reads every page of a List method with non-blocking calls, one page after another.
template <typename Req, typename Resp, typename Item>
class Pager : public std::enable_shared_from_this<Pager<Req, Resp, Item>> {
 public:
  using Invoke = std::function<void(grpc::ClientContext*, const Req*, Resp*,
                                    std::function<void(grpc::Status)>)>;
  using Items = std::function<const google::protobuf::RepeatedPtrField<Item>&(const Resp&)>;
  using Next = std::function<void(absl::StatusOr<std::vector<Item>>)>;

  static void Run(Backends* backends, grpc::CallbackServerContext* ctx, std::string actor,
                  Req request, Invoke invoke, Items items, Next next) {
    auto pager = std::shared_ptr<Pager>(new Pager(
        backends, ctx, std::move(actor), std::move(invoke), std::move(items), std::move(next)));
    request.set_page_size(1000);
    pager->Fetch(std::move(request));
  }

 private:
  Pager(Backends* backends, grpc::CallbackServerContext* ctx, std::string actor, Invoke invoke,
        Items items, Next next)
      : backends_(backends),
        ctx_(ctx),
        actor_(std::move(actor)),
        invoke_(std::move(invoke)),
        items_(std::move(items)),
        next_(std::move(next)) {}

  void Fetch(Req request) {
    auto self = this->shared_from_this();
    CallAsync<Req, Resp>(backends_->ContextFor(ctx_, actor_), request, invoke_,
                         [self, request](absl::StatusOr<Resp> page) mutable {
                           if (!page.ok()) return self->next_(page.status());
                           for (const auto& item : self->items_(*page)) self->all_.push_back(item);
                           if (page->next_page_token().empty())
                             return self->next_(std::move(self->all_));
                           request.set_page_token(page->next_page_token());
                           self->Fetch(std::move(request));
                         });
  }

  Backends* backends_;
  grpc::CallbackServerContext* ctx_;
  std::string actor_;
  Invoke invoke_;
  Items items_;
  Next next_;
  std::vector<Item> all_;
};

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_FANOUT_H_
