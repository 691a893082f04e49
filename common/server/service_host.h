#ifndef IMP_COMMON_SERVER_SERVICE_HOST_H_
#define IMP_COMMON_SERVER_SERVICE_HOST_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"
#include "common/metrics/metrics_server.h"
#include "common/net/channel.h"
#include "common/net/tls.h"
#include "common/server/connection_guard.h"
#include "common/server/request_log.h"
#include "common/worker_pool.h"

namespace imp {

struct ServiceHostOptions {
  std::string name;  // for logs: "registry", "activity", "gateway"
  std::string listen_address = "127.0.0.1";
  int port = 0;  // 0 picks a free port (tests); see ServiceHost::port()
  int max_message_bytes = 32 << 20;
  absl::Duration drain_timeout = absl::Seconds(10);
  // After the drain: how long the calls it stopped may take to roll back and answer before
  // gRPC cancels what still runs. The commit gate closes at the drain deadline, so an import
  // still running then rolls its rows back (as long as it took to write them) and only then is
  // told UNAVAILABLE: a call reported failed has changed nothing. Under RunUntilSignal the
  // process exits by grace + drain + this + kExitMargin at the latest (a watchdog ends it;
  // MariaDB then rolls back what was left). Zero: gRPC cancels at the drain deadline, the gate
  // closing a little before it, and a client may be told UNAVAILABLE while its transaction is
  // still rolling back (it can never commit).
  absl::Duration rollback_timeout = absl::ZeroDuration();
  // On shutdown, how long health reports NOT_SERVING while calls are still accepted, so that
  // load balancers and clients watching health move away before connections are refused.
  absl::Duration shutdown_grace = absl::ZeroDuration();
  // How often readiness is probed; each probe has its own short timeout, so health follows the
  // database within about two intervals.
  absl::Duration readiness_interval = absl::Milliseconds(500);
  int worker_threads = 8;  // the binaries take --worker_threads (default: one per core)
  size_t max_queued_requests = 64;
  absl::Duration max_queue_wait = absl::Milliseconds(20);
  // See AdmissionOptions::fairness_window (zero: no fairness between callers, for tests that
  // measure what it prevents).
  absl::Duration fairness_window = absl::Seconds(1);
  ActorResolver actor_resolver;  // optional; defaults to the audit trail's actor
  // TLS on the port; plaintext without tls.cert_pem. With tls.ca_pem as well, client
  // certificates are verified against it, and required unless `client_certificates` says
  // kOptional (the gateway, whose users authenticate with bearer tokens).
  TlsOptions tls;
  ClientCertificates client_certificates = ClientCertificates::kRequired;
  // Under mutual TLS, the peers (certificate identity) whose x-imp-actor is believed.
  std::vector<std::string> trusted_peers = {"gateway"};
  // When > 0, grpc.health.v1 is also served on this port, in plaintext and alone (a server of
  // its own, mirroring every status of the main port), for probes that cannot speak TLS:
  // Kubernetes' native grpc probe presents no client certificate and verifies nothing.
  int health_port = 0;
  // When > 0, Prometheus metrics are served at http://listen_address:metrics_port/metrics
  // (metrics_server.h); -1 picks a free port (tests, see ServiceHost::metrics_port()).
  int metrics_port = 0;
  // Connections each port holds at once, in all and per peer address (connection_guard.h).
  ConnectionLimits connections;
  // A connection whose TLS and HTTP/2 handshake has not finished by then is closed.
  absl::Duration handshake_timeout = absl::Seconds(5);
  // A connection with no call for this long is closed (GOAWAY); clients reconnect when needed.
  absl::Duration max_connection_idle = absl::Minutes(2);
};

// How a server calls other services: over TLS with its own certificate as client certificate
// when it has a CA, accepting responses as large as a service may send, round-robin over the
// target's replicas and only to those whose health ("") is SERVING.
ChannelOptions OutgoingChannelOptions(const ServiceHostOptions& options);

// The bootstrap every binary shares: a gRPC server with the standard health service
// (grpc.health.v1) and reflection, bounded message sizes, a request log line per RPC, a pool of
// worker threads for blocking work, a readiness loop that drives the health status, and a
// graceful drain on SIGTERM/SIGINT.
//
// Health is NOT_SERVING until the readiness check first succeeds (database reachable and
// migrated), follows it afterwards (NOT_SERVING while the database is down or stalled), and turns
// NOT_SERVING for good when shutdown starts — for the shutdown grace before connections are
// refused. Each service name is published: "" and every added service follow the readiness
// check; a service with a check of its own (the gateway's facades follow their backends) is
// SERVING when both agree.
//
// Drain: after the grace, gRPC stops taking calls and lets running ones finish until the drain
// deadline. Then the workers' commit gate closes (commit_gate.h), so a call still running rolls
// back instead of committing; with a rollback timeout, gRPC waits that much longer before it
// cancels what still runs, so that those calls answer UNAVAILABLE themselves once rolled back
// (without one the gate closes shortly before the deadline and gRPC's cancel answers them).
class ServiceHost {
 public:
  // How long after the drain's last deadline (grace + drain + rollback timeout) the watchdog of
  // RunUntilSignal lets Shutdown() run before it ends the process: the time to reap the calls
  // gRPC cancelled and close the connections.
  static constexpr absl::Duration kExitMargin = absl::Seconds(2);

