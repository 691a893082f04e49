#include "common/server/service_host.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/init.h"
#include "common/log.h"
#include "common/metrics/rpc_metrics.h"
#include "common/server/connection_guard.h"
#include "common/server/parse_error_interceptor.h"
#include "common/server/peer_identity.h"
#include "common/server/trace.h"

namespace imp {

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ChannelOptions OutgoingChannelOptions(const ServiceHostOptions& options) {
  ChannelOptions channel;
  channel.tls = options.tls;
  channel.max_receive_message_bytes = options.max_message_bytes;
  // Service-to-service calls go only to replicas whose whole-server health is SERVING (database
  // reachable and migrated, not draining): see ChannelOptions::health_check_service.
  channel.health_check_service = "";
  return channel;
}

namespace {

// The configured limits, kept under the descriptors this process may open: a listener that can
// exhaust them makes every other socket, database connection and file fail with it.
ConnectionLimits EffectiveLimits(ConnectionLimits limits) {
  const int descriptors = static_cast<int>(DescriptorLimit());
  const int cap = std::max(16, descriptors / 2);
  limits.max_connections = std::clamp(limits.max_connections, 1, cap);
  limits.max_connections_per_peer =
      std::clamp(limits.max_connections_per_peer, 1, limits.max_connections);
  return limits;
}

// What a connection may cost before it has earned its keep: a handshake that does not finish in
// time is dropped (a client that opens a connection and sends 5 bytes holds nothing for long), a
// connection with no call for a while is closed (clients reconnect on their next call), and a
// client pinging without calls more often than allowed is sent away.
void ApplyConnectionArguments(grpc::ServerBuilder& builder, const ServiceHostOptions& options) {
  builder.AddChannelArgument(
      GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.handshake_timeout)));
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONNECTION_IDLE_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.max_connection_idle)));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
}

AdmissionOptions FromHostOptions(const ServiceHostOptions& options) {
  AdmissionOptions admission;
  admission.max_queued = options.max_queued_requests;
  admission.max_queue_wait = options.max_queue_wait;
  admission.fairness_window = options.fairness_window;
  return admission;
}

}  // namespace

ServiceHost::ServiceHost(ServiceHostOptions options)
    : options_(std::move(options)),
      workers_(static_cast<size_t>(options_.worker_threads), FromHostOptions(options_)) {
  // Every server binary builds exactly one host, before it serves: the process-wide settings
  // (deadlock detection off in Release, see init.h) belong here.
  InitProcess();
}

ServiceHost::~ServiceHost() { Shutdown(); }

void ServiceHost::AddService(grpc::Service* service, const std::string& full_name) {
  services_.emplace_back(service, full_name);
}

void ServiceHost::SetReadinessCheck(ReadinessCheck check) { readiness_check_ = std::move(check); }

void ServiceHost::SetServiceCheck(const std::string& full_name, ReadinessCheck check) {
  service_checks_.emplace_back(full_name, std::move(check));
}

void ServiceHost::SetReloadHook(ReloadHook hook) { reload_hook_ = std::move(hook); }

