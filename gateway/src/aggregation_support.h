#ifndef IMP_GATEWAY_AGGREGATION_SUPPORT_H_
#define IMP_GATEWAY_AGGREGATION_SUPPORT_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/src/auth.h"
#include "gateway/src/facade.h"
#include "gateway/src/read_model.h"
#include "google/type/date.pb.h"
#include "imp/activity/v1/activity.pb.h"
#include "imp/gateway/v1/gateway.pb.h"

// What the aggregations (overviews.cc, program_summary.cc) share: admission, the activity
// service's totals, and how an answer reports the data it reflects.
namespace imp::gateway {

// Authenticates a viewer-level call; finishes the reactor and returns nullopt when refused.
std::optional<Principal> Admit(Facade* facade, grpc::CallbackServerContext* ctx,
                               grpc::ServerUnaryReactor* reactor, const char* method);

// activity-service's totals of the activities matching `filter` (period optional), and when
// they were asked for (what the answer's freshness.activity_as_of reports).
void Totals(
    Backends* b, grpc::CallbackServerContext* ctx, const std::string& actor,
    const std::string& filter, const google::type::Date* start, const google::type::Date* end,
    std::function<void(absl::StatusOr<activity::v1::ActivityTotals>, absl::Time asked)> next);

// A page of ListActivities, as the caller's call.
void ListActivities(Backends* b, grpc::CallbackServerContext* ctx, const std::string& actor,
                    activity::v1::ListActivitiesRequest request,
                    std::function<void(absl::StatusOr<activity::v1::ListActivitiesResponse>)> next);

// Fills the registry half of `out` from the view an aggregation read and the status of its
// refresh (RegistryCopy::Refresh).
void SetRegistryFreshness(const RegistryView& view, const absl::Status& refreshed,
                          v1::DataFreshness* out);
void SetActivityFreshness(absl::Time asked, v1::DataFreshness* out);

// The warning of an answer whose registry figures come from a copy the registry could not
// confirm (`refreshed` not OK): why, and how old the copy is ("SOURCE_REGISTRY: <why>; the
// registry figures are the gateway's copy as of ..."). "" when the copy was confirmed. Such
// figures are complete as of the copy's time, not missing: SOURCE_REGISTRY is not reported
// missing for them.
std::string StaleRegistryWarning(const RegistryView& view, const absl::Status& refreshed);

// The registry branch when the resource `name` is not in a copy the registry could not
// confirm: it may exist by now, so the registry is missing, with `refreshed`'s code and
// details.
absl::Status NotInStaleCopy(const RegistryView& view, const absl::Status& refreshed,
                            const std::string& name);

// Counts an answer sent with allow_partial and `missing` absent in
// imp_gateway_partial_answers_total{missing="registry"|"activity"} (an answer missing both
// counts under each).
void CountPartialAnswer(v1::Source missing);

// The delay an UNAVAILABLE answer for a backend that could not be reached asks the caller to
// wait: gRPC's reconnection backoff starts at 1 s, so asking sooner finds the channel down.
inline constexpr absl::Duration kUnreachableRetryDelay = absl::Seconds(1);

// The error of an aggregation whose caller did not allow a partial answer, when `source`
// failed with `status` (`missing`: every source that failed). The backend's status with its
// meaning: its code, its details (a RESOURCE_EXHAUSTED keeps its RetryInfo), its ErrorInfo
// reason (BACKEND_UNAVAILABLE for an UNAVAILABLE the channel made, the code's name when the
// backend gave none) with metadata `source` and `missing_sources`; an UNAVAILABLE without a
// RetryInfo gets kUnreachableRetryDelay. The message is "<SOURCE>: <backend's message> (...)".
absl::Status MissingSourceError(v1::Source source, const absl::Status& status,
                                const std::vector<v1::Source>& missing);

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_AGGREGATION_SUPPORT_H_
