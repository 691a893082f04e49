#ifndef IMP_COMMON_METRICS_METRICS_SERVER_H_
#define IMP_COMMON_METRICS_METRICS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/metrics/metrics.h"

struct MHD_Daemon;

namespace imp::metrics {

// Bounds of the admin HTTP port: a scraper needs one connection; the rest is for people with
// curl. A connection that sends nothing for `idle_timeout_seconds` is closed, so held
// connections cannot use the port up.
struct MetricsServerLimits {
  unsigned max_connections = 32;
  unsigned max_connections_per_peer = 8;
  unsigned idle_timeout_seconds = 10;
};

// The admin port (--metrics_port): `GET /metrics` answers the registry's text exposition
// (Content-Type text/plain; version=0.0.4), anything else 404, a method other than GET or HEAD
// 405. Plain HTTP: it carries counts and timings only (no data, no names), like the plaintext
// health port; keep it off untrusted networks. GNU libmicrohttpd serves it on a thread of its
// own (epoll), so a slow scraper never holds a gRPC or worker thread.
class MetricsServer {
 public:
  // Binds `host:port` (port 0: a free port, see port()). UNAVAILABLE when it cannot.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& host, int port,
                                                              Registry* registry,
                                                              MetricsServerLimits limits = {});
  ~MetricsServer();  // stops serving; waits for the answers in progress

  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const { return port_; }

 private:
  MetricsServer(Registry* registry) : registry_(registry) {}

  Registry* const registry_;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;

  friend struct MetricsServerAccess;
};

// Registers the standard process metrics once per process (process_resident_memory_bytes,
// process_open_fds, process_max_fds, process_cpu_seconds_total, process_start_time_seconds,
// process_threads), read from /proc/self at scrape time.
void RegisterProcessMetrics(Registry& registry);

}  // namespace imp::metrics

#endif  // IMP_COMMON_METRICS_METRICS_SERVER_H_
