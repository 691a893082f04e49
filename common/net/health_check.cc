#include "common/net/health_check.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace imp {

absl::Status CheckServing(grpc::Channel& channel, const std::string& service,
                          absl::Time deadline) {
  using grpc::health::v1::HealthCheckRequest;
  using grpc::health::v1::HealthCheckResponse;
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(deadline));
  HealthCheckRequest req;
  req.set_service(service);
  HealthCheckResponse resp;
  // The stub is cheap (it holds the channel); the channel keeps its connection between checks.
  grpc::Status s = grpc::health::v1::Health::NewStub(
                       std::shared_ptr<grpc::Channel>(std::shared_ptr<grpc::Channel>(), &channel))
                       ->Check(&ctx, req, &resp);
  if (!s.ok()) {
    return absl::UnavailableError(absl::StrCat(service, ": health check failed: ",
                                               s.error_message()));
  }
  if (resp.status() != HealthCheckResponse::SERVING) {
    return absl::UnavailableError(
        absl::StrCat(service, ": ", HealthCheckResponse::ServingStatus_Name(resp.status())));
  }
  return absl::OkStatus();
}

}  // namespace imp