absl::Status ServiceHost::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  const std::string address = absl::StrCat(options_.listen_address, ":", options_.port);
  std::shared_ptr<grpc::ServerCredentials> credentials =
      MakeServerCredentials(options_.tls, options_.client_certificates);
  if (options_.tls.serves_tls() && options_.tls.calls_tls()) {
    // Client certificates are verified: only trusted peers may name another actor.
    credentials->SetAuthMetadataProcessor(MakeActorGate(options_.trusted_peers));
  } else if (options_.tls.serves_tls() &&
             options_.client_certificates == ClientCertificates::kRequired) {
    // A backend with a certificate but no CA: encrypted, but nobody is authenticated.
    Log(LogLevel::kWarning, "tls_without_client_certificates",
        {{"service", options_.name},
         {"effect", "callers are not authenticated; x-imp-actor is taken from anyone"}});
  }
  // The port is ours (ConnectionGuard), not gRPC's: its accept loop survives running out of
  // descriptors and bounds connections per process and per peer; gRPC gets each admitted
  // connection with the port's credentials.
  absl::StatusOr<std::unique_ptr<ConnectionGuard>> guard = ConnectionGuard::Listen(
      options_.name, options_.listen_address, options_.port, EffectiveLimits(options_.connections));
  if (!guard.ok()) return guard.status();
  guard_ = *std::move(guard);
  port_ = guard_->port();
  auto acceptor = builder.experimental().AddExternalConnectionAcceptor(
      grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD, credentials);
  ApplyConnectionArguments(builder, options_);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  for (auto& [service, name] : services_) builder.RegisterService(service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(MakeParseErrorInterceptor());  // first: the log shows what it sends
  interceptors.push_back(MakeRequestLogInterceptor(options_.actor_resolver));
  std::vector<std::string> service_names;
  for (const auto& [service, name] : services_) service_names.push_back(name);
  interceptors.push_back(metrics::MakeRpcMetricsInterceptor(metrics::KnownMethods(service_names)));
  // Last: the first to see the received traceparent, the last to see the status (trace.h).
  interceptors.push_back(MakeTraceInterceptor());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot serve on ", address));
  }
  guard_->Start(std::move(acceptor));
  if (options_.health_port > 0) {
    // Health only: no service is registered on this builder (the process-wide default health
    // service is added to every server).
    grpc::ServerBuilder health_builder;
    absl::StatusOr<std::unique_ptr<ConnectionGuard>> health_guard =
        ConnectionGuard::Listen(absl::StrCat(options_.name, "-health"), options_.listen_address,
                                options_.health_port, EffectiveLimits(options_.connections));
    if (!health_guard.ok()) {
      guard_->Stop();
      server_->Shutdown();
      return absl::UnavailableError(
          absl::StrCat(health_guard.status().message(), " (--health_port)"));
    }
    health_guard_ = *std::move(health_guard);
    auto health_acceptor = health_builder.experimental().AddExternalConnectionAcceptor(
        grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD,
        grpc::InsecureServerCredentials());
    ApplyConnectionArguments(health_builder, options_);
    health_server_ = health_builder.BuildAndStart();
    if (health_server_ == nullptr) {
      guard_->Stop();
      server_->Shutdown();
      return absl::UnavailableError("cannot serve the health port");
    }
    health_guard_->Start(std::move(health_acceptor));
  }
  if (options_.metrics_port != 0) {
    absl::StatusOr<std::unique_ptr<metrics::MetricsServer>> served = metrics::MetricsServer::Start(
        options_.listen_address, std::max(0, options_.metrics_port), &metrics::Registry::Default());
    if (!served.ok()) {
      guard_->Stop();
      server_->Shutdown();
      if (health_server_ != nullptr) {
        health_guard_->Stop();
        health_server_->Shutdown();
      }
      return served.status();
    }
    metrics_ = *std::move(served);
    RegisterMetricSources();
  }
  // The default health service starts out SERVING; nothing is ready until the checks say so.
  SetServing(!readiness_check_ && service_checks_.empty());
  Log(LogLevel::kInfo, "server_started",
      {{"service", options_.name},
       {"address", absl::StrCat(options_.listen_address, ":", port_)},
       {"transport", !options_.tls.serves_tls() ? "plaintext"
                     : options_.tls.calls_tls() ? "mutual-tls"
                                                : "tls"}});
  if (readiness_check_ || !service_checks_.empty()) {
    readiness_thread_ = std::thread([this] { ReadinessLoop(); });
  }
  return absl::OkStatus();
}

ConnectionGuard::Counters ServiceHost::connection_counters() {
  return guard_ == nullptr ? ConnectionGuard::Counters{} : guard_->counters();
}

