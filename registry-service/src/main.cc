// registry-service: the programme's system of record for institutions and agreements.
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/flags.h"
#include "common/log.h"
#include "registry-service/src/registry_server.h"

int main(int argc, char** argv) {
  absl::SetFlag(&FLAGS_port, 50051);
  absl::SetFlag(&FLAGS_db_name, "imp_registry");
  absl::SetFlag(&FLAGS_db_user, "imp_registry");
  absl::SetProgramUsageMessage(
      "Serves imp.registry.v1.RegistryService (institutions, agreements).");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_migrate_only)) {
    return imp::db::RunMigrateOnly(imp::PoolOptionsFromFlags(), imp::registry::Migrations());
  }
  if (absl::Status key = imp::InstallPageTokenKeyFromFlags(); !key.ok()) {
    imp::Log(imp::LogLevel::kError, "start_failed", {{"error", std::string(key.message())}});
    return 1;
  }
  // Before any thread starts (the --migrate_only step keeps the default: SIGTERM ends it).
  imp::BlockTerminationSignals();
  imp::registry::RegistryServer server(imp::ServiceHostOptionsFromFlags("registry"),
                                       imp::PoolOptionsFromFlags());
  return server.RunUntilSignal();
}
