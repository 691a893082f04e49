#include "common/flags.h"

#include <cstdlib>

#include "absl/flags/flag.h"
#include "common/api/page_token.h"

ABSL_FLAG(std::string, listen_address, "127.0.0.1", "Address to listen on.");
ABSL_FLAG(int, port, 0, "Port to listen on (0 picks a free port).");
ABSL_FLAG(int, worker_threads, 8, "Threads that run blocking work (database calls).");
ABSL_FLAG(int, drain_seconds, 10, "On SIGTERM/SIGINT, how long in-flight calls may finish.");
ABSL_FLAG(int, max_message_mb, 32, "Largest request or response message, in MiB.");
ABSL_FLAG(std::string, db_host, "127.0.0.1", "MariaDB host.");
ABSL_FLAG(int, db_port, 3306, "MariaDB TCP port.");
ABSL_FLAG(std::string, db_socket, "", "MariaDB Unix socket; overrides --db_host/--db_port.");
ABSL_FLAG(std::string, db_user, "", "MariaDB user.");
ABSL_FLAG(std::string, db_password, "",
          "MariaDB password; when empty, the IMP_DB_PASSWORD environment variable is used.");
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
  options.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  options.drain_timeout = absl::Seconds(absl::GetFlag(FLAGS_drain_seconds));
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_mb) << 20;
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
