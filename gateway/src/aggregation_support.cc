#include "gateway/src/aggregation_support.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/api/proto_util.h"
#include "gateway/src/async_call.h"

namespace imp::gateway {

namespace act = activity::v1;

std::optional<Principal> Admit(Facade* facade, grpc::CallbackServerContext* ctx,
                               grpc::ServerUnaryReactor* reactor, const char* method) {
  absl::StatusOr<Principal> who = facade->tokens().Authenticate(ctx->client_metadata());
  absl::Status allowed = who.ok() ? Authorize(*who, Access::kRead, method) : who.status();
  if (!allowed.ok()) {
    reactor->Finish(ToGrpcStatus(allowed));
    return std::nullopt;
  }
  return *who;
}

void Totals(Backends* b, grpc::CallbackServerContext* ctx, const std::string& actor,
            const std::string& filter, const google::type::Date* start,
            const google::type::Date* end,
            std::function<void(absl::StatusOr<act::ActivityTotals>, absl::Time asked)> next) {
  act::GetActivityStatsRequest req;
  req.set_filter(filter);
  if (start != nullptr && api::IsSet(*start)) *req.mutable_start_date() = *start;
  if (end != nullptr && api::IsSet(*end)) *req.mutable_end_date() = *end;
  const absl::Time asked = absl::Now();
  CallAsync<act::GetActivityStatsRequest, act::GetActivityStatsResponse>(
      b->ContextFor(ctx, actor), std::move(req),
      [b](grpc::ClientContext* c, const act::GetActivityStatsRequest* r,
          act::GetActivityStatsResponse* o, std::function<void(grpc::Status)> cb) {
        b->activity()->GetActivityStats(c, r, o, std::move(cb));
      },
      [next, asked](absl::StatusOr<act::GetActivityStatsResponse> resp) {
        if (!resp.ok()) return next(resp.status(), asked);
        next(resp->totals(), asked);
      });
}

void ListActivities(Backends* b, grpc::CallbackServerContext* ctx, const std::string& actor,
                    act::ListActivitiesRequest request,
                    std::function<void(absl::StatusOr<act::ListActivitiesResponse>)> next) {
  CallAsync<act::ListActivitiesRequest, act::ListActivitiesResponse>(
      b->ContextFor(ctx, actor), std::move(request),
      [b](grpc::ClientContext* c, const act::ListActivitiesRequest* r,
          act::ListActivitiesResponse* o, std::function<void(grpc::Status)> cb) {
        b->activity()->ListActivities(c, r, o, std::move(cb));
      },
      std::move(next));
}

void SetRegistryFreshness(const RegistryView& view, const absl::Status& refreshed,
                          v1::DataFreshness* out) {
  if (view.snapshot == nullptr) return;
  out->set_registry_sequence(view.sequence);
  *out->mutable_registry_as_of() = api::ToTimestamp(view.as_of);
  out->set_registry_stale(!refreshed.ok());
}

void SetActivityFreshness(absl::Time asked, v1::DataFreshness* out) {
  *out->mutable_activity_as_of() = api::ToTimestamp(asked);
}

absl::Status RegistryOutcome(const RegistryView& view, const absl::Status& refreshed) {
  if (refreshed.ok() || view.snapshot == nullptr) return refreshed;
  return absl::Status(
      refreshed.code(),
      absl::StrCat(
          refreshed.message(), "; the registry figures are the gateway's copy as of ",
          absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", view.as_of, absl::UTCTimeZone()), " (",
          absl::FormatDuration(absl::Trunc(absl::Now() - view.as_of, absl::Milliseconds(1))),
          " ago, registry change ", view.sequence, ")"));
}

}  // namespace imp::gateway
