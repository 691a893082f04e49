// gateway: the one door for admin tooling.
#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/flags.h"
#include "gateway/src/gateway_server.h"

ABSL_FLAG(std::string, registry_target, "127.0.0.1:50051", "registry-service address.");
ABSL_FLAG(std::string, activity_target, "127.0.0.1:50052", "activity-service address.");
ABSL_FLAG(std::string, tokens_file, "",
          "Bearer tokens: lines of `sha256-hex role actor [institutions/<id>...]` "
          "(role: viewer, editor or admin; institutions scope an editor).");
ABSL_FLAG(int, backend_timeout_seconds, 10,
          "Deadline of a backend call made for a caller that set no deadline of its own "
          "(a caller's deadline, less a margin, always applies otherwise).");

ABSL_FLAG(int, registry_poll_interval_ms, 200,
          "How often the gateway reads the registry's change feed to keep its copy of the "
          "registry current (what the aggregations read).");
ABSL_FLAG(int, registry_refresh_timeout_ms, 500,
          "How long an aggregation waits for the registry to confirm the gateway's copy is "
          "current before it answers from the copy as it is, marked stale.");

int main(int argc, char** argv) {
  imp::BlockTerminationSignals();
  absl::SetFlag(&FLAGS_port, 50050);
  absl::SetProgramUsageMessage(
      "Serves imp.gateway.v1.GatewayService and the authenticated RegistryService and "
      "ActivityService facade.");
  absl::ParseCommandLine(argc, argv);
  imp::gateway::GatewayOptions options;
  options.registry_target = absl::GetFlag(FLAGS_registry_target);
  options.activity_target = absl::GetFlag(FLAGS_activity_target);
  options.tokens_file = absl::GetFlag(FLAGS_tokens_file);
  options.backend_timeout = absl::Seconds(absl::GetFlag(FLAGS_backend_timeout_seconds));
  options.registry_copy.poll_interval =
      absl::Milliseconds(std::max(10, absl::GetFlag(FLAGS_registry_poll_interval_ms)));
  options.registry_copy.refresh_timeout =
      absl::Milliseconds(std::max(1, absl::GetFlag(FLAGS_registry_refresh_timeout_ms)));
  imp::gateway::GatewayServer server(imp::ServiceHostOptionsFromFlags("gateway"), options);
  return server.RunUntilSignal();
}