void ServiceHost::RegisterMetricSources() {
  metrics::Registry& registry = metrics::Registry::Default();
  metrics::RegisterProcessMetrics(registry);
  using metrics::Sample;
  using metrics::Type;
  // One reading of the pool per gauge: four short locks per scrape.
  auto pool_gauge = [&](const char* name, const char* help, auto read) {
    metric_sources_.push_back(
        registry.AddSource(name, help, Type::kGauge, {}, [this, read](std::vector<Sample>& out) {
          out.push_back({{}, read(workers_.load())});
        }));
  };
  pool_gauge("imp_worker_pool_threads", "Worker threads that run blocking work.",
             [](const WorkerPool::Load& l) { return static_cast<double>(l.threads); });
  pool_gauge("imp_worker_pool_busy", "Worker threads running a call now (idle = threads - busy).",
             [](const WorkerPool::Load& l) { return static_cast<double>(l.busy); });
  pool_gauge("imp_admission_queue_depth", "Calls waiting for a worker now.",
             [](const WorkerPool::Load& l) { return static_cast<double>(l.queued); });
  pool_gauge("imp_admission_expected_wait_seconds",
             "How long a call arriving now is expected to wait for a worker (admission control's "
             "estimate; zero while a worker is free).",
             [](const WorkerPool::Load& l) { return absl::ToDoubleSeconds(l.expected_wait); });
  metric_sources_.push_back(registry.AddSource(
      "imp_serving", "1 while the process reports SERVING on grpc.health.v1, else 0.", Type::kGauge,
      {}, [this](std::vector<Sample>& out) {
        out.push_back({{}, serving_.load() ? 1.0 : 0.0});
      }));
  // The ports' connection counts (connection_guard.h), by port: "main" or "health".
  auto guards = [this]() {
    std::vector<std::pair<const char*, ConnectionGuard::Counters>> counts;
    if (guard_ != nullptr) counts.emplace_back("main", guard_->counters());
    if (health_guard_ != nullptr) counts.emplace_back("health", health_guard_->counters());
    return counts;
  };
  metric_sources_.push_back(registry.AddSource(
      "imp_connections_accepted_total", "Connections accepted and handed to gRPC, by port.",
      Type::kCounter, {"port"}, [guards](std::vector<Sample>& out) {
        for (const auto& [port, c] : guards()) {
          out.push_back({{port}, static_cast<double>(c.accepted)});
        }
      }));
  metric_sources_.push_back(registry.AddSource(
      "imp_connections_refused_total",
      "Connections closed on arrival, by port and reason: max_connections (the port's limit) or "
      "per_peer (one address's limit).",
      Type::kCounter, {"port", "reason"}, [guards](std::vector<Sample>& out) {
        for (const auto& [port, c] : guards()) {
          out.push_back({{port, "max_connections"}, static_cast<double>(c.refused_total)});
          out.push_back({{port, "per_peer"}, static_cast<double>(c.refused_per_peer)});
        }
      }));
  metric_sources_.push_back(registry.AddSource(
      "imp_connection_accept_errors_total",
      "accept4 failures other than EAGAIN/EINTR (EMFILE: out of descriptors), by port.",
      Type::kCounter, {"port"}, [guards](std::vector<Sample>& out) {
        for (const auto& [port, c] : guards()) {
          out.push_back({{port}, static_cast<double>(c.accept_errors)});
        }
      }));
  metric_sources_.push_back(
      registry.AddSource("imp_connections_open", "Connections held now, by port.", Type::kGauge,
                         {"port"}, [guards](std::vector<Sample>& out) {
                           for (const auto& [port, c] : guards()) {
                             out.push_back({{port}, static_cast<double>(c.open)});
                           }
                         }));
}

void ServiceHost::SetStatus(const std::string& name, bool serving) {
  server_->GetHealthCheckService()->SetServingStatus(name, serving);
  if (health_server_ != nullptr) {
    health_server_->GetHealthCheckService()->SetServingStatus(name, serving);
  }
}

void ServiceHost::SetServing(bool serving) {
  serving_.store(serving);
  SetStatus("", serving);
  for (const auto& [service, name] : services_) SetStatus(name, serving);
}

void ServiceHost::PublishHealth(bool ready, const absl::flat_hash_map<std::string, bool>& own) {
  serving_.store(ready);
  SetStatus("", ready);
  for (const auto& [service, name] : services_) {
    auto it = own.find(name);
    SetStatus(name, ready && (it == own.end() || it->second));
  }
}

void ServiceHost::ReadinessLoop() {
  bool first = true;
  bool last_ready = false;
  absl::flat_hash_map<std::string, bool> last_own;
  for (;;) {
    // Each probe gets at most two intervals, so a stalled dependency turns NOT_SERVING within
    // about three intervals of stalling.
    const absl::Time deadline = absl::Now() + options_.readiness_interval * 2;
    absl::Status status = readiness_check_ ? readiness_check_(deadline) : absl::OkStatus();
    // A pool that refuses every call is not serving, whatever its database says.
    if (status.ok()) status = workers_.AdmissionHealth();
    absl::flat_hash_map<std::string, bool> own;
    std::vector<std::string> reasons;
    for (auto& [name, check] : service_checks_) {
      absl::Status s = check(absl::Now() + options_.readiness_interval * 2);
      own[name] = s.ok();
      if (!s.ok()) reasons.push_back(absl::StrCat(name, ": ", s.message()));
    }
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    if (absl::IsFailedPrecondition(status)) {
      Log(LogLevel::kError, "fatal",
          {{"service", options_.name}, {"error", std::string(status.message())}});
      fatal_ = true;
      return;
    }
    const bool ready = status.ok();
    // Back from an outage: the run times of calls that waited it out say nothing about the
    // calls to come (issue #19: they kept every short-deadline call refused after a stall).
    if (ready && !last_ready && !first) workers_.ForgetRunTimes();
    if (first || ready != last_ready || own != last_own) {
      PublishHealth(ready, own);
      if (!ready) reasons.insert(reasons.begin(), std::string(status.message()));
      Log(ready && reasons.empty() ? LogLevel::kInfo : LogLevel::kWarning, "health",
          {{"service", options_.name},
           {"status", ready ? "SERVING" : "NOT_SERVING"},
           {"reason", reasons.empty() ? "ready" : absl::StrJoin(reasons, "; ")}});
      last_ready = ready;
      last_own = std::move(own);
      first = false;
    }
    auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&stop), options_.readiness_interval);
    if (stopping_) return;
  }
}