  // Returns OK when the process can serve. FAILED_PRECONDITION is fatal (e.g. an edited
  // migration): the host logs it and stops with a non-zero exit code.
  using ReadinessCheck = absl::AnyInvocable<absl::Status(absl::Time deadline)>;

  explicit ServiceHost(ServiceHostOptions options);
  ~ServiceHost();

  ServiceHost(const ServiceHost&) = delete;
  ServiceHost& operator=(const ServiceHost&) = delete;

  WorkerPool& workers() { return workers_; }

  // Registers a service before Start(). `full_name` (e.g. RegistryService::service_full_name())
  // is the name its health status is published under.
  void AddService(grpc::Service* service, const std::string& full_name);
  void SetReadinessCheck(ReadinessCheck check);
  // A check of its own for one of the added services' health (before Start()). It runs on the
  // readiness thread and may block up to its deadline.
  void SetServiceCheck(const std::string& full_name, ReadinessCheck check);

  // What SIGHUP does under RunUntilSignal (e.g. the gateway re-reads its tokens file). Runs on
  // the thread that called RunUntilSignal, so it may block briefly. Without a hook, SIGHUP is
  // logged and ignored. Set before RunUntilSignal.
  using ReloadHook = absl::AnyInvocable<void()>;
  void SetReloadHook(ReloadHook hook);

  // UNAVAILABLE when the port cannot be bound, e.g. another server holds it (SO_REUSEPORT is
  // off, so a second server never silently shares a port).
  absl::Status Start();
  int port() const { return port_; }
  // The metrics port once started (0 when none).
  int metrics_port() const { return metrics_ == nullptr ? 0 : metrics_->port(); }
  // The main port's connection counts (connection_guard.h); zeros before Start().
  ConnectionGuard::Counters connection_counters();

  // NOT_SERVING, stop accepting calls, let in-flight calls finish within the drain timeout.
  void Shutdown();

  // Start(), wait for SIGTERM/SIGINT or a fatal readiness failure, Shutdown(); a SIGHUP meanwhile
  // runs the reload hook. Returns the process exit code. Call BlockTerminationSignals() first
  // thing in main().
  int RunUntilSignal();

 private:
  void ReadinessLoop();
  // Publishes every name: the process readiness `ready`, and for each service its own check too.
  void PublishHealth(bool ready, const absl::flat_hash_map<std::string, bool>& own);
  void SetServing(bool serving);
  // The pool's, the ports' and the process's gauges on the admin port.
  void RegisterMetricSources();
  // Sets `name`'s status on the main port's health service and on the health port's.
  void SetStatus(const std::string& name, bool serving);
  // Closes the commit gate at `when` unless Shutdown() finished before (drain_done_).
  void CloseCommitGateAt(absl::Time when);
  // Under RunUntilSignal with a rollback timeout: ends the process (exit code 1, a
  // "drain_overrun" log line) if Shutdown() has not finished by `when`.
  void ExitUnlessStoppedBy(absl::Time when);

  const ServiceHostOptions options_;
  WorkerPool workers_;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  ReadinessCheck readiness_check_;
  std::vector<std::pair<std::string, ReadinessCheck>> service_checks_;
  ReloadHook reload_hook_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::unique_ptr<ConnectionGuard> guard_;
  std::unique_ptr<grpc::Server> health_server_;  // options_.health_port > 0 only
  std::unique_ptr<ConnectionGuard> health_guard_;
  std::unique_ptr<metrics::MetricsServer> metrics_;  // options_.metrics_port != 0 only
  // The pool's and the ports' state, read when /metrics is scraped: declared after what they
  // read, so they are removed before it is destroyed.
  std::vector<metrics::SourceHandle> metric_sources_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool fatal_ ABSL_GUARDED_BY(mu_) = false;
  bool drain_done_ ABSL_GUARDED_BY(mu_) = false;
  std::thread readiness_thread_;
  std::atomic<bool> shut_down_{false};
  std::atomic<bool> serving_{false};  // what "" is published as (imp_serving)
};

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and every thread it later creates, so
// that RunUntilSignal() receives them synchronously. Call before any thread is started.
void BlockTerminationSignals();

}  // namespace imp

#endif  // IMP_COMMON_SERVER_SERVICE_HOST_H_
