// activity-service: what partnerships do (trainings, operations, visits, telemedicine, events).
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "activity-service/src/activity_server.h"
#include "common/flags.h"
#include "common/log.h"

ABSL_FLAG(std::string, registry_target, "127.0.0.1:50051",
          "registry-service address, for checking institution and agreement references.");

int main(int argc, char** argv) {
  imp::BlockTerminationSignals();
  absl::SetFlag(&FLAGS_port, 50052);
  absl::SetFlag(&FLAGS_db_name, "imp_activity");
  absl::SetFlag(&FLAGS_db_user, "imp_activity");
  absl::SetProgramUsageMessage("Serves imp.activity.v1.ActivityService.");
  absl::ParseCommandLine(argc, argv);
  if (absl::Status key = imp::InstallPageTokenKeyFromFlags(); !key.ok()) {
    imp::Log(imp::LogLevel::kError, "start_failed", {{"error", std::string(key.message())}});
    return 1;
  }
  imp::activity::ActivityServer server(imp::ServiceHostOptionsFromFlags("activity"),
                                       imp::PoolOptionsFromFlags(),
                                       absl::GetFlag(FLAGS_registry_target));
  return server.RunUntilSignal();
}
