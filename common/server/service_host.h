#ifndef IMP_COMMON_SERVER_SERVICE_HOST_H_
#define IMP_COMMON_SERVER_SERVICE_HOST_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/net/channel.h"
#include "common/net/tls.h"
#include "common/server/request_log.h"
#include "common/worker_pool.h"

namespace imp {

struct ServiceHostOptions {
  std::string name;  // for logs: "registry", "activity", "gateway"
  std::string listen_address = "127.0.0.1";
  int port = 0;  // 0 picks a free port (tests); see ServiceHost::port()
  int max_message_bytes = 32 << 20;
  absl::Duration drain_timeout = absl::Seconds(10);
  absl::Duration readiness_interval = absl::Seconds(1);
  int worker_threads = 8;
  size_t max_queued_requests = 4096;
  ActorResolver actor_resolver;  // optional; defaults to the audit trail's actor
  // TLS on the port; plaintext without tls.cert_pem. With tls.ca_pem as well, client
  // certificates are verified against it, and required unless `client_certificates` says
  // kOptional (the gateway, whose users authenticate with bearer tokens).
  TlsOptions tls;
  ClientCertificates client_certificates = ClientCertificates::kRequired;
  // Under mutual TLS, the peers (certificate identity) whose x-imp-actor is believed.
  std::vector<std::string> trusted_peers = {"gateway"};
};

// How a server calls other services: over TLS with its own certificate as client certificate
// when it has a CA, accepting responses as large as a service may send.
ChannelOptions OutgoingChannelOptions(const ServiceHostOptions& options);

// The bootstrap every binary shares: a gRPC server with the standard health service
// (grpc.health.v1) and reflection, bounded message sizes, a request log line per RPC, a pool of
// worker threads for blocking work, a readiness loop that drives the health status, and a
// graceful drain on SIGTERM/SIGINT.
//
// Health is NOT_SERVING until the readiness check first succeeds (database reachable and
// migrated), follows it afterwards (NOT_SERVING while the database is down), and turns
// NOT_SERVING for good when shutdown starts.
class ServiceHost {
 public:
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

  // UNAVAILABLE when the port cannot be bound, e.g. another server holds it (SO_REUSEPORT is
  // off, so a second server never silently shares a port).
  absl::Status Start();
  int port() const { return port_; }

  // NOT_SERVING, stop accepting calls, let in-flight calls finish within the drain timeout.
  void Shutdown();

  // Start(), wait for SIGTERM/SIGINT or a fatal readiness failure, Shutdown(). Returns the
  // process exit code. Call BlockTerminationSignals() first thing in main().
  int RunUntilSignal();

 private:
  void ReadinessLoop();
  void SetServing(bool serving);

  const ServiceHostOptions options_;
  WorkerPool workers_;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  ReadinessCheck readiness_check_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool fatal_ ABSL_GUARDED_BY(mu_) = false;
  std::thread readiness_thread_;
  std::atomic<bool> shut_down_{false};
};

// Blocks SIGTERM and SIGINT in the calling thread and every thread it later creates, so that
// RunUntilSignal() receives them synchronously. Call before any thread is started.
void BlockTerminationSignals();

}  // namespace imp

#endif  // IMP_COMMON_SERVER_SERVICE_HOST_H_
