#ifndef IMP_TOOLS_IMPCTL_PAGING_H_
#define IMP_TOOLS_IMPCTL_PAGING_H_

#include <grpcpp/grpcpp.h>

#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/time/clock.h"
#include "common/api/errors.h"
#include "common/status.h"
#include "google/rpc/error_details.pb.h"
#include "tools/impctl/client.h"
#include "tools/impctl/flags.h"

namespace imp::impctl {

// A List request from --filter, --order_by, --page_size and --show_deleted.
template <typename Request>
Request ListRequestFromFlags() {
  Request req;
  req.set_filter(absl::GetFlag(FLAGS_filter));
  req.set_order_by(absl::GetFlag(FLAGS_order_by));
  req.set_page_size(absl::GetFlag(FLAGS_page_size));
  req.set_show_deleted(absl::GetFlag(FLAGS_show_deleted));
  return req;
}

// Runs a read `call(grpc::ClientContext*)` with a fresh context per attempt, and again after a
// pause while the server sheds it for overload (RESOURCE_EXHAUSTED) or is briefly UNAVAILABLE:
// a read is safe to repeat, and a listing or export of many pages should not fail on one call
// that a busy server refused after queueing it 40 ms. Pauses double from 100 ms (or the
// server's RetryInfo delay, when longer; at most 1 s each) for up to 5 attempts, about 1.5 s
// in all; then the error stands.
template <typename Call>
grpc::Status RetryRead(Client& client, Call call) {
  absl::Duration pause = absl::Milliseconds(100);
  for (int attempt = 1;; ++attempt) {
    grpc::Status s = call(client.Context().get());
    const bool transient = s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
                           s.error_code() == grpc::StatusCode::UNAVAILABLE;
    if (!transient || attempt == 5) return s;
    if (auto info = api::GetDetail<google::rpc::RetryInfo>(FromGrpcStatus(s))) {
      pause = std::max(pause, absl::Seconds(info->retry_delay().seconds()) +
                                  absl::Nanoseconds(info->retry_delay().nanos()));
    }
    absl::SleepFor(std::min(pause, absl::Seconds(1)));
    pause *= 2;
  }
}

// Reads every page of a List method (AIP-158) into one response: the repeated field holds all
// results and next_page_token is empty. `call(context, request, response)` is the stub method.
// Pages are read with RetryRead.
template <typename Response, typename Request, typename Call>
grpc::Status ListAllPages(Client& client, Request req, Call call, Response* all) {
  all->Clear();
  for (;;) {
    Response page;
    grpc::Status s = RetryRead(client, [&](grpc::ClientContext* c) {
      page.Clear();
      return call(c, req, &page);
    });
    if (!s.ok()) return s;
    all->MergeFrom(page);
    if (page.next_page_token().empty()) break;
    req.set_page_token(page.next_page_token());
  }
  all->clear_next_page_token();
  return grpc::Status::OK;
}

// Hands every page of a List method to `each(const Response& page)` as it arrives, asking for
// the next page only after `each` returned: memory holds one page however long the list, which
// is what the streaming exports rely on. Pages are read with RetryRead. `each` returns a
// status; a failure stops the walk and is returned.
template <typename Response, typename Request, typename Call, typename Each>
grpc::Status ForEachPage(Client& client, Request req, Call call, Each each) {
  for (;;) {
    Response page;
    grpc::Status s = RetryRead(client, [&](grpc::ClientContext* c) {
      page.Clear();
      return call(c, req, &page);
    });
    if (!s.ok()) return s;
    s = each(page);
    if (!s.ok()) return s;
    if (page.next_page_token().empty()) return grpc::Status::OK;
    req.set_page_token(page.next_page_token());
  }
}

}  // namespace imp::impctl

#endif  // IMP_TOOLS_IMPCTL_PAGING_H_
