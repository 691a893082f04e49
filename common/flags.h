#ifndef IMP_COMMON_FLAGS_H_
#define IMP_COMMON_FLAGS_H_

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/status.h"
#include "common/db/pool.h"
#include "common/server/service_host.h"

// Flags every service binary shares. Each main() may give --port and --db_name its own default
// with absl::SetFlag before parsing.
ABSL_DECLARE_FLAG(std::string, listen_address);
ABSL_DECLARE_FLAG(int, port);
ABSL_DECLARE_FLAG(int, health_port);
ABSL_DECLARE_FLAG(int, metrics_port);
ABSL_DECLARE_FLAG(int, worker_threads);
ABSL_DECLARE_FLAG(int, drain_seconds);
ABSL_DECLARE_FLAG(int, shutdown_grace_ms);
ABSL_DECLARE_FLAG(int, max_queued_requests);
ABSL_DECLARE_FLAG(int, max_queue_wait_ms);
ABSL_DECLARE_FLAG(int, max_message_mb);
ABSL_DECLARE_FLAG(int, max_connections);
ABSL_DECLARE_FLAG(int, max_connections_per_peer);
ABSL_DECLARE_FLAG(int, handshake_timeout_ms);
ABSL_DECLARE_FLAG(int, max_connection_idle_seconds);
ABSL_DECLARE_FLAG(std::string, tls_cert);
ABSL_DECLARE_FLAG(std::string, tls_key);
ABSL_DECLARE_FLAG(std::string, tls_ca);
ABSL_DECLARE_FLAG(std::vector<std::string>, trusted_peers);
ABSL_DECLARE_FLAG(std::string, db_host);
ABSL_DECLARE_FLAG(int, db_port);
ABSL_DECLARE_FLAG(std::string, db_socket);
ABSL_DECLARE_FLAG(std::string, db_user);
ABSL_DECLARE_FLAG(std::string, db_password);
ABSL_DECLARE_FLAG(std::string, db_migration_user);
ABSL_DECLARE_FLAG(std::string, db_migration_password);
ABSL_DECLARE_FLAG(bool, migrate_only);
ABSL_DECLARE_FLAG(std::string, db_name);
ABSL_DECLARE_FLAG(int, db_pool_size);
ABSL_DECLARE_FLAG(int, db_timeout_seconds);
ABSL_DECLARE_FLAG(std::string, page_token_key_file);

namespace imp {

// Reads the --tls_* files here, so that a missing or wrong file stops the process at start-up
// with a message naming the flag (exit code 1), before anything listens or connects.
ServiceHostOptions ServiceHostOptionsFromFlags(const std::string& service_name);
// --db_password falls back to the IMP_DB_PASSWORD environment variable (and
// --db_migration_password to IMP_DB_MIGRATION_PASSWORD), so that secrets need not appear in the
// process list.
db::PoolOptions PoolOptionsFromFlags();
// Installs the page-token key of --page_token_key_file (see api::LoadPageTokenKeyFile); keeps
// the random per-process key when the flag is empty. A service must not start on an error.
absl::Status InstallPageTokenKeyFromFlags();

}  // namespace imp

#endif  // IMP_COMMON_FLAGS_H_
