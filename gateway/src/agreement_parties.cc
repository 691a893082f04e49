#include "gateway/src/agreement_parties.h"

#include <algorithm>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "common/api/errors.h"
#include "gateway/src/async_call.h"

namespace imp::gateway {
namespace {

namespace reg = registry::v1;

constexpr int kBatch = 1000;

// BatchGet refuses a whole batch for its first unknown or malformed entry, naming it as
// "names[i]: ...". Returns i, or -1.
int RefusedIndex(const absl::Status& status) {
  if (!absl::IsNotFound(status) && !absl::IsInvalidArgument(status)) return -1;
  absl::string_view m = status.message();
  if (!absl::ConsumePrefix(&m, "names[")) return -1;
  int index = -1;
  const size_t close = m.find(']');
  if (close == absl::string_view::npos || !absl::SimpleAtoi(m.substr(0, close), &index)) return -1;
  return index;
}

// One ResolveAgreementParties: the names still to ask for, the batch in flight, what is known.
struct PartiesLookup : std::enable_shared_from_this<PartiesLookup> {
  Backends* backends;
  grpc::CallbackServerContext* server_ctx;
  std::string actor;
  std::vector<std::string> names;
  size_t next = 0;
  std::vector<std::string> batch;
  // Names taken out of a batch whose answer would have passed the registry's byte budget: the
  // next batch.
  std::vector<std::string> deferred;
  AgreementParties found;
  std::function<void(absl::StatusOr<AgreementParties>)> done;

  void Step() {
    if (batch.empty() && !deferred.empty()) batch.swap(deferred);
    if (batch.empty()) {
      if (next == names.size()) return done(std::move(found));
      const size_t end = std::min(names.size(), next + kBatch);
      batch.assign(names.begin() + next, names.begin() + end);
      next = end;
    }
    reg::BatchGetAgreementsRequest req;
    for (const auto& n : batch) req.add_names(n);
    auto self = shared_from_this();
    CallAsync<reg::BatchGetAgreementsRequest, reg::BatchGetAgreementsResponse>(
        backends->ContextFor(server_ctx, actor), std::move(req),
        [b = backends](grpc::ClientContext* c, const reg::BatchGetAgreementsRequest* r,
                       reg::BatchGetAgreementsResponse* o, std::function<void(grpc::Status)> cb) {
          b->registry()->BatchGetAgreements(c, r, o, std::move(cb));
        },
        [self](absl::StatusOr<reg::BatchGetAgreementsResponse> resp) {
          if (resp.ok()) {
            for (int i = 0; i < resp->agreements_size() && i < static_cast<int>(self->batch.size());
                 ++i) {
              self->found[self->batch[i]] = PartiesOf(resp->agreements(i));
            }
            self->batch.clear();
            return self->Step();
          }
          const int fits = api::AnswerFitsOf(resp.status());
          if (fits > 0 && fits < static_cast<int>(self->batch.size())) {
            self->deferred.insert(self->deferred.begin(), self->batch.begin() + fits,
                                  self->batch.end());
            self->batch.resize(fits);
            return self->Step();
          }
          const int refused = RefusedIndex(resp.status());
          if (refused < 0 || refused >= static_cast<int>(self->batch.size())) {
            return self->done(resp.status());
          }
          self->batch.erase(self->batch.begin() + refused);  // unknown: absent from the answer
          self->Step();
        });
  }
};

}  // namespace

void ResolveAgreementParties(Backends& backends, grpc::CallbackServerContext* server_ctx,
                             const std::string& actor, std::vector<std::string> names,
                             std::function<void(absl::StatusOr<AgreementParties>)> done) {
  names.erase(std::remove(names.begin(), names.end(), std::string()), names.end());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  auto lookup = std::make_shared<PartiesLookup>();
  lookup->backends = &backends;
  lookup->server_ctx = server_ctx;
  lookup->actor = actor;
  lookup->names = std::move(names);
  lookup->done = std::move(done);
  lookup->Step();
}

}  // namespace imp::gateway
