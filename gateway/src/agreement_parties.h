#ifndef IMP_GATEWAY_AGREEMENT_PARTIES_H_
#define IMP_GATEWAY_AGREEMENT_PARTIES_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/src/backends.h"
#include "gateway/src/scope.h"

namespace imp::gateway {

// Resolves the parties of the agreements named in `names` through
// RegistryService.BatchGetAgreements (deduplicated, empty names skipped, up to 1000 names a call;
// a name the registry does not know or refuses as malformed is left out of the answer and the
// batch retried without it). done gets UNAVAILABLE/DEADLINE_EXCEEDED/... as the registry
// answered when it could not be asked. Non-blocking: the calls chain on gRPC's threads and
// done runs on one of them. The calls carry `server_ctx`'s deadline and cancellation and name
// `actor`. For the scoped-editor checks of what a write refers to (MayFileActivityUnder, e.g. for
// each import row; MayLinkProjectToAgreements; MayConcludeAgreementUnder).
void ResolveAgreementParties(Backends& backends, grpc::CallbackServerContext* server_ctx,
                             const std::string& actor, std::vector<std::string> names,
                             std::function<void(absl::StatusOr<AgreementParties>)> done);

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_AGREEMENT_PARTIES_H_
