#ifndef IMP_COMMON_STATUS_H_
#define IMP_COMMON_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace imp {

// absl::Status is what all service logic returns; grpc::Status exists only at the RPC edge.
// These are the only two places the two are converted.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// The canonical name of a status code ("INVALID_ARGUMENT"), for logs and command-line output.
const char* StatusCodeName(grpc::StatusCode code);

}  // namespace imp

#endif  // IMP_COMMON_STATUS_H_
