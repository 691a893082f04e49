#ifndef IMP_TOOLS_IMPCTL_CLIENT_H_
#define IMP_TOOLS_IMPCTL_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "imp/activity/v1/activity.grpc.pb.h"
#include "imp/gateway/v1/gateway.grpc.pb.h"
#include "imp/registry/v1/registry.grpc.pb.h"

namespace imp::impctl {

// Exit codes (documented in `impctl --help`).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;      // anything else
inline constexpr int kExitUsage = 2;       // bad command line or input file
inline constexpr int kExitNotServing = 3;  // health: not SERVING
// INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE; import rows rejected
inline constexpr int kExitInvalid = 4;
inline constexpr int kExitNotFound = 5;      // NOT_FOUND
inline constexpr int kExitConflict = 6;      // ALREADY_EXISTS, ABORTED (etag)
inline constexpr int kExitDenied = 7;        // UNAUTHENTICATED, PERMISSION_DENIED
inline constexpr int kExitUnavailable = 8;   // UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED
inline constexpr int kExitInconsistent = 9;  // check: the data is not consistent

int ExitCodeFor(grpc::StatusCode code);
// The exit code for an error, by its ErrorInfo reason where that says more than the code: an
// ABORTED that is not ETAG_MISMATCH (a transaction that kept colliding) is 8, retry later.
int ExitCodeFor(const absl::Status& status);
// The error details for people, one line each: "field institution.country: 'XX' is not...",
// "precondition REFERENCE activity.agreement: ...", "resource institutions/x", "reason
// FIELD_INVALID".
std::vector<std::string> DetailLines(const absl::Status& status);
// Prints "impctl: CODE: message", the detail lines and "impctl: trace_id=<32 hex>" (the trace
// the servers logged the call under) to stderr and returns the exit code.
int ReportError(const grpc::Status& status);

// The one W3C trace of this command (every call carries a child of it, so one grep of its id
// finds the whole command in the gateway's and the services' logs): --traceparent, else
// $IMP_TRACEPARENT, else a new sampled trace. INVALID_ARGUMENT when the one given is not a
// traceparent. Call once before any call; CommandTraceparent is "" until then.
absl::Status InitCommandTrace();
const std::string& CommandTraceparent();
// The trace id a failed call was logged under: the google.rpc.RequestInfo of its error details,
// else this command's own.
std::string TraceIdOfError(const absl::Status& details);

// The gateway connection (any server works: the registry and activity services serve the same
// RPCs without a token). Target: --target, else $IMP_TARGET, else 127.0.0.1:50050. Token:
// --token, else the file --token_file names, else $IMP_TOKEN, else the file $IMP_TOKEN_FILE names
// (surrounding whitespace trimmed); none means no authorization header. Transport: see
// ChannelFromFlags.
class Client {
 public:
  static absl::StatusOr<Client> FromFlags();

  // A context carrying the bearer token, a deadline and a child of the command's traceparent.
  std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = absl::Seconds(60)) const;

  registry::v1::RegistryService::Stub& registry() { return *registry_; }
  activity::v1::ActivityService::Stub& activity() { return *activity_; }
  gateway::v1::GatewayService::Stub& gateway() { return *gateway_; }
  const std::string& target() const { return target_; }

 private:
  std::string target_;
  std::string token_;
  std::shared_ptr<grpc::Channel> channel_;
  std::shared_ptr<registry::v1::RegistryService::Stub> registry_;
  std::shared_ptr<activity::v1::ActivityService::Stub> activity_;
  std::shared_ptr<gateway::v1::GatewayService::Stub> gateway_;
};

std::string TargetFromFlags();
absl::StatusOr<std::string> TokenFromFlags();
// A channel to `target`: TLS verified against --ca_cert ($IMP_CA_CERT) when one is given,
// presenting --client_cert/--client_key ($IMP_CLIENT_CERT/$IMP_CLIENT_KEY) when given (a
// service under mutual TLS needs them); plaintext without a CA. INVALID_ARGUMENT names the flag
// of a file that is missing or wrong.
absl::StatusOr<std::shared_ptr<grpc::Channel>> ChannelFromFlags(const std::string& target);

}  // namespace imp::impctl

#endif  // IMP_TOOLS_IMPCTL_CLIENT_H_