void ServiceHost::CloseCommitGateAt(absl::Time when) {
  {
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return drain_done_; };
    if (mu_.AwaitWithDeadline(absl::Condition(&done), when)) return;
  }
  Log(LogLevel::kInfo, "commit_gate_closed", {{"service", options_.name}});
  workers_.commit_gate()->Close();
}

void ServiceHost::ExitUnlessStoppedBy(absl::Time when) {
  {
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return drain_done_; };
    if (mu_.AwaitWithDeadline(absl::Condition(&done), when)) return;
  }
  // A call still holds a worker past every deadline the drain gave it (a statement that does not
  // return): the bound is kept by ending the process. MariaDB rolls back the transactions of the
  // connections this closes, so nothing uncommitted is stored.
  Log(LogLevel::kError, "drain_overrun",
      {{"service", options_.name},
       {"effect",
        "exiting with calls still running; their transactions are rolled back by the "
        "database"}});
  std::_Exit(1);
}

void ServiceHost::Shutdown() {
  if (shut_down_.exchange(true)) return;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (readiness_thread_.joinable()) readiness_thread_.join();
  if (server_ == nullptr) {
    absl::MutexLock lock(&mu_);
    drain_done_ = true;
    return;
  }
  Log(LogLevel::kInfo, "draining", {{"service", options_.name}});
  SetServing(false);
  // NOT_SERVING while still answering: watchers of health move away first.
  if (options_.shutdown_grace > absl::ZeroDuration()) absl::SleepFor(options_.shutdown_grace);
  const absl::Time deadline = absl::Now() + options_.drain_timeout;
  // gRPC cancels what still runs at `cancel_at`. With a rollback timeout the gate closes at the
  // drain deadline and the calls it stops answer themselves once rolled back, before the
  // cancel. Without one the gate closes a little before the cancel, so that a commit that got
  // in has its answer sent before it, and none gets in after.
  const absl::Time cancel_at = deadline + options_.rollback_timeout;
  const absl::Duration answer_grace =
      options_.rollback_timeout > absl::ZeroDuration()
          ? absl::ZeroDuration()
          : std::min(absl::Milliseconds(500), options_.drain_timeout / 4);
  std::thread gate_closer([this, when = deadline - answer_grace] { CloseCommitGateAt(when); });
  server_->GetHealthCheckService()->Shutdown();
  if (health_server_ != nullptr) health_server_->GetHealthCheckService()->Shutdown();
  guard_->Stop();  // no new connections: as gRPC's own listener closes at Shutdown
  server_->Shutdown(absl::ToChronoTime(cancel_at));
  server_->Wait();
  if (health_server_ != nullptr) {
    health_guard_->Stop();
    health_server_->Shutdown(absl::ToChronoTime(absl::Now()));
  }
  // Scrapes answer until the drain is over: the last figures show how it went.
  metric_sources_.clear();
  metrics_.reset();
  {
    absl::MutexLock lock(&mu_);
    drain_done_ = true;
  }
  gate_closer.join();
  Log(LogLevel::kInfo, "stopped", {{"service", options_.name}});
}

int ServiceHost::RunUntilSignal() {
  absl::Status started = Start();
  if (!started.ok()) {
    Log(LogLevel::kError, "fatal",
        {{"service", options_.name}, {"error", std::string(started.message())}});
    return 1;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  const timespec poll{0, 200 * 1000 * 1000};
  int exit_code = 0;
  for (;;) {
    int sig = sigtimedwait(&set, nullptr, &poll);
    if (sig == SIGHUP) {
      Log(LogLevel::kInfo, "signal",
          {{"service", options_.name},
           {"signal", "SIGHUP"},
           {"action", reload_hook_ ? "reload" : "none (nothing to reload)"}});
      if (reload_hook_) reload_hook_();
      continue;
    }
    if (sig == SIGTERM || sig == SIGINT) {
      Log(LogLevel::kInfo, "signal",
          {{"service", options_.name}, {"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      break;
    }
    absl::MutexLock lock(&mu_);
    if (fatal_) {
      exit_code = 1;
      break;
    }
  }
  // The bound the flags promise, kept even by a call that never returns.
  std::thread watchdog;
  if (options_.rollback_timeout > absl::ZeroDuration()) {
    const absl::Time when = absl::Now() + options_.shutdown_grace + options_.drain_timeout +
                            options_.rollback_timeout + kExitMargin;
    watchdog = std::thread([this, when] { ExitUnlessStoppedBy(when); });
  }
  Shutdown();
  if (watchdog.joinable()) watchdog.join();
  return exit_code;
}

}  // namespace imp
