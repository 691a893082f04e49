#include "common/server/service_host.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <cerrno>
#include <ctime>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/server/parse_error_interceptor.h"

namespace imp {

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ServiceHost::ServiceHost(ServiceHostOptions options)
    : options_(std::move(options)),
      workers_(static_cast<size_t>(options_.worker_threads), options_.max_queued_requests) {}

ServiceHost::~ServiceHost() { Shutdown(); }

void ServiceHost::AddService(grpc::Service* service, const std::string& full_name) {
  services_.emplace_back(service, full_name);
}

void ServiceHost::SetReadinessCheck(ReadinessCheck check) { readiness_check_ = std::move(check); }

absl::Status ServiceHost::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  const std::string address = absl::StrCat(options_.listen_address, ":", options_.port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  for (auto& [service, name] : services_) builder.RegisterService(service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(MakeParseErrorInterceptor());  // first: the log shows what it sends
  interceptors.push_back(MakeRequestLogInterceptor(options_.actor_resolver));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
  }
  // The default health service starts out SERVING; nothing is ready until the check says so.
  SetServing(!readiness_check_);
  Log(LogLevel::kInfo, "server_started",
      {{"service", options_.name}, {"address", absl::StrCat(options_.listen_address, ":", port_)}});
  if (readiness_check_) readiness_thread_ = std::thread([this] { ReadinessLoop(); });
  return absl::OkStatus();
}

void ServiceHost::SetServing(bool serving) {
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus("", serving);
  for (const auto& [service, name] : services_) health->SetServingStatus(name, serving);
}

void ServiceHost::ReadinessLoop() {
  bool last_ready = false;
  bool first = true;
  for (;;) {
    absl::Status status = readiness_check_(absl::Now() + options_.readiness_interval * 3);
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    if (absl::IsFailedPrecondition(status)) {
      Log(LogLevel::kError, "fatal",
          {{"service", options_.name}, {"error", std::string(status.message())}});
      fatal_ = true;
      return;
    }
    const bool ready = status.ok();
    if (first || ready != last_ready) {
      SetServing(ready);
      Log(ready ? LogLevel::kInfo : LogLevel::kWarning, "health",
          {{"service", options_.name},
           {"status", ready ? "SERVING" : "NOT_SERVING"},
           {"reason", ready ? "ready" : std::string(status.message())}});
      last_ready = ready;
      first = false;
    }
    auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&stop), options_.readiness_interval);
    if (stopping_) return;
  }
}

void ServiceHost::Shutdown() {
  if (shut_down_.exchange(true)) return;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (readiness_thread_.joinable()) readiness_thread_.join();
  if (server_ == nullptr) return;
  Log(LogLevel::kInfo, "draining", {{"service", options_.name}});
  SetServing(false);
  server_->GetHealthCheckService()->Shutdown();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + options_.drain_timeout));
  server_->Wait();
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
  const timespec poll{0, 200 * 1000 * 1000};
  int exit_code = 0;
  for (;;) {
    int sig = sigtimedwait(&set, nullptr, &poll);
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
  Shutdown();
  return exit_code;
}

}  // namespace imp
