// activity-service: what partnerships do (trainings, operations, visits, telemedicine, events).
#include <algorithm>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "activity-service/src/activity_server.h"
#include "common/flags.h"
#include "common/log.h"

ABSL_FLAG(std::string, registry_target, "127.0.0.1:50051",
          "registry-service address, for checking institution and agreement references.");

ABSL_FLAG(int, import_idle_seconds, 30,
          "An import stream that delivers no row for this long is ended; nothing is applied.");
ABSL_FLAG(double, import_min_rows_per_second, 50,
          "After --import_idle_seconds of waiting for its client, an import stream must have "
          "delivered this many rows per second of waiting, or it is ended; nothing is applied.");
ABSL_FLAG(int, import_max_minutes, 30,
          "The longest an import stream stays open, whatever its caller's deadline.");
ABSL_FLAG(int, max_concurrent_imports, 4,
          "Import streams open at once (each holds a database connection and a transaction, no "
          "thread, while it waits for its client; keep it below --db_pool_size); more are "
          "refused with RESOURCE_EXHAUSTED.");
ABSL_FLAG(int, max_imports_per_caller, 2,
          "Import streams one caller (x-imp-actor) may have open at once; more are refused with "
          "RESOURCE_EXHAUSTED.");

ABSL_FLAG(int, drain_rollback_seconds, 15,
          "After --drain_seconds on SIGTERM/SIGINT: how long the calls still running then (an "
          "import not yet committed) may take to roll back and answer UNAVAILABLE before they "
          "are cancelled. Rolling an import back takes about as long as writing its rows did. "
          "The process exits by --shutdown_grace_ms + --drain_seconds + this + 2 s at the "
          "latest; the orchestrator's kill grace (terminationGracePeriodSeconds) must be longer. "
          "0: calls are cancelled at the drain deadline and may be told UNAVAILABLE while their "
          "transaction is still rolling back.");

ABSL_FLAG(int, stats_cache_entries, 512,
          "GetActivityStats answers kept for reuse while no write changes the months they cover "
          "(checked against the database on every call); 0 turns the cache off.");
ABSL_FLAG(double, stats_budget_seconds, 3,
          "Database time one GetActivityStats call may take; past it the call is refused "
          "(RESOURCE_EXHAUSTED, QUERY_TOO_EXPENSIVE) and the caller narrows it.");
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
  import_limits.min_rows_per_second = absl::GetFlag(FLAGS_import_min_rows_per_second);
  import_limits.max_duration = absl::Minutes(absl::GetFlag(FLAGS_import_max_minutes));
  import_limits.max_concurrent = absl::GetFlag(FLAGS_max_concurrent_imports);
  import_limits.max_per_caller = absl::GetFlag(FLAGS_max_imports_per_caller);
  imp::activity::StatsCacheLimits stats_cache;
  stats_cache.max_entries =
      static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_stats_cache_entries)));
  stats_cache.max_bytes = static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_stats_cache_mb)))
                          << 20;
  imp::ServiceHostOptions host_options = imp::ServiceHostOptionsFromFlags("activity");
  host_options.rollback_timeout =
      absl::Seconds(std::max(0, absl::GetFlag(FLAGS_drain_rollback_seconds)));
  imp::activity::ActivityServer server(
      std::move(host_options), imp::PoolOptionsFromFlags(), absl::GetFlag(FLAGS_registry_target),
      import_limits, stats_cache, absl::Seconds(absl::GetFlag(FLAGS_stats_budget_seconds)));
  return server.RunUntilSignal();
}
