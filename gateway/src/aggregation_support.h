#ifndef IMP_GATEWAY_AGGREGATION_SUPPORT_H_
#define IMP_GATEWAY_AGGREGATION_SUPPORT_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <optional>
#include <string>

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

// What the registry branch of an aggregation reports to its Fanout: OK when the copy was
// confirmed current; otherwise the reason, saying that the registry figures come from the copy
// and how old it is (SOURCE_REGISTRY then goes into missing_sources, this into warnings).
absl::Status RegistryOutcome(const RegistryView& view, const absl::Status& refreshed);

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_AGGREGATION_SUPPORT_H_
