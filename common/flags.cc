#include "common/flags.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "absl/flags/flag.h"
#include "common/api/page_token.h"
#include "common/log.h"

ABSL_FLAG(std::string, listen_address, "127.0.0.1", "Address to listen on.");
ABSL_FLAG(int, port, 0, "Port to listen on (0 picks a free port).");
ABSL_FLAG(int, health_port, 0,
          "When set, also serve grpc.health.v1 (and nothing else) in plaintext on this port, "
          "for probes that cannot speak TLS (Kubernetes' grpc probe). 0: none.");
ABSL_FLAG(int, metrics_port, 0,
          "When set, serve Prometheus metrics (text format 0.0.4) at http://ADDRESS:PORT/metrics, "
          "plain HTTP on --listen_address: counts and timings only. 0: none.");
ABSL_FLAG(int, worker_threads, 0,
          "Threads that run blocking work (database calls); 0: two per CPU core, at least 4 and "
          "at most --db_pool_size.");
ABSL_FLAG(int, drain_seconds, 10, "On SIGTERM/SIGINT, how long in-flight calls may finish.");
ABSL_FLAG(int, shutdown_grace_ms, 1000,
          "On SIGTERM/SIGINT, how long health reports NOT_SERVING while calls are still taken, "
          "before the drain stops accepting them.");
ABSL_FLAG(int, max_queued_requests, 64,
          "Calls waiting for a worker at most; more are refused at once (RESOURCE_EXHAUSTED).");
ABSL_FLAG(int, max_queue_wait_ms, 20,
          "Under overload (calls queued without a break for 100 ms), a call that waited this "
          "long for a worker is refused (RESOURCE_EXHAUSTED); it waits less when calls run fast "
          "(a few run times of an unloaded pool, at least 3 ms). A burst that leaves the queue "
          "empty now and then may wait up to 100 ms.");
ABSL_FLAG(int, max_message_mb, 32, "Largest request or response message, in MiB.");
ABSL_FLAG(int, max_connections, 4096,
          "Connections the port (and the health port) holds at once; more are closed as they "
          "arrive. Capped at half the process's descriptor limit.");
ABSL_FLAG(int, max_connections_per_peer, 256,
          "Connections one peer address holds at once on a port; more are closed as they arrive. "
          "Raise it for clients behind a shared address (NAT, proxies).");
ABSL_FLAG(int, handshake_timeout_ms, 5000,
          "A connection whose TLS/HTTP2 handshake has not finished by then is closed.");
ABSL_FLAG(int, max_connection_idle_seconds, 120,
          "A connection with no call for this long is closed (clients reconnect when needed).");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain of this server; also its client certificate when it calls "
          "another service. Empty: plaintext.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA bundle. Set: client certificates are required and verified against it "
          "(mutual TLS; optional on the gateway), and calls to other services use TLS and "
          "verify them against it.");
ABSL_FLAG(std::vector<std::string>, trusted_peers, {"gateway"},
          "Under mutual TLS, the client-certificate identities (common name) whose x-imp-actor "
          "is recorded; any other peer is recorded as peer:<identity>.");
ABSL_FLAG(std::string, db_host, "127.0.0.1", "MariaDB host.");
ABSL_FLAG(int, db_port, 3306, "MariaDB TCP port.");
ABSL_FLAG(std::string, db_socket, "", "MariaDB Unix socket; overrides --db_host/--db_port.");
ABSL_FLAG(std::string, db_user, "", "MariaDB user.");
ABSL_FLAG(std::string, db_password, "",
          "MariaDB password; when empty, the IMP_DB_PASSWORD environment variable is used.");
ABSL_FLAG(std::string, db_migration_user, "",
          "MariaDB user that may change the schema (CREATE, ALTER, INDEX, DROP, REFERENCES on this "
          "service's schema). When set, the service applies pending migrations at start-up; when "
          "empty, it only checks that the schema is current and stays NOT_SERVING until it is.");
ABSL_FLAG(std::string, db_migration_password, "",
          "Password of --db_migration_user; when empty, the IMP_DB_MIGRATION_PASSWORD environment "
          "variable is used.");
ABSL_FLAG(bool, migrate_only, false,
          "Apply pending migrations as --db_migration_user, then exit: 0 when the schema is "
          "current, 1 with the reason logged. The step a deploy or an init container runs.");
