#include "common/metrics/rpc_metrics.h"

#include <google/protobuf/descriptor.h>
#include <grpcpp/grpcpp.h>

#include <array>
#include <atomic>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status.h"

namespace imp::metrics {
namespace {

constexpr int kCodes = 17;  // grpc::StatusCode OK..UNAUTHENTICATED

// The series of one method, looked up once: a call touches atomics only.
struct MethodSeries {
  Counter* started = nullptr;
  Gauge* in_flight = nullptr;
  Histogram* seconds = nullptr;
  std::array<std::atomic<Counter*>, kCodes> handled{};
  std::string service;
  std::string method;
};

struct Families {
  explicit Families(Registry& registry)
      : started(registry.AddCounter("grpc_server_started_total",
                                    "RPCs started on the server, by method.",
                                    {"grpc_service", "grpc_method"})),
        handled(registry.AddCounter("grpc_server_handled_total",
                                    "RPCs completed on the server, by method and status code.",
                                    {"grpc_service", "grpc_method", "grpc_code"})),
        seconds(
            registry.AddHistogram("grpc_server_handling_seconds",
                                  "Time from a call's arrival to its status being sent, by method.",
                                  {"grpc_service", "grpc_method"}, LatencyBuckets())),
        in_flight(registry.AddGauge("grpc_server_in_flight",
                                    "RPCs started and not yet finished, by method.",
                                    {"grpc_service", "grpc_method"})) {}
  Family<Counter>& started;
  Family<Counter>& handled;
  Family<Histogram>& seconds;
  Family<Gauge>& in_flight;
};

MethodSeries* NewSeries(Families& families, std::string service, std::string method) {
  auto* series = new MethodSeries();
  series->service = std::move(service);
  series->method = std::move(method);
  series->started = &families.started.With({series->service, series->method});
  series->in_flight = &families.in_flight.With({series->service, series->method});
  series->seconds = &families.seconds.With({series->service, series->method});
  return series;
}

class RpcMetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  RpcMetricsInterceptor(MethodSeries* series, Families* families)
      : series_(series), families_(families), start_(absl::Now()) {
    series_->started->Increment();
    series_->in_flight->Add(1);
  }
  ~RpcMetricsInterceptor() override {
    if (!finished_) Finish(grpc::StatusCode::CANCELLED);
    series_->in_flight->Add(-1);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      Finish(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Finish(grpc::StatusCode code) {
    finished_ = true;
    series_->seconds->Observe(absl::ToDoubleSeconds(absl::Now() - start_));
    const int index = static_cast<int>(code) >= 0 && static_cast<int>(code) < kCodes
                          ? static_cast<int>(code)
                          : static_cast<int>(grpc::StatusCode::UNKNOWN);
    Counter* counter = series_->handled[index].load(std::memory_order_acquire);
    if (counter == nullptr) {
      counter = &families_->handled.With({series_->service, series_->method,
                                          StatusCodeName(static_cast<grpc::StatusCode>(index))});
      series_->handled[index].store(counter, std::memory_order_release);
    }
    counter->Increment();
  }

  MethodSeries* const series_;
  Families* const families_;
  const absl::Time start_;
  bool finished_ = false;
};

class RpcMetricsFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  RpcMetricsFactory(const std::vector<std::string>& known_methods, Registry& registry)
      : families_(registry) {
    for (const std::string& path : known_methods) {
      // "/package.Service/Method"
      const size_t slash = path.rfind('/');
      if (path.empty() || path[0] != '/' || slash == 0 || slash == std::string::npos) continue;
      methods_[path].reset(NewSeries(families_, path.substr(1, slash - 1), path.substr(slash + 1)));
    }
    unknown_.reset(NewSeries(families_, "unknown", "unknown"));
  }

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    MethodSeries* series = unknown_.get();
    if (info->method() != nullptr) {
      auto it = methods_.find(info->method());
      if (it != methods_.end()) series = it->second.get();
    }
    return new RpcMetricsInterceptor(series, &families_);
  }

 private:
  Families families_;
  // Written in the constructor only: lookups need no lock.
  absl::flat_hash_map<std::string, std::unique_ptr<MethodSeries>> methods_;
  std::unique_ptr<MethodSeries> unknown_;
};

}  // namespace

std::vector<std::string> KnownMethods(const std::vector<std::string>& service_full_names) {
  std::vector<std::string> paths = {
      "/grpc.health.v1.Health/Check",
      "/grpc.health.v1.Health/Watch",
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
  };
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const std::string& name : service_full_names) {
    const google::protobuf::ServiceDescriptor* service = pool->FindServiceByName(name);
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      paths.push_back(absl::StrCat("/", name, "/", service->method(i)->name()));
    }
  }
  return paths;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeRpcMetricsInterceptor(
    const std::vector<std::string>& known_methods, Registry& registry) {
  return std::make_unique<RpcMetricsFactory>(known_methods, registry);
}

}  // namespace imp::metrics
