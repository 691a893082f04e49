// activity-service: what partnerships do (trainings, operations, visits, telemedicine, events).
#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "activity-service/src/activity_server.h"
#include "common/flags.h"
#include "common/log.h"

ABSL_FLAG(std::string, registry_target, "127.0.0.1:50051",
          "registry-service address, for checking institution and agreement references.");

ABSL_FLAG(int, import_idle_seconds, 30,
          "An import stream that sends nothing for this long is ended; nothing is applied.");
ABSL_FLAG(int, max_concurrent_imports, 2,
          "Imports running at once (each holds a worker and a database connection); more are "
          "refused with RESOURCE_EXHAUSTED.");

ABSL_FLAG(int, stats_cache_entries, 512,
          "GetActivityStats answers kept for reuse while no write changes the months they cover "
          "(checked against the database on every call); 0 turns the cache off.");
ABSL_FLAG(int, stats_cache_mb, 8, "Size of the kept GetActivityStats answers together, in MiB.");

int main(int argc, char** argv) {
  absl::SetFlag(&FLAGS_port, 50052);
  absl::SetFlag(&FLAGS_db_name, "imp_activity");
  absl::SetFlag(&FLAGS_db_user, "imp_activity");
  absl::SetProgramUsageMessage("Serves imp.activity.v1.ActivityService.");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_migrate_only)) {
    return imp::db::RunMigrateOnly(imp::PoolOptionsFromFlags(), imp::activity::Migrations());
  }
  if (absl::Status key = imp::InstallPageTokenKeyFromFlags(); !key.ok()) {
    imp::Log(imp::LogLevel::kError, "start_failed", {{"error", std::string(key.message())}});
    return 1;
  }
  // Before any thread starts (the --migrate_only step keeps the default: SIGTERM ends it).
  imp::BlockTerminationSignals();
  imp::activity::ImportLimits import_limits;
  import_limits.idle_timeout = absl::Seconds(absl::GetFlag(FLAGS_import_idle_seconds));
  import_limits.max_concurrent = absl::GetFlag(FLAGS_max_concurrent_imports);
  imp::activity::StatsCacheLimits stats_cache;
  stats_cache.max_entries =
      static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_stats_cache_entries)));
  stats_cache.max_bytes = static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_stats_cache_mb)))
                          << 20;
  imp::activity::ActivityServer server(
      imp::ServiceHostOptionsFromFlags("activity"), imp::PoolOptionsFromFlags(),
      absl::GetFlag(FLAGS_registry_target), import_limits, stats_cache);
  return server.RunUntilSignal();
}