ABSL_FLAG(std::string, db_name, "", "MariaDB database (schema) owned by this service.");
ABSL_FLAG(int, db_pool_size, 8, "Database connections in the pool.");
ABSL_FLAG(int, db_timeout_seconds, 30, "Connection read/write timeout in seconds.");
ABSL_FLAG(std::string, page_token_key_file, "",
          "registry-service, activity-service: file holding the key (at least 32 bytes, e.g. "
          "`openssl rand -hex 32`) that signs page tokens; every replica of a deployment must use "
          "the same. When empty, a random key is drawn at start: page tokens then do not survive "
          "a restart and are not accepted by another replica.");

namespace imp {

ServiceHostOptions ServiceHostOptionsFromFlags(const std::string& service_name) {
  ServiceHostOptions options;
  options.name = service_name;
  options.listen_address = absl::GetFlag(FLAGS_listen_address);
  options.port = absl::GetFlag(FLAGS_port);
  options.health_port = absl::GetFlag(FLAGS_health_port);
  options.metrics_port = absl::GetFlag(FLAGS_metrics_port);
  options.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  if (options.worker_threads <= 0) {
    // Two per core, at least 4, at most one per database connection. Much of the work waits
    // (fsync, the feed counter's row lock that serialises registry writes, the registry for
    // references): with one per core (2 here) a reference lookup queued behind two writers
    // waiting on that lock was refused, and eight writers saw refusals. With one per
    // connection (8), CPU-bound calls on a machine shared with MariaDB only stretched: the
    // overload test's answered p99 was 33-35 ms against a bound of 24-30 ms.
    options.worker_threads =
        std::min(absl::GetFlag(FLAGS_db_pool_size),
                 std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency())));
  }
  options.drain_timeout = absl::Seconds(absl::GetFlag(FLAGS_drain_seconds));
  options.shutdown_grace = absl::Milliseconds(absl::GetFlag(FLAGS_shutdown_grace_ms));
  options.max_queued_requests = static_cast<size_t>(absl::GetFlag(FLAGS_max_queued_requests));
  options.max_queue_wait = absl::Milliseconds(absl::GetFlag(FLAGS_max_queue_wait_ms));
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_mb) << 20;
  options.connections.max_connections = absl::GetFlag(FLAGS_max_connections);
  options.connections.max_connections_per_peer = absl::GetFlag(FLAGS_max_connections_per_peer);
  options.handshake_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_handshake_timeout_ms));
  options.max_connection_idle = absl::Seconds(absl::GetFlag(FLAGS_max_connection_idle_seconds));
  TlsFiles files;
  files.cert = absl::GetFlag(FLAGS_tls_cert);
  files.key = absl::GetFlag(FLAGS_tls_key);
  files.ca = absl::GetFlag(FLAGS_tls_ca);
  absl::StatusOr<TlsOptions> tls = LoadTlsFiles(files);
  if (tls.ok() && tls->calls_tls() && !tls->serves_tls()) {
    tls = absl::FailedPreconditionError("--tls_ca needs --tls_cert and --tls_key");
  }
  if (!tls.ok()) {
    Log(LogLevel::kError, "fatal",
        {{"service", service_name}, {"error", std::string(tls.status().message())}});
    std::exit(1);
  }
  options.tls = *std::move(tls);
  options.trusted_peers = absl::GetFlag(FLAGS_trusted_peers);
  return options;
}

db::PoolOptions PoolOptionsFromFlags() {
  db::PoolOptions options;
  options.host = absl::GetFlag(FLAGS_db_host);
  options.port = absl::GetFlag(FLAGS_db_port);
  options.socket = absl::GetFlag(FLAGS_db_socket);
  options.user = absl::GetFlag(FLAGS_db_user);
  options.password = absl::GetFlag(FLAGS_db_password);
  if (options.password.empty()) {
    if (const char* env = std::getenv("IMP_DB_PASSWORD"); env != nullptr) options.password = env;
  }
  options.migration_user = absl::GetFlag(FLAGS_db_migration_user);
  options.migration_password = absl::GetFlag(FLAGS_db_migration_password);
  if (options.migration_password.empty()) {
    if (const char* env = std::getenv("IMP_DB_MIGRATION_PASSWORD"); env != nullptr) {
      options.migration_password = env;
    }
  }
  options.database = absl::GetFlag(FLAGS_db_name);
  options.size = absl::GetFlag(FLAGS_db_pool_size);
  options.read_timeout = absl::Seconds(absl::GetFlag(FLAGS_db_timeout_seconds));
  options.write_timeout = options.read_timeout;
  return options;
}

absl::Status InstallPageTokenKeyFromFlags() {
  const std::string path = absl::GetFlag(FLAGS_page_token_key_file);
  if (path.empty()) return absl::OkStatus();
  return api::LoadPageTokenKeyFile(path);
}

}  // namespace imp
