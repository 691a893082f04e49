#include "gateway/src/aggregation_support.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/api/errors.h"
#include "common/api/proto_util.h"
#include "common/metrics/metrics.h"
#include "common/status.h"
#include "gateway/src/async_call.h"

namespace imp::gateway {

namespace act = activity::v1;

void CountPartialAnswer(v1::Source missing) {
  struct Counters {
    metrics::Counter* registry;
    metrics::Counter* activity;
  };
  static const Counters counters = [] {
    auto& family = metrics::Registry::Default().AddCounter(
        "imp_gateway_partial_answers_total",
        "Aggregation answers sent OK with allow_partial while a source was missing, by the "
        "missing source (registry or activity; an answer missing both counts under each).",
        {"missing"});
    return Counters{&family.With({"registry"}), &family.With({"activity"})};
  }();
  if (missing == v1::SOURCE_REGISTRY) counters.registry->Increment();
  if (missing == v1::SOURCE_ACTIVITY) counters.activity->Increment();
}

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

namespace {

std::string CopyAge(const RegistryView& view) {
  return absl::StrCat(
      "the gateway's copy as of ",
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", view.as_of, absl::UTCTimeZone()), " (",
      absl::FormatDuration(absl::Trunc(absl::Now() - view.as_of, absl::Milliseconds(1))),
      " ago, registry change ", view.sequence, ")");
}

}  // namespace

std::string StaleRegistryWarning(const RegistryView& view, const absl::Status& refreshed) {
  if (refreshed.ok() || view.snapshot == nullptr) return "";
  return absl::StrCat(v1::Source_Name(v1::SOURCE_REGISTRY), ": ", refreshed.message(),
                      "; the registry figures are ", CopyAge(view));
}

absl::Status NotInStaleCopy(const RegistryView& view, const absl::Status& refreshed,
                            const std::string& name) {
  return api::WithMessage(
      refreshed, absl::StrCat(refreshed.message(), "; ", name, " is not in ", CopyAge(view),
                              " and the registry cannot say whether it exists"));
}

absl::Status MissingSourceError(v1::Source source, const absl::Status& status,
                                const std::vector<v1::Source>& missing) {
  std::vector<std::string> names;
  for (v1::Source s : missing) names.push_back(v1::Source_Name(s));
  absl::Status error = api::WithMessage(
      status, absl::StrCat(v1::Source_Name(source), ": ", status.message(),
                           " (the answer needs every source; allow_partial answers without ",
                           absl::StrJoin(names, ", "), ")"));
  // No ErrorInfo: the channel to the backend made the status (not reachable, past the
  // deadline), as the facade's ForwardedStatus says.
  if (api::ReasonOf(error).empty() && absl::IsUnavailable(error)) {
    error = api::WithReason(std::move(error), api::kReasonBackendUnavailable);
  }
  error = WithDerivedDetails(std::move(error));  // the code's name as reason when still none
  error = api::WithReason(
      std::move(error), api::ReasonOf(error),
      {{"source", v1::Source_Name(source)}, {"missing_sources", absl::StrJoin(names, ",")}});
  if (absl::IsUnavailable(error) && !api::GetDetail<google::rpc::RetryInfo>(error)) {
    error = api::WithRetryDelay(std::move(error), kUnreachableRetryDelay);
  }
  return error;
}

}  // namespace imp::gateway
