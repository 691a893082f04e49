#include "common/metrics/metrics_server.h"

#include <dirent.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace imp::metrics {

struct MetricsServerAccess {
  static Registry* registry(MetricsServer* server) { return server->registry_; }
};

namespace {

constexpr char kExpositionType[] = "text/plain; version=0.0.4; charset=utf-8";

MHD_Result Answer(MHD_Connection* connection, unsigned status, std::string body,
                  const char* content_type) {
  MHD_Response* response =
      MHD_create_response_from_buffer(body.size(), body.data(), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  // Figures of this instant: no cache on the way may keep them.
  MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  const MHD_Result queued = MHD_queue_response(connection, status, response);
  MHD_destroy_response(response);
  return queued;
}

MHD_Result Handle(void* cls, MHD_Connection* connection, const char* url, const char* method,
                  const char* /*version*/, const char* /*upload_data*/,
                  size_t* /*upload_data_size*/, void** /*request_state*/) {
  auto* server = static_cast<MetricsServer*>(cls);
  if (std::strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
      std::strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
    return Answer(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n", "text/plain");
  }
  if (std::strcmp(url, "/metrics") != 0) {
    return Answer(connection, MHD_HTTP_NOT_FOUND, "the admin port serves /metrics\n", "text/plain");
  }
  return Answer(connection, MHD_HTTP_OK, MetricsServerAccess::registry(server)->Render(),
                kExpositionType);
}

// Fields of /proc/self/stat after the command name (which may hold spaces): index 0 is the
// state, the third field of the file.
std::vector<std::string> StatFields() {
  std::ifstream in("/proc/self/stat");
  std::string line((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return {};
  return absl::StrSplit(line.substr(close + 2), ' ', absl::SkipEmpty());
}

double StatField(const std::vector<std::string>& fields, size_t file_field) {
  // file_field counts from 1 as proc(5) does; fields[0] is file field 3.
  double value = 0;
  if (file_field >= 3 && file_field - 3 < fields.size()) {
    (void)absl::SimpleAtod(fields[file_field - 3], &value);
  }
  return value;
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

double OpenDescriptors() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double count = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the directory being read
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& host,
                                                                    int port, Registry* registry,
                                                                    MetricsServerLimits limits) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics port: '", host, "' is not a numeric address"));
  }
  std::unique_ptr<MetricsServer> server(new MetricsServer(registry));
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
  if (found->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
  server->daemon_ = MHD_start_daemon(
      flags, static_cast<uint16_t>(port), nullptr, nullptr, &Handle, server.get(),
      MHD_OPTION_SOCK_ADDR, found->ai_addr, MHD_OPTION_CONNECTION_LIMIT, limits.max_connections,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, limits.max_connections_per_peer,
      MHD_OPTION_CONNECTION_TIMEOUT, limits.idle_timeout_seconds,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(64 * 1024), MHD_OPTION_END);
  freeaddrinfo(found);
  if (server->daemon_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", host, ":", port, " (--metrics_port)"));
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(server->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  server->port_ = info != nullptr ? info->port : port;
  return server;
}

MetricsServer::~MetricsServer() {
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

void RegisterProcessMetrics(Registry& registry) {
  static SourceHandle* const handle = [&registry] {
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    const double boot = BootTimeSeconds();
    auto* handles = new SourceHandle[6];
    handles[0] =
        registry.AddSource("process_resident_memory_bytes", "Resident memory size in bytes.",
                           Type::kGauge, {}, [page](std::vector<Sample>& out) {
                             out.push_back({{}, StatField(StatFields(), 24) * page});
                           });
    handles[1] = registry.AddSource(
        "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
        Type::kCounter, {}, [ticks](std::vector<Sample>& out) {
          const std::vector<std::string> f = StatFields();
          out.push_back({{}, (StatField(f, 14) + StatField(f, 15)) / ticks});
        });
    handles[2] = registry.AddSource(
        "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
        Type::kGauge, {}, [ticks, boot](std::vector<Sample>& out) {
          out.push_back({{}, boot + StatField(StatFields(), 22) / ticks});
        });
    handles[3] = registry.AddSource("process_open_fds", "Number of open file descriptors.",
                                    Type::kGauge, {}, [](std::vector<Sample>& out) {
                                      out.push_back({{}, OpenDescriptors()});
                                    });
    handles[4] = registry.AddSource("process_max_fds", "Maximum number of open file descriptors.",
                                    Type::kGauge, {}, [](std::vector<Sample>& out) {
                                      rlimit limit{};
                                      getrlimit(RLIMIT_NOFILE, &limit);
                                      out.push_back({{}, static_cast<double>(limit.rlim_cur)});
                                    });
    handles[5] = registry.AddSource("process_threads", "Number of OS threads in the process.",
                                    Type::kGauge, {}, [](std::vector<Sample>& out) {
                                      out.push_back({{}, StatField(StatFields(), 20)});
                                    });
    return handles;
  }();
  (void)handle;
}

}  // namespace imp::metrics
