#ifndef IMP_COMMON_NET_HEALTH_CHECK_H_
#define IMP_COMMON_NET_HEALTH_CHECK_H_

#include <grpcpp/channel.h>

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace imp {

// Asks a server's grpc.health.v1 service whether `service` is SERVING. OK when it is;
// UNAVAILABLE naming what it answered (NOT_SERVING, unknown service) or why it could not
// answer by `deadline`. Blocking: for readiness threads, never a gRPC callback thread.
absl::Status CheckServing(grpc::Channel& channel, const std::string& service,
                          absl::Time deadline);

}  // namespace imp

#endif  // IMP_COMMON_NET_HEALTH_CHECK_H_
